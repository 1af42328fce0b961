"""Comparison up to renaming: the bijection between the spec's numbers and a target's.

Pids, handles, mapping ids and object ids are implementation-chosen (spec
``names``): a target may number them its own way, but each must be allocated
afresh and never reused. The checker therefore keeps one bijection per kind of
number, between the spec's numbering (which doubles as the **symbolic names**
of traces: ``h3`` of pid 1 is "the handle the spec calls 3") and the target's:

- a number a target *returns* (a new handle, pid or mapping id; the handles of a
  delivered message) is bound to the spec's number at the same position; if
  either side is already bound to something else, the renaming is not a
  bijection and the step fails (a reused handle shows up exactly like this);
- numbers that appear only in observations (object ids; handles installed by a
  hand-off before ``Resume`` returns them) are bound on first sight, by
  structure (a handle's object) or, failing that, in allocation order.

A target may observe only part of the state, or nothing (``observation``): the
observations are then the declared part on both sides, and the renaming binds
what they show; numbers that only results show (every new handle, pid and
mapping id) are bound from the results alone. What neither shows (a handle a
hand-off installed, before ``Resume`` returns it, of a target observing no
handles) is sent in the spec's own numbering.

Handles and mapping ids are per process: their bijection is keyed by
``(pid, number)`` on each side. File descriptors and names are normative and
never renamed. Operation arguments that name no live number (a stale or
invented handle) are sent to the target as a number it has not used either.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

from veridian_ipc.vocabulary.results import Data
from veridian_ipc.vocabulary.syscalls import Operation

from .surface import ID_FIELDS, RESULT_ID, IdKind
from .wire import decode_op, encode_op

K = TypeVar("K", bound=Hashable)

#: Invented numbers are moved this far out of the way of live ones.
_FRESH_STRIDE = 1 << 20


class RenamingError(Exception):
    """A returned number cannot be bound consistently: the renaming is not a
    bijection (a number reused, or two numbers for one thing)."""


class BiMap(Generic[K]):
    """A partial bijection between spec-side and target-side keys."""

    __slots__ = ("s2t", "t2s")

    def __init__(self) -> None:
        self.s2t: dict[K, K] = {}
        self.t2s: dict[K, K] = {}

    def bind(self, s: K, t: K) -> bool:
        """Bind ``s`` to ``t``; False if either is bound to something else."""
        cur_t = self.s2t.get(s)
        cur_s = self.t2s.get(t)
        if cur_t is None and cur_s is None:
            self.s2t[s] = t
            self.t2s[t] = s
            return True
        return cur_t == t and cur_s == s

    def copy(self) -> BiMap[K]:
        """An independent copy."""
        other: BiMap[K] = BiMap()
        other.s2t = dict(self.s2t)
        other.t2s = dict(self.t2s)
        return other


PidKey = int
Scoped = tuple[int, int]


class Renaming:
    """The bijections of one comparison, and translation both ways."""

    def __init__(self, processes: int) -> None:
        self.pids: BiMap[int] = BiMap()
        self.handles: BiMap[Scoped] = BiMap()
        self.mappings: BiMap[Scoped] = BiMap()
        self.objects: BiMap[int] = BiMap()
        for pid in range(1, processes + 1):  # Target(processes, ...) has pids 1..n
            self.pids.bind(pid, pid)
        #: Live numbers of the last observation on each side, for inventing
        #: numbers that are not live: (kind, pid) -> numbers.
        self.live_spec: dict[tuple[IdKind, int], set[int]] = {}
        self.live_target: dict[tuple[IdKind, int], set[int]] = {}
        #: A thread's task on each side (PROC-THREAD): handles and mappings
        #: are the task's, so they are scoped by the task's pid, not the
        #: thread's. A pid absent here is a task's first thread.
        self.task_spec: dict[int, int] = {}
        self.task_target: dict[int, int] = {}

    def note_thread(
        self, spec_thread: int, spec_process: int, target_thread: int, tpid: int
    ) -> None:
        """``SpawnThread`` made ``spec_thread`` in the task of
        ``spec_process`` and the target's ``target_thread`` in that of its
        ``tpid``: their handles and mappings are their tasks' (PROC-THREAD)."""
        self.task_spec[spec_thread] = self.task_spec.get(spec_process, spec_process)
        self.task_target[target_thread] = self.task_target.get(tpid, tpid)

    def _scope(self, spid: int, tpid: int) -> tuple[int, int]:
        """The tasks whose tables threads ``spid`` and ``tpid`` use."""
        return self.task_spec.get(spid, spid), self.task_target.get(tpid, tpid)

    def copy(self) -> Renaming:
        """An independent copy (one per spec outcome still consistent)."""
        return copy.deepcopy(self)

    # -- numbers in operation arguments --------------------------------------------

    def _map_for(self, kind: IdKind) -> BiMap[Scoped]:
        return self.handles if kind is IdKind.HANDLE else self.mappings

    def _fresh(
        self, v: int, used: Callable[[int], bool], live: Iterable[int] | None
    ) -> int:
        taken = set(live or ())
        candidate = v
        while used(candidate) or candidate in taken:
            candidate += _FRESH_STRIDE
        return candidate

    def pid_to_target(self, pid: int) -> int:
        """The target's pid for the spec's ``pid`` (an unused one if unbound)."""
        t = self.pids.s2t.get(pid)
        if t is not None:
            return t
        return self._fresh(pid, lambda c: c in self.pids.t2s, None)

    def pid_to_spec(self, pid: int) -> int:
        """The spec's pid for the target's ``pid`` (an unused one if unbound)."""
        s = self.pids.t2s.get(pid)
        if s is not None:
            return s
        return self._fresh(pid, lambda c: c in self.pids.s2t, None)

    def _arg_to_target(self, kind: IdKind, spid: int, tpid: int, v: object) -> object:
        if type(v) is not int:
            return v
        if kind is IdKind.PID:
            return self.pid_to_target(v)
        spid, tpid = self._scope(spid, tpid)
        bm = self._map_for(kind)
        bound = bm.s2t.get((spid, v))
        if bound is not None and bound[0] == tpid:
            return bound[1]
        return self._fresh(
            v,
            lambda c: (tpid, c) in bm.t2s,
            self.live_target.get((kind, tpid)),
        )

    def _arg_to_spec(self, kind: IdKind, spid: int, tpid: int, v: object) -> object:
        if type(v) is not int:
            return v
        if kind is IdKind.PID:
            return self.pid_to_spec(v)
        spid, tpid = self._scope(spid, tpid)
        bm = self._map_for(kind)
        bound = bm.t2s.get((tpid, v))
        if bound is not None and bound[0] == spid:
            return bound[1]
        return self._fresh(
            v, lambda c: (spid, c) in bm.s2t, self.live_spec.get((kind, spid))
        )

    def _translate_op(
        self, op: Operation, spid: int, tpid: int, to_target: bool
    ) -> Operation:
        fields = ID_FIELDS.get(type(op).__name__)
        if not fields:
            return op
        conv = self._arg_to_target if to_target else self._arg_to_spec
        data = encode_op(op)
        args = dict(data["args"])
        for name, kind in fields.items():
            v = args[name]
            if isinstance(v, list):
                args[name] = [conv(kind, spid, tpid, x) for x in v]
            else:
                args[name] = conv(kind, spid, tpid, v)
        return decode_op({"op": data["op"], "args": args})

    def op_to_target(self, spid: int, op: Operation) -> tuple[int, Operation]:
        """The target's (pid, operation) for the spec's."""
        tpid = self.pid_to_target(spid)
        return tpid, self._translate_op(op, spid, tpid, to_target=True)

    def op_to_spec(self, tpid: int, op: Operation) -> tuple[int, Operation]:
        """The spec's (pid, operation) for the target's."""
        spid = self.pid_to_spec(tpid)
        return spid, self._translate_op(op, spid, tpid, to_target=False)

    # -- results ---------------------------------------------------------------------

    def _bind_strict(self, what: str, bm: BiMap[K], s: K, t: K) -> None:
        if not bm.bind(s, t):
            raise RenamingError(
                f"target {what} {t} cannot stand for spec {what} {s}: "
                f"{t} already stands for {bm.t2s.get(t)!r} and {s} for "
                f"{bm.s2t.get(s)!r} (not a bijection: a number reused?)"
            )

    def _unify_delivered(self, spid: int, tpid: int, s: Data, t: Data) -> None:
        spid, tpid = self._scope(spid, tpid)
        sc, tc = s.get("caps"), t.get("caps")
        if isinstance(sc, list) and isinstance(tc, list):
            for a, b in zip(sc, tc, strict=False):
                if type(a) is int and type(b) is int:
                    self._bind_strict("handle", self.handles, (spid, a), (tpid, b))

    def unify_result(
        self, op_name: str, spid: int, tpid: int, spec: Data, target: Data
    ) -> Data:
        """Bind the numbers ``target`` returns to ``spec``'s; the target's result
        in the spec's numbering. Raises ``RenamingError`` on a conflict."""
        if isinstance(spec, dict) and isinstance(target, dict):
            sv, tv = spec.get("ok", ...), target.get("ok", ...)
            kind = RESULT_ID.get(op_name)
            if kind is not None and type(sv) is int and type(tv) is int:
                if kind is IdKind.PID:
                    self._bind_strict("pid", self.pids, sv, tv)
                else:
                    what = kind.value
                    s_at, t_at = self._scope(spid, tpid)
                    self._bind_strict(what, self._map_for(kind), (s_at, sv), (t_at, tv))
            elif isinstance(sv, dict) and isinstance(tv, dict) and "caps" in sv:
                self._unify_delivered(spid, tpid, sv, tv)
        return self.result_to_spec(op_name, tpid, target)

    def _tr_pid(self, v: Data) -> Data:
        if type(v) is not int:
            return v
        s = self.pids.t2s.get(v)
        return s if s is not None else f"?pid:{v}"

    def _tr_scoped(self, bm: BiMap[Scoped], tpid: int, v: Data, what: str) -> Data:
        if type(v) is not int:
            return v
        s = bm.t2s.get((self.task_target.get(tpid, tpid), v))
        return s[1] if s is not None else f"?{what}:{v}"

    def _tr_obj(self, v: Data) -> Data:
        if type(v) is not int:
            return v
        s = self.objects.t2s.get(v)
        return s if s is not None else f"?obj:{v}"

    def _tr_delivered(self, tpid: int, d: Data) -> Data:
        out = dict(d)
        out["sender"] = self._tr_pid(d.get("sender"))
        caps = d.get("caps")
        if isinstance(caps, list):
            out["caps"] = [self._tr_scoped(self.handles, tpid, c, "h") for c in caps]
        return out

    def result_to_spec(self, op_name: str, tpid: int, r: Data) -> Data:
        """A target's encoded result in the spec's numbering (no binding)."""
        if not isinstance(r, dict) or "ok" not in r:
            return r
        v = r["ok"]
        kind = RESULT_ID.get(op_name)
        if kind is IdKind.PID:
            return {"ok": self._tr_pid(v)}
        if kind is not None:
            return {"ok": self._tr_scoped(self._map_for(kind), tpid, v, kind.value)}
        if isinstance(v, dict) and "caps" in v and "sender" in v:
            return {"ok": self._tr_delivered(tpid, v)}
        return r

    # -- observations ---------------------------------------------------------------

    def _pair(
        self,
        bm: BiMap[K],
        skeys: Iterable[int],
        tkeys: Iterable[int],
        s_key: Callable[[int], K],
        t_key: Callable[[int], K],
    ) -> None:
        """Bind unbound target keys to unbound spec keys, in allocation order."""
        free_s = sorted(k for k in skeys if s_key(k) not in bm.s2t)
        free_t = sorted(k for k in tkeys if t_key(k) not in bm.t2s)
        for a, b in zip(free_s, free_t, strict=False):
            bm.bind(s_key(a), t_key(b))

    def _bind_obj(self, s: Data, t: Data) -> None:
        if type(s) is int and type(t) is int:
            self.objects.bind(s, t)

    def _bind_process(self, spid: int, tpid: int, sp: Data, tp: Data) -> None:
        spid, tpid = self._scope(spid, tpid)
        sh, th = sp.get("handles", {}), tp.get("handles", {})
        self._pair(self.handles, sh, th, lambda k: (spid, k), lambda k: (tpid, k))
        for h, cap in th.items():
            s = self.handles.t2s.get((tpid, h))
            if s is not None and s[0] == spid and s[1] in sh:
                self._bind_obj(sh[s[1]].get("obj"), cap.get("obj"))
        sm, tm = sp.get("mappings", {}), tp.get("mappings", {})
        self._pair(self.mappings, sm, tm, lambda k: (spid, k), lambda k: (tpid, k))
        for m, mp in tm.items():
            s = self.mappings.t2s.get((tpid, m))
            if s is not None and s[0] == spid and s[1] in sm:
                self._bind_obj(sm[s[1]].get("buf"), mp.get("buf"))
        sf, tf = sp.get("fds", {}), tp.get("fds", {})
        for fd, entry in tf.items():
            if fd in sf:
                self._bind_obj(sf[fd].get("port"), entry.get("port"))
                self._bind_obj(sf[fd].get("peer"), entry.get("peer"))
        ss, ts = sp.get("status"), tp.get("status")
        if isinstance(ss, dict) and isinstance(ts, dict):
            for key in ("waiting", "sending"):  # PORT-SEND-BLOCK: a sender's object
                if key in ss and key in ts:
                    self._bind_obj(ss[key], ts[key])
            sw, tw = ss.get("woken"), ts.get("woken")
            if isinstance(sw, dict) and isinstance(tw, dict):
                so, to = sw.get("ok"), tw.get("ok")
                if isinstance(so, dict) and isinstance(to, dict):
                    self._unify_delivered_lenient(spid, tpid, so, to)

    def _unify_delivered_lenient(self, spid: int, tpid: int, s: Data, t: Data) -> None:
        sc, tc = s.get("caps"), t.get("caps")
        if isinstance(sc, list) and isinstance(tc, list):
            for a, b in zip(sc, tc, strict=False):
                if type(a) is int and type(b) is int:
                    self.handles.bind((spid, a), (tpid, b))

    def bind_observation(self, spec: Data, target: Data) -> None:
        """Bind the numbers first seen in ``target``'s observation to ``spec``'s."""
        sprocs, tprocs = spec.get("processes", {}), target.get("processes", {})
        self._pair(self.pids, sprocs, tprocs, lambda k: k, lambda k: k)
        for tpid, tp in tprocs.items():
            spid = self.pids.t2s.get(tpid)
            if spid is not None and spid in sprocs and isinstance(tp, dict):
                self._bind_process(spid, tpid, sprocs[spid], tp)
        for name, b in target.get("namespace", {}).items():
            sb = spec.get("namespace", {}).get(name)
            if isinstance(sb, dict) and isinstance(b, dict):
                self._bind_obj(sb.get("obj"), b.get("obj"))
        for key in ("ports", "channels", "buffers"):
            if key in target:
                sk, tk = spec.get(key, {}), target[key]
                self._pair(self.objects, sk, tk, lambda k: k, lambda k: k)
        for obj, pt in target.get("ports", {}).items():
            s = self.objects.t2s.get(obj)
            spt = spec.get("ports", {}).get(s) if s is not None else None
            if isinstance(spt, dict) and isinstance(pt, dict):
                squeue = spt.get("queue", [])
                for sm, tm in zip(squeue, pt.get("queue", []), strict=False):
                    for sc, tc in zip(
                        sm.get("caps", []), tm.get("caps", []), strict=False
                    ):
                        if isinstance(sc, dict) and isinstance(tc, dict):
                            self._bind_obj(sc.get("obj"), tc.get("obj"))
        self.live_spec = _live(spec)
        self.live_target = _live(target)

    def _tr_cap(self, c: Data) -> Data:
        if not isinstance(c, dict):
            return c
        return _with(c, "obj", self._tr_obj)

    def _tr_status(self, tpid: int, st: Data) -> Data:
        if not isinstance(st, dict):
            return st
        if "waiting" in st:
            return {**st, "waiting": self._tr_obj(st["waiting"])}
        if "sending" in st:
            return {**st, "sending": self._tr_obj(st["sending"])}
        w = st.get("woken")
        if isinstance(w, dict) and isinstance(w.get("ok"), dict):
            return {"woken": {"ok": self._tr_delivered(tpid, w["ok"])}}
        return st

    def _tr_process(self, tpid: int, p: Data) -> Data:
        if not isinstance(p, dict):
            return p
        out = dict(p)
        if "status" in p:
            out["status"] = self._tr_status(tpid, p["status"])
        if "handles" in p:
            out["handles"] = {
                self._tr_scoped(self.handles, tpid, h, "h"): self._tr_cap(c)
                for h, c in p["handles"].items()
            }
        if "mappings" in p:
            out["mappings"] = {
                self._tr_scoped(self.mappings, tpid, m, "m"): _with(
                    mp, "buf", self._tr_obj
                )
                for m, mp in p["mappings"].items()
            }
        if "fds" in p:
            out["fds"] = {
                fd: _with(_with(e, "port", self._tr_obj), "peer", self._tr_obj)
                for fd, e in p["fds"].items()
            }
        return out

    def _tr_port(self, pt: Data) -> Data:
        if not isinstance(pt, dict):
            return pt
        out = dict(pt)
        if "queue" in pt:
            out["queue"] = [
                _with(_with(m, "sender", self._tr_pid), "caps", self._tr_caps)
                for m in pt["queue"]
            ]
        if "waiters" in pt:
            out["waiters"] = [self._tr_pid(w) for w in pt["waiters"]]
        return out

    def _tr_caps(self, caps: Data) -> Data:
        return [self._tr_cap(c) for c in caps]

    def observation_to_spec(self, target: Data) -> Data:
        """A target's observation in the spec's numbering (no binding); only
        the sections it has (a target may observe part of the state)."""
        out = dict(target)
        if "processes" in target:
            out["processes"] = {
                self._tr_pid(pid): self._tr_process(pid, p)
                for pid, p in target["processes"].items()
            }
        if "ports" in target:
            out["ports"] = {
                self._tr_obj(o): self._tr_port(pt) for o, pt in target["ports"].items()
            }
        for key in ("channels", "buffers"):
            if key in target:
                out[key] = {self._tr_obj(o): c for o, c in target[key].items()}
        if "namespace" in target:
            out["namespace"] = {
                n: _with(b, "obj", self._tr_obj) for n, b in target["namespace"].items()
            }
        return out


def _with(d: Data, key: str, f: Callable[[Data], Data]) -> Data:
    """``d`` with ``d[key]`` translated by ``f``, if ``d`` is an object that
    has ``key`` (a field a target does not observe stays absent)."""
    if isinstance(d, dict) and key in d:
        return {**d, key: f(d[key])}
    return d


def _live(obs: Data) -> dict[tuple[IdKind, int], set[int]]:
    live: dict[tuple[IdKind, int], set[int]] = {}
    for pid, p in obs.get("processes", {}).items():
        if isinstance(p, dict):
            live[(IdKind.HANDLE, pid)] = set(p.get("handles", {}))
            live[(IdKind.MAPPING, pid)] = set(p.get("mappings", {}))
    return live
