"""A mechanical translation of loop-free spec helpers into Z3 terms.

The encodings (``enc_*``) restate some of the spec's small helpers by hand:
the bucket refill, the filter's type and size check, the buffer bounds check.
A hand restatement can drift from the code it restates. Here the helper's own
source is read (``ast``) and translated, expression by expression, into a Z3
term; ``helper_equivalences`` then proves each translation equal to the hand
encoding's term for every input (Z3 ``prove``): the encoding computes what
the spec's code computes, by construction of the check rather than by review.

The translated fragment is what loop-free helpers use: parameters and their
attributes (``f.rate.period``, looked up by dotted name in an environment
the caller supplies), integer and boolean constants, ``+ - * // %``,
comparisons (chained too), ``and``/``or``/``not``, ``x if c else y``,
``min``/``max``, ``x is None`` (an environment entry ``"x is None"``),
``x in s`` (``s`` an array of booleans), ``IpcError.Name`` (its code) and
``None`` (0) as returned values, assignments to a name, ``if``/``else`` and
early ``return``, and ``dataclasses.replace(record, field=value)``. A
record (a parameter with fields) is a ``dict`` of its fields. Also:

- a call of another loop-free helper whose source the caller supplies
  (``helpers``, by name) is translated in place, its parameters bound to the
  arguments (``take_token`` calls ``refill``);
- a helper that returns a record on one path and an error on another
  (``Filter | IpcError``) gives the record with one more field, ``ERROR``:
  the error's code, 0 where the record is returned;
- a sequence (a tuple of messages) is translated to its length (``Seq``):
  ``len``, ``+`` of two sequences and slices ``x[:n]`` / ``x[n:]`` follow
  Python's clipping exactly, which is what ring index arithmetic needs (the
  contents are the encodings' business, compared by the agreement pass);
- a returned tuple is a record with fields ``"0"``, ``"1"``, ...;
- an ``assert`` is skipped (it states a fact, it computes nothing);
- ``x += e`` and ``x -= e`` are the assignments they abbreviate;
- a ``raise`` (any exception) and an element ``s[i]`` of a sequence (its
  position from 1, Python's negative index counted from the end: which
  element, not its contents) make the result a record ``{"value": ...,
  RAISES: ...}``, ``RAISES`` true on the paths that raise (``IndexError``
  for an index out of range) and the value meaningless there; an element may
  only be returned (or be a branch of what is returned).

Anything else raises ``Untranslatable``: a helper with a loop is out of scope.

Python's ``//`` and ``%`` floor; z3's integer ``/`` and ``%`` are Euclidean.
They agree for a positive divisor; the translation makes them agree for
every non-zero divisor (``a // b`` is ``(-a) / (-b)`` when ``b < 0``).
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeAlias

import z3

from veridian_ipc.spec import IpcError

from ._smt import And, BoolVal, If, IntVal, Not, Or, Term


@dataclass(frozen=True)
class Seq:
    """A sequence, translated to its length (a term)."""

    length: Term


#: A translated value: a term, a sequence, or a record (its fields by name).
Value: TypeAlias = Term | Seq | dict[str, "Value"]
Env = Mapping[str, Value]

#: The field of a record-or-error result holding the error code (0: none).
ERROR = "!error"

#: The field of a result that may raise: true on the paths that raise.
RAISES = "!raises"

#: The helpers a translation may inline, by name: their sources.
_HELPERS: ContextVar[Mapping[str, str] | None] = ContextVar("helpers", default=None)


class Untranslatable(ValueError):
    """The helper uses something outside the translated fragment."""


def source_of(fn: Callable[..., object]) -> str:
    """The dedented source of ``fn`` (decorators included)."""
    return textwrap.dedent(inspect.getsource(fn))


def translate(source: str, env: Env, helpers: Mapping[str, str] | None = None) -> Value:
    """The value the function defined in ``source`` returns, as a term over
    the environment ``env`` (parameters and dotted attributes); ``helpers``
    are the sources of the helpers it may call, by name."""
    token = _HELPERS.set({**(_HELPERS.get() or {}), **(helpers or {})})
    try:
        return _block(_function(source).body, dict(env))
    finally:
        _HELPERS.reset(token)


def _function(source: str) -> ast.FunctionDef:
    """The one function ``source`` defines, its docstring left out."""
    tree = ast.parse(source)
    fns = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    if len(fns) != 1:
        raise Untranslatable("the source must define exactly one function")
    fn = fns[0]
    body = [s for s in fn.body if not _is_docstring(s)]
    return ast.FunctionDef(
        fn.name, fn.args, body, fn.decorator_list, fn.returns, fn.type_comment
    )


def _is_docstring(s: ast.stmt) -> bool:
    return isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant)


def _block(stmts: list[ast.stmt], env: dict[str, Value]) -> Value:
    if not stmts:
        raise Untranslatable("a path through the function returns nothing")
    s, rest = stmts[0], stmts[1:]
    if isinstance(s, ast.Return):
        if s.value is None:
            return IntVal(0)
        return _expr(s.value, env)
    if isinstance(s, ast.Assign | ast.AnnAssign):
        target = s.targets[0] if isinstance(s, ast.Assign) else s.target
        if not isinstance(target, ast.Name) or s.value is None:
            raise Untranslatable(f"line {s.lineno}: only `name = expr` assigns")
        value = _expr(s.value, env)
        return _block(rest, {**_forget(env, target.id), target.id: value})
    if isinstance(s, ast.If):
        cond = _bool(_expr(s.test, env))
        then = _block([*s.body, *rest], env)
        other = _block([*s.orelse, *rest], env)
        return _ite(cond, then, other)
    if isinstance(s, ast.AugAssign) and type(s.op) in (ast.Add, ast.Sub):
        if not isinstance(s.target, ast.Name):
            raise Untranslatable(f"line {s.lineno}: only `name += expr`")
        old = _term(_lookup(s.target.id, env))
        step = _term(_expr(s.value, env))
        value = old + step if isinstance(s.op, ast.Add) else old - step
        return _block(rest, {**_forget(env, s.target.id), s.target.id: value})
    if isinstance(s, ast.Raise):
        return {RAISES: BoolVal(True)}
    if isinstance(s, ast.Assert):
        return _block(rest, env)
    raise Untranslatable(f"line {s.lineno}: {type(s).__name__} is not translated")


def _forget(env: dict[str, Value], name: str) -> dict[str, Value]:
    """``env`` without ``name``'s dotted entries (``f.tokens``, ``f.rate is
    None``): a name assigned anew is looked up in its new value only."""
    stale = (name + ".", name + " ")
    return {k: v for k, v in env.items() if not k.startswith(stale)}


def _raising(v: Value) -> bool:
    return isinstance(v, dict) and RAISES in v


def _may_raise(v: Value, like: Value) -> dict[str, Value]:
    """``v`` as a result that may raise: a bare ``raise`` takes the other
    branch's value (``like``), meaningless where it raises."""
    if _raising(v):
        assert isinstance(v, dict)
        if "value" in v:
            return v
        base = like["value"] if isinstance(like, dict) and "value" in like else like
        return {"value": base, RAISES: v[RAISES]}
    return {"value": v, RAISES: BoolVal(False)}


def _ite(cond: Term, a: Value, b: Value) -> Value:
    if _raising(a) or _raising(b):
        if all(isinstance(v, dict) and set(v) == {RAISES} for v in (a, b)):
            return {RAISES: BoolVal(True)}  # both branches raise
        a, b = _may_raise(a, b), _may_raise(b, a)
        return {k: _ite(cond, a[k], b[k]) for k in ("value", RAISES)}
    if isinstance(a, dict) and not isinstance(b, dict):
        return _ite(cond, a, _as_error(b, a))
    if isinstance(b, dict) and not isinstance(a, dict):
        return _ite(cond, _as_error(a, b), b)
    if isinstance(a, dict) and isinstance(b, dict):
        if ERROR in a or ERROR in b:
            a, b = {ERROR: IntVal(0), **a}, {ERROR: IntVal(0), **b}
        if set(a) != set(b):
            raise Untranslatable("two records with different fields")
        return {k: _ite(cond, a[k], b[k]) for k in a}
    if isinstance(a, Seq) and isinstance(b, Seq):
        return Seq(If(cond, a.length, b.length))
    return If(cond, _term(a), _term(b))


def _as_error(code: Value, like: dict[str, Value]) -> dict[str, Value]:
    """An error returned where another path returns a record: the record's
    fields (meaningless here) with ``ERROR`` set to the code."""
    if isinstance(code, dict | Seq):
        raise Untranslatable("a record on one branch, a sequence on the other")
    return {**like, ERROR: code}


def _bool(v: Value) -> Term:
    if isinstance(v, dict | Seq):
        raise Untranslatable("a record or a sequence used as a condition")
    return v


def _term(v: Value) -> Term:
    if isinstance(v, dict | Seq):
        raise Untranslatable("a record or a sequence used as a number")
    return v


def _seq(v: Value) -> Seq:
    if not isinstance(v, Seq):
        raise Untranslatable("a number or a record used as a sequence")
    return v


def _clip(n: Term, length: Term) -> Term:
    """Python's slice bound ``n`` on a sequence of ``length``, in 0..length."""
    low = If(length + n < 0, 0, length + n)
    return If(n < 0, low, If(n < length, n, length))


def _dotted(e: ast.expr) -> str | None:
    if isinstance(e, ast.Name):
        return e.id
    if isinstance(e, ast.Attribute):
        base = _dotted(e.value)
        return None if base is None else f"{base}.{e.attr}"
    return None


def _lookup(name: str, env: Mapping[str, Value]) -> Value:
    if name in env:
        return env[name]
    head, _, tail = name.partition(".")
    if tail and isinstance(env.get(head), dict):
        rec = env[head]
        assert isinstance(rec, dict)
        return _lookup(tail, rec)
    fields = {k[len(name) + 1 :]: v for k, v in env.items() if k.startswith(name + ".")}
    if fields:
        return fields
    raise Untranslatable(f"{name} is not in the environment")


_ARITH: dict[type, Callable[[Term, Term], Term]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.FloorDiv: lambda a, b: If(b > 0, a / b, (-a) / (-b)),
    ast.Mod: lambda a, b: If(b > 0, a % b, -((-a) % (-b))),
}
_CMP: dict[type, Callable[[Term, Term], Term]] = {
    ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b,
    ast.Gt: lambda a, b: a > b,
    ast.GtE: lambda a, b: a >= b,
    ast.Eq: lambda a, b: a == b,
    ast.NotEq: lambda a, b: a != b,
}


def _expr(e: ast.expr, env: dict[str, Value]) -> Value:
    if isinstance(e, ast.Constant):
        if isinstance(e.value, bool):
            return BoolVal(e.value)
        if isinstance(e.value, int):
            return IntVal(e.value)
        if e.value is None:
            return IntVal(0)
        raise Untranslatable(f"constant {e.value!r}")
    if isinstance(e, ast.Attribute) and _dotted(e.value) == "IpcError":
        return IntVal(IpcError[e.attr].value)
    name = _dotted(e)
    if name is not None:
        return _lookup(name, env)
    if isinstance(e, ast.BinOp) and type(e.op) in _ARITH:
        left, right = _expr(e.left, env), _expr(e.right, env)
        if isinstance(e.op, ast.Add) and isinstance(left, Seq):
            return Seq(left.length + _seq(right).length)
        return _ARITH[type(e.op)](_term(left), _term(right))
    if isinstance(e, ast.Subscript) and isinstance(e.slice, ast.Slice):
        return _slice(_seq(_expr(e.value, env)), e.slice, env)
    if isinstance(e, ast.Subscript):
        n = _seq(_expr(e.value, env)).length
        i = _term(_expr(e.slice, env))
        at = If(i < 0, i + n, i)
        return {"value": at + 1, RAISES: Or(at < 0, at >= n)}
    if isinstance(e, ast.Tuple):
        return {str(i): _expr(x, env) for i, x in enumerate(e.elts)}
    if isinstance(e, ast.UnaryOp):
        v = _term(_expr(e.operand, env))
        if isinstance(e.op, ast.Not):
            return Not(v)
        if isinstance(e.op, ast.USub):
            return -v
    if isinstance(e, ast.BoolOp):
        parts = [_bool(_expr(x, env)) for x in e.values]
        return And(*parts) if isinstance(e.op, ast.And) else Or(*parts)
    if isinstance(e, ast.IfExp):
        cond = _bool(_expr(e.test, env))
        return _ite(cond, _expr(e.body, env), _expr(e.orelse, env))
    if isinstance(e, ast.Compare):
        return _compare(e, env)
    if isinstance(e, ast.Call):
        return _call(e, env)
    raise Untranslatable(f"line {e.lineno}: {type(e).__name__} is not translated")


def _slice(seq: Seq, s: ast.Slice, env: dict[str, Value]) -> Seq:
    """``x[:n]`` or ``x[n:]``: the length Python's slice has."""
    if s.step is not None or (s.lower is None) == (s.upper is None):
        raise Untranslatable("only x[:n] and x[n:] slices")
    bound = s.upper if s.upper is not None else s.lower
    assert bound is not None
    n = _clip(_term(_expr(bound, env)), seq.length)
    return Seq(n if s.upper is not None else seq.length - n)


def _compare(e: ast.Compare, env: dict[str, Value]) -> Term:
    out: list[Term] = []
    left = e.left
    for op, right in zip(e.ops, e.comparators, strict=True):
        if isinstance(op, ast.Is | ast.IsNot):
            if not (isinstance(right, ast.Constant) and right.value is None):
                raise Untranslatable("`is` only against None")
            name = _dotted(left)
            flag = _bool(_lookup(f"{name} is None", env))
            out.append(flag if isinstance(op, ast.Is) else Not(flag))
        elif isinstance(op, ast.In | ast.NotIn):
            member = _term(_expr(right, env))[_term(_expr(left, env))]
            out.append(member if isinstance(op, ast.In) else Not(member))
        elif type(op) in _CMP:
            a, b = _term(_expr(left, env)), _term(_expr(right, env))
            out.append(_CMP[type(op)](a, b))
        else:
            raise Untranslatable(f"comparison {type(op).__name__}")
        left = right
    return out[0] if len(out) == 1 else And(*out)


def _call(e: ast.Call, env: dict[str, Value]) -> Value:
    fn = _dotted(e.func)
    if fn in ("min", "max") and len(e.args) == 2 and not e.keywords:
        a, b = _term(_expr(e.args[0], env)), _term(_expr(e.args[1], env))
        return If(a <= b, a, b) if fn == "min" else If(a >= b, a, b)
    if fn == "len" and len(e.args) == 1 and not e.keywords:
        return _seq(_expr(e.args[0], env)).length
    helpers = _HELPERS.get() or {}
    if fn is not None and fn in helpers and not e.keywords:
        callee = _function(helpers[fn])
        names = [a.arg for a in callee.args.args]
        if len(names) != len(e.args):
            raise Untranslatable(f"line {e.lineno}: {fn} called with other arguments")
        bound = {n: _expr(a, env) for n, a in zip(names, e.args, strict=True)}
        return _block(callee.body, bound)
    if fn == "replace" and len(e.args) == 1:
        base = _expr(e.args[0], env)
        if not isinstance(base, dict):
            raise Untranslatable("replace() of something that is not a record")
        new = dict(base)
        for kw in e.keywords:
            if kw.arg is None or kw.arg not in new:
                raise Untranslatable(f"replace() of an unknown field {kw.arg}")
            new[kw.arg] = _expr(kw.value, env)
        return new
    raise Untranslatable(f"line {e.lineno}: call of {fn}")


@dataclass(frozen=True)
class Equivalence:
    """A spec helper, its translation, and the hand encoding it must equal."""

    name: str
    helper: str
    """The helper's qualified name (the source that is translated)."""
    claim: Callable[[str], Term]
    """From the helper's source: translation == hand encoding, for all inputs."""


def proved_equal(eq: Equivalence, source: str) -> bool:
    """The equivalence holds for ``source`` (the helper's, or a drifted copy)."""
    from ._smt import Proved, prove

    return isinstance(prove(eq.claim(source)), Proved)


def ints(*names: str) -> dict[str, Term]:
    """Fresh integer constants, by name."""
    return {n: z3.Int(n) for n in names}


__all__ = [
    "ERROR",
    "RAISES",
    "Equivalence",
    "Seq",
    "Untranslatable",
    "Value",
    "ints",
    "proved_equal",
    "source_of",
    "translate",
]
