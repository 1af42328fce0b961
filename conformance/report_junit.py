"""The verdicts of a conformance run as JUnit XML, which any CI displays.

``junit_xml(report, verdicts)`` gives one ``<testsuite>`` (inside
``<testsuites>``) with **one ``<testcase>`` per rule** of the spec, its
``classname`` the rule's group and its ``name`` the rule ID:

- a rule that conforms passes (nothing inside);
- a rule that diverges has a ``<failure type="divergence">``: its message
  names the divergences' IDs and signatures, its text gives each one's
  message and minimal trace (``traces.format_table``);
- a rule not examined has ``<skipped>`` with the reason (``verdicts``).

Besides the rules, so that a CI never shows green on a broken target: each
divergence pinned on no rule (at reset, say) is one more ``<testcase>``
(classname ``conformance``, name its ID) with a ``<failure>``, and a run that
stopped (a target failure, no step run) is a ``<testcase name="run">`` with an
``<error>``. The file follows the common JUnit schema (the attributes
``tests``, ``failures``, ``errors``, ``skipped``, ``time`` on both levels).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from .traces import format_table
from .verdicts import (
    DIVERGES,
    NOT_EXAMINED,
    DivergenceRef,
    Verdicts,
    plain_report,
)

__all__ = ["divergence_text", "junit_xml"]

#: Run statuses that stopped the run: a ``run`` test case in error.
STOPPED = ("target-failure", "no-steps")


def divergence_text(d: DivergenceRef) -> str:
    """One divergence in plain text: ID, signature, how often, the message,
    the trace file and the minimal trace's table."""
    data = d.data if isinstance(d.data, dict) else {}
    lines = [
        f"{d.id}: {d.signature.text()} (seen {d.count}×, at step {d.step})",
        f"  {d.message}",
    ]
    if data.get("trace"):
        lines.append(f"  trace: {data['trace']}")
    steps = data.get("steps")
    if isinstance(steps, list) and steps:
        lines.append(format_table({"steps": steps}, data))
    return "\n".join(lines)


#: Characters XML 1.0 cannot hold (a target's answer may carry them).
_NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _safe(value: object) -> str:
    """``value`` as text XML can hold (others shown as ``\\xNN``)."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}", str(value))


def _case(suite: ET.Element, classname: str, name: str) -> ET.Element:
    return ET.SubElement(
        suite, "testcase", {"classname": classname, "name": name, "time": "0"}
    )


def junit_xml(report: object, verdicts: Verdicts) -> str:
    """The JUnit XML document of ``report`` (a ``Report`` or its JSON) and its
    ``verdicts``."""
    data: dict[str, Any] = plain_report(report)
    by_id = {d.id: d for d in verdicts.divergences}
    seconds = data.get("seconds") or 0
    suite = ET.Element("testsuite", {"name": f"conformance: {data.get('target', '?')}"})
    props = ET.SubElement(suite, "properties")
    for key in ("target", "mode", "profile", "seed", "status", "examples", "steps"):
        value = data.get(key)
        if value is not None:
            ET.SubElement(props, "property", {"name": key, "value": _safe(value)})
    groups = ",".join(str(g) for g in data.get("groups") or [])
    ET.SubElement(props, "property", {"name": "groups", "value": _safe(groups)})
    failures = skipped = errors = 0
    for v in verdicts.verdicts:
        case = _case(suite, v.group, v.rule)
        if v.verdict == DIVERGES:
            failures += 1
            refs = [by_id[i] for i in v.divergences if i in by_id]
            fail = ET.SubElement(
                case,
                "failure",
                {
                    "type": "divergence",
                    "message": _safe(
                        "diverges: "
                        + ", ".join(f"{d.id} ({d.signature.text()})" for d in refs)
                    ),
                },
            )
            fail.text = _safe("\n\n".join(divergence_text(d) for d in refs))
        elif v.verdict == NOT_EXAMINED:
            skipped += 1
            why = _safe(v.reason or "not examined")
            ET.SubElement(case, "skipped", {"message": why})
    for d in verdicts.unattributed:
        failures += 1
        case = _case(suite, "conformance", d.id)
        fail = ET.SubElement(
            case,
            "failure",
            {
                "type": "divergence",
                "message": _safe(f"on no rule: {d.signature.text()}"),
            },
        )
        fail.text = _safe(divergence_text(d))
    status = data.get("status")
    if status in STOPPED:
        errors += 1
        case = _case(suite, "conformance", "run")
        err = ET.SubElement(case, "error", {"type": str(status), "message": status})
        err.text = _safe(data.get("failure") or status)
    tests = len(verdicts.verdicts) + len(verdicts.unattributed) + errors
    counts = {
        "tests": str(tests),
        "failures": str(failures),
        "errors": str(errors),
        "skipped": str(skipped),
        "time": f"{float(seconds):.3f}",
    }
    suite.attrib.update(counts)
    root = ET.Element("testsuites", {"name": "veridian-ipc conform", **counts})
    root.append(suite)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
