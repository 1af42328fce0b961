"""Markdown helpers: docstring prose, rule-ID links, signatures, values.

Rule and invariant IDs in prose (``PORT-SEND``, ``INV-WAITERS``) become links
to their anchors (``facts.anchors``), outside code spans, relative to the
page they appear on, so the built site needs no absolute URL.
"""

from __future__ import annotations

import inspect
import posixpath
import re
import types
from dataclasses import MISSING, fields
from typing import Any, Union, get_args, get_origin

from veridian_ipc.spec import Blocked, Err, Result
from veridian_ipc.vocabulary.operations import IdKind, OpSpec, id_kind_of
from veridian_ipc.vocabulary.syscalls import Operation

from .facts import anchors

_ID = re.compile(r"\b(?:[A-Z]+-)+[A-Z]+\b")
_CODE = re.compile(r"(`+)(.+?)\1", re.S)


def md(text: str) -> str:
    """Docstring prose as Markdown: double backquotes become single ones."""
    return text.replace("``", "`")


def link_ids(text: str, page: str, *, skip: str = "") -> str:
    """``text`` with every known rule/invariant ID (but ``skip``) a link,
    relative to ``page``; code spans are left alone."""
    targets = anchors()
    here = posixpath.dirname(page)

    def linked(segment: str) -> str:
        def one(m: re.Match[str]) -> str:
            ident = m.group(0)
            if ident not in targets or ident == skip:
                return ident
            path, _, frag = targets[ident].partition("#")
            rel = posixpath.relpath(path, here or ".")
            if path == page:
                rel = ""
            return f"[{ident}]({rel}#{frag})"

        return _ID.sub(one, segment)

    out: list[str] = []
    last = 0
    for m in _CODE.finditer(text):
        out.append(linked(text[last : m.start()]))
        out.append(m.group(0))
        last = m.end()
    out.append(linked(text[last:]))
    return "".join(out)


def type_name(annotation: object) -> str:
    """A readable Python type: ``int``, ``tuple[HandleRef, ...]``, ``bytes``."""
    kind = id_kind_of(annotation)
    if kind is not None and get_origin(annotation) is not tuple:
        return {IdKind.PID: "Pid", IdKind.HANDLE: "Handle", IdKind.MAPPING: "MapId"}[
            kind
        ]
    if annotation is None or annotation is type(None):
        return "None"
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return " | ".join(type_name(a) for a in get_args(annotation))
    if origin is not None:
        args = get_args(annotation)
        inner = ", ".join("..." if a is Ellipsis else type_name(a) for a in args)
        return f"{getattr(origin, '__name__', str(origin))}[{inner}]"
    if isinstance(annotation, type):
        return annotation.__name__
    return str(annotation).replace("typing.", "")


def signature(op: OpSpec) -> str:
    """``Derive(handle, rights)``: the operation and its argument names."""
    return f"{op.name}({', '.join(f.name for f in op.fields)})"


def defaults(op: OpSpec) -> dict[str, object]:
    """Argument name -> the value it takes when left out."""
    out: dict[str, object] = {}
    for f in fields(op.cls):  # type: ignore[arg-type]
        if f.default is not MISSING:
            out[f.name] = f.default
    return out


def op_text(op: Operation) -> str:
    """An operation as Python: ``Send(handle=1, msg_type=1, ..., data=b'a')``."""
    parts = [f"{f.name}={getattr(op, f.name)!r}" for f in fields(op)]  # type: ignore[arg-type]
    return f"{type(op).__name__}({', '.join(parts)})"


def result_text(result: Result) -> str:
    """A result as the spec gives it: ``Ok(3)``, ``Err(PortFull)``, ``Ok(BLOCKED)``."""
    if isinstance(result, Err):
        return f"Err({result.error.name})"
    value: Any = result.value
    if isinstance(value, Blocked):
        return "Ok(BLOCKED)"
    return f"Ok({value!r})"


def result_sentence(doc: str) -> str:
    """The sentence of a rule's prose that says what it returns, if any."""
    flat = " ".join(inspect.cleandoc(doc).split())
    m = re.search(r"Results?: (.+?\.)(?:\s|$)", flat)
    return md(m.group(1)) if m else ""


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    """A Markdown table (cells have their ``|`` escaped)."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return out
