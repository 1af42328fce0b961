"""The capability encoding (spec chapter ``caps``), assembled as one system.

Its parts, one module each: the state and the helpers mirroring
``spec/caps.py`` (``enc_caps_state``), the transitions (``enc_caps_rules``),
the invariant (``enc_caps_invariants``), reclamation (``enc_caps_reclaim``:
CAP-RECLAIM's transition, conjunct and step property), the step properties
(``enc_caps_properties``), the negative controls (``enc_caps_controls``) and
the counterexample decoding (``enc_caps_decode``).
"""

from __future__ import annotations

from ._smt import And
from .enc_caps_decode import describe
from .enc_caps_invariants import CONJUNCTS, init
from .enc_caps_reclaim import NO_DEAD_NAMED
from .enc_caps_rules import TRANSITIONS
from .enc_caps_state import FIELDS
from .induction import System

SYSTEM = System(
    "caps",
    FIELDS,
    init,
    (*CONJUNCTS, NO_DEAD_NAMED),
    TRANSITIONS,
    describe,
    lambda s, n: And(True),
)
