"""Zoom's two limits on Heavy endpoints: requests per rolling second and per UTC day."""

from __future__ import annotations

import math
import threading
from collections import deque
from datetime import date


class RateLimiter:
    def __init__(self, cfg) -> None:
        self._cfg = cfg  # limits are read on every call so a test can change them live
        self._recent: deque[float] = deque()
        self._day: date | None = None
        self._used = 0
        self._lock = threading.Lock()

    def admit(self, mono: float, today: date) -> tuple[str | None, int, int | None]:
        """(None | 'QPS' | 'Daily-limit', seconds to wait for QPS, daily requests remaining).

        Only admitted requests count, so a client that backs off gets through.
        """
        qps_limit, daily_limit = self._cfg.qps_limit, self._cfg.daily_limit
        with self._lock:
            if self._day != today:
                self._day, self._used = today, 0  # the daily cap resets at 00:00 UTC
            remaining = None if daily_limit is None else max(0, daily_limit - self._used)
            if daily_limit is not None and self._used >= daily_limit:
                return "Daily-limit", 0, 0
            if qps_limit is not None:
                recent = self._recent
                while recent and recent[0] <= mono - 1.0:
                    recent.popleft()
                if len(recent) >= qps_limit:
                    wait = max(1, math.ceil(recent[0] + 1.0 - mono))
                    return "QPS", wait, remaining
                recent.append(mono)
            if daily_limit is not None:
                self._used += 1
                remaining = daily_limit - self._used
            return None, 0, remaining
