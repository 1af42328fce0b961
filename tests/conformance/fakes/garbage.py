"""Answers the handshake and the reset, then talks garbage."""

import sys

from _common import handshake, read, ready

handshake()
ready()
read()
sys.stdout.write("this is {not json\n")
sys.stdout.flush()
read()
