"""Fault queue: what the next requests should suffer instead of a clean answer."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

KINDS = frozenset(
    {
        "429_qps",
        "429_daily",
        "500",
        "503",
        "slow",
        "reset",
        "truncated",
        "nonjson",
        "expire_access_token",
        "expire_page_token",
        "revoke",
        "lose_token_response",
        "wrong_shape",
        "truncate_last_page",
    }
)
# Kinds that only make sense on the token endpoint (their target defaults to "token").
# lose_token_response: the token request is carried out (a refresh rotates) but the
# connection is reset before the answer reaches the client.
TOKEN_ONLY = frozenset({"lose_token_response"})
# Kinds that reshape or cut a report page, so a token answer has nothing for them to strike.
REPORT_ONLY = frozenset({"wrong_shape", "truncate_last_page"})
# wrong_shape: a 200 whose JSON body is not the page the collector expects, shaped by param
# `shape` (see api._wrong_shape): a report body checked only for a status code or for
# parsing as JSON would pass these on as data.
SHAPES = ("data_string", "no_records", "records_not_list", "record_not_object", "token_not_string", "not_object")
# truncate_last_page: waits in the queue, letting other pages pass, until an answer ends a
# window (empty next_page_token), then cuts that body like "truncated": the page a collector
# is most tempted to take as the end of the data.
LAST_PAGE_ONLY = frozenset({"truncate_last_page"})
# Which requests a queued fault may hit. "report" (the default) means any report endpoint.
REPORTS = frozenset({"activities", "operationlogs", "meeting_activities"})
TARGETS = REPORTS | {"report", "token", "any"}


@dataclass
class Fault:
    kind: str
    target: str = "report"
    params: dict = field(default_factory=dict)

    def applies_to(self, endpoint: str) -> bool:
        if self.target == "any":
            return True
        if self.target == "report":
            return endpoint in REPORTS
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
        if kind in REPORT_ONLY and target in ("token", "any"):
            raise ValueError(f"fault {kind!r} only applies to report targets")
        if kind == "wrong_shape":
            params.setdefault("shape", "data_string")
            if params["shape"] not in SHAPES:
                raise ValueError(f"unknown wrong_shape shape {params['shape']!r}; expected one of {list(SHAPES)}")
        with self._lock:
            if kind == "revoke":
                self.revoked = True
            elif kind == "expire_page_token":
                # Armed until requests that carry a page token come along.
                self._page_token_expiries += count
            else:
                self._queue.extend(Fault(kind, target, dict(params)) for _ in range(count))

    def take(self, endpoint: str, skip: frozenset = frozenset()) -> Fault | None:
        """The oldest queued fault for this kind of request (kinds in `skip`, and the
        LAST_PAGE_ONLY kinds, stay queued)."""
        return self._pop(lambda f: f.applies_to(endpoint) and f.kind not in skip and f.kind not in LAST_PAGE_ONLY)

    def take_last_page(self, endpoint: str) -> bool:
        """Whether a queued truncate_last_page strikes this answer, which ends a window."""
        return self._pop(lambda f: f.kind in LAST_PAGE_ONLY and f.applies_to(endpoint)) is not None

    def _pop(self, wanted) -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self._queue):
                if wanted(fault):
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
