"""Answers the handshake and the reset, then never answers again."""

import time

from _common import handshake, read, ready

handshake()
ready()
read()
while True:
    time.sleep(60)
