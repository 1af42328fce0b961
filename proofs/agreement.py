"""The encodings agree with the spec: the faithfulness check of each encoding.

A proof is about an encoding; the check in ``faithful`` ties each encoding to
the spec, step by step on recorded spec runs. Each encoding contributes a
``Part`` (its projection of spec states and the transitions a spec step maps
to): ``agree_caps``, ``agree_ports``, ``agree_channels``, ``agree_buffers``
and ``agree_filters``. ``CHECKERS`` holds them by encoding name; each is
called as ``check(before, pid, op, after, result, system=None)`` and returns
the list of disagreements (empty when they agree; ``system`` swaps in a
variant of the encoding, to show the check can fail).
"""

from __future__ import annotations

from . import agree_buffers, agree_caps, agree_channels, agree_filters, agree_ports
from .faithful import Part

#: Every encoding's faithfulness check, by encoding name.
CHECKERS: dict[str, Part] = {
    part.name: part
    for part in (
        agree_caps.PART,
        agree_ports.PART,
        agree_channels.PART,
        agree_buffers.PART,
        agree_filters.PART,
    )
}
