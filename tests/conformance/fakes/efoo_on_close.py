"""Over the protocol: the spec on caps, ports and errors, except that every
``Close`` is answered with an error name outside the enum, ``EFOO``, with a
detail, and changes nothing."""

from __future__ import annotations

import sys
from typing import Any

from veridian_ipc.conformance import serve
from veridian_ipc.conformance.requests import Apply, decode_request
from veridian_ipc.conformance.targets import SpecTarget
from veridian_ipc.vocabulary.syscalls import Close


class EfooOnClose(serve.Session):
    def answer(self, msg: Any) -> Any:
        req = decode_request(msg)
        if isinstance(req, Apply) and isinstance(req.op, Close):
            result = {"error": "EFOO", "detail": "close is not supported"}
            return {"type": "result", "id": req.id, "result": result}
        return super().answer(msg)


serve.Session = EfooOnClose  # type: ignore[misc]
code = serve.serve(
    SpecTarget, ["caps", "ports", "errors"], sys.stdin.buffer, sys.stdout.buffer
)
sys.exit(code)
