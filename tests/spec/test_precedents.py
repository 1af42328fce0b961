"""The precedents the spec cites say what the sources say (checked by hand
against the seL4 reference manual, Zircon's syscall reference and the Linux
man pages); these tests pin the corrected statements so an imprecise one
does not come back."""

from __future__ import annotations

import inspect

from veridian_ipc.spec import RULES, RuleId, caps, channels

#: (where, phrases it must contain, phrases it must not contain)
CLAIMS: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = [
    (
        "seL4 revoke: only original capabilities have derived children",
        inspect.getdoc(caps) or "",
        ("one level", "siblings", "Departure from seL4"),
        (),
    ),
    (
        "Zircon: a failed zx_channel_write discards the handles",
        RULES[RuleId.MSG_TRANSFER].doc,
        ("Departure from Zircon", "discarded", "ERR-ATOMIC"),
        (),
    ),
    (
        "batching: zx_channel_write_etc writes one message; the argument is cost",
        inspect.getdoc(channels) or "",
        ("sendmmsg(2)", "io_uring", "writes one message", "amortise"),
        ("atomic multi-message",),
    ),
    (
        "MSG-SENDER: an seL4 badge identifies a capability, not a sender",
        RULES[RuleId.MSG_SENDER].doc,
        ("identifies the **capability**", "gives the pid"),
        ("give the same",),
    ),
]


def test_cited_precedents_are_stated_precisely() -> None:
    bad = []
    for what, text, must, must_not in CLAIMS:
        flat = " ".join(text.split())
        bad += [f"{what}: missing {m!r}" for m in must if m not in flat]
        bad += [f"{what}: still says {m!r}" for m in must_not if m in flat]
    assert not bad, "\n".join(bad)
