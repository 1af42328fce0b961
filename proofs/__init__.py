"""veridian_ipc.proofs: Z3 proofs of the spec's invariants and CrossHair contracts."""
