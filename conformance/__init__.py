"""veridian_ipc.conformance: lock-step comparison of an implementation with the spec."""
