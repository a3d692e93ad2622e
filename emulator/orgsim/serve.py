"""The organisation as the emulator's record source (`EmulatorConfig(profile="realistic")`).

The emulator's stores ask for one UTC day of one report at a time; the organisation is
generated once, on the first ask, with the emulator's seed, its users as headcount and its
history as the span (starting on the emulator's first day), then served day by day.
Meeting activity records are kept to the millisecond (their store's unit) and belong to the
day of their `activity_time`; the other reports' to the second and the day of their `time`.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from datetime import date

from ..meetings import KIND as MEETING_KIND
from . import Org, OrgSpec, generate


class OrgSource:
    def __init__(self, seed: int, people: int, first_day: date, days: int, attacks: bool) -> None:
        self.spec = OrgSpec(people=people, days=days, seed=seed, attacks=attacks, start=first_day.isoformat())
        self._lock = threading.Lock()
        self._org: Org | None = None
        self._days: dict[tuple[str, str], list[tuple[int, dict]]] = {}

    @property
    def org(self) -> Org:
        with self._lock:
            if self._org is None:
                self._org = generate(self.spec)
                days: dict[tuple[str, str], list[tuple[int, dict]]] = defaultdict(list)
                for ms, log_type, record in self._org.records:
                    if log_type == MEETING_KIND:
                        days[(log_type, record["activity_time"][:10])].append((ms, record))
                    else:
                        days[(log_type, record["time"][:10])].append((ms // 1000, record))
                self._days = dict(days)
            return self._org

    def day(self, kind: str, d: date) -> list[tuple[int, dict]]:
        """(epoch seconds, or milliseconds for meetings, and a copy of the record) for one
        report's UTC day, in time order."""
        self.org  # noqa: B018 - generates on first use
        return [(ts, dict(rec)) for ts, rec in self._days.get((kind, d.isoformat()), ())]
