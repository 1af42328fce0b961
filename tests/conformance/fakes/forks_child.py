"""Forks a child that sleeps (its pid written to the file named by argv[1]),
then answers the handshake and the reset and dies on the first operation."""

import os
import sys
import time

from _common import handshake, read, ready

child = os.fork()
if child == 0:
    time.sleep(300)
    os._exit(0)
with open(sys.argv[1], "w") as f:
    f.write(str(child))
handshake()
ready()
read()
sys.exit(3)
