"""veridian_ipc.cli: the ``veridian-ipc`` command (a thin layer over the packages)."""
