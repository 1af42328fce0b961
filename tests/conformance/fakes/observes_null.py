"""Over the protocol: observes ``null``."""

from _common import handshake, read, send

handshake()
while True:
    msg = read()
    if msg["type"] == "reset":
        send({"type": "ready"})
    elif msg["type"] == "apply":
        send({"type": "result", "id": msg["id"], "result": {"ok": None}})
    elif msg["type"] == "observe":
        send({"type": "observation", "id": msg["id"], "observation": None})
    else:
        break
