"""Declares a feature group that does not exist."""

from _common import handshake, read

handshake(["caps", "teleportation"])
read()
