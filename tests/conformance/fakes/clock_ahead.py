"""Over the protocol: starts with its clock one tick ahead, fails everything."""

from _common import handshake, read, send

handshake()
n = read()["processes"]
send({"type": "ready"})
empty = {"status": "running", "handles": {}, "mappings": {}, "fds": {}}
initial = {
    "clock": 1,
    "processes": {str(p): empty for p in range(1, n + 1)},
    "ports": {},
    "channels": {},
    "buffers": {},
    "namespace": {},
}
while True:
    msg = read()
    if msg["type"] == "reset":
        send({"type": "ready"})
    elif msg["type"] == "apply":
        send(
            {"type": "result", "id": msg["id"], "result": {"error": "InvalidArgument"}}
        )
    elif msg["type"] == "observe":
        send({"type": "observation", "id": msg["id"], "observation": initial})
    else:
        break
