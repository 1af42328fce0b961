"""Writes 50 MB on standard error, then answers the handshake and the reset
and dies on the first operation."""

import sys

from _common import handshake, read, ready

sys.stderr.write("FLOOD-START\n")
line = "x" * 1023 + "\n"
for _ in range(50 * 1024):
    sys.stderr.write(line)
sys.stderr.write("FLOOD-END\n")
sys.stderr.flush()
handshake()
ready()
read()
sys.exit(3)
