"""Answers the handshake and the reset, then dies on the first operation."""

import sys

from _common import handshake, read, ready

handshake()
ready()
read()
print("fake target: segmentation fault (simulated)", file=sys.stderr)
sys.exit(139)
