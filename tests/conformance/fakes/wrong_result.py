"""Observes correctly, but answers operations with an unknown error name."""

from _common import handshake, read, send

handshake()
n = read()["processes"]
send({"type": "ready"})
empty = {"status": "running", "handles": {}, "mappings": {}, "fds": {}}
initial = {
    "clock": 0,
    "processes": {str(p): empty for p in range(1, n + 1)},
    "ports": {},
    "channels": {},
    "buffers": {},
    "namespace": {},
}
while True:
    msg = read()
    if msg["type"] == "apply":
        send({"type": "result", "id": msg["id"], "result": {"error": "Oops"}})
    else:
        send({"type": "observation", "id": msg["id"], "observation": initial})
