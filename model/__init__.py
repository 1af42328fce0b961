"""veridian_ipc.model: the performant implementation of the spec's operation surface."""
