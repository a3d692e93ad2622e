"""Fault queue: what the next requests should suffer instead of a clean answer."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

KINDS = frozenset({
    "429_qps", "429_daily", "500", "503", "slow", "reset", "truncated", "nonjson",
    "expire_access_token", "expire_page_token", "revoke", "lose_token_response",
})
# Kinds that only make sense on the token endpoint (their target defaults to "token").
# lose_token_response: the token request is carried out (a refresh rotates) but the
# connection is reset before the answer reaches the client.
TOKEN_ONLY = frozenset({"lose_token_response"})
# Which requests a queued fault may hit. "report" (the default) means either report endpoint.
TARGETS = frozenset({"report", "activities", "operationlogs", "token", "any"})


@dataclass
class Fault:
    kind: str
    target: str = "report"
    params: dict = field(default_factory=dict)

    def applies_to(self, endpoint: str) -> bool:
        if self.target == "any":
            return True
        if self.target == "report":
            return endpoint in ("activities", "operationlogs")
        return self.target == endpoint


class FaultQueue:
    def __init__(self) -> None:
        self._queue: deque[Fault] = deque()
        self._page_token_expiries = 0
        self.revoked = False
        self._lock = threading.Lock()

    def inject(self, kind: str, count: int = 1, **params) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {sorted(KINDS)}")
        target = params.pop("target", "token" if kind in TOKEN_ONLY else "report")
        if target not in TARGETS:
            raise ValueError(f"unknown fault target {target!r}; expected one of {sorted(TARGETS)}")
        if kind in TOKEN_ONLY and target != "token":
            raise ValueError(f"fault {kind!r} only applies to target 'token'")
        with self._lock:
            if kind == "revoke":
                self.revoked = True
            elif kind == "expire_page_token":
                # Armed until requests that carry a page token come along.
                self._page_token_expiries += count
            else:
                self._queue.extend(Fault(kind, target, dict(params)) for _ in range(count))

    def take(self, endpoint: str, skip: frozenset = frozenset()) -> Fault | None:
        """The oldest queued fault for this kind of request (kinds in `skip` stay queued)."""
        with self._lock:
            for i, fault in enumerate(self._queue):
                if fault.applies_to(endpoint) and fault.kind not in skip:
                    del self._queue[i]
                    return fault
        return None

    def take_page_token_expiry(self) -> bool:
        with self._lock:
            if self._page_token_expiries > 0:
                self._page_token_expiries -= 1
                return True
        return False

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
            self._page_token_expiries = 0
            self.revoked = False

    def pending(self) -> int:
        with self._lock:
            return len(self._queue) + self._page_token_expiries
