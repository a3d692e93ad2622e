"""Precision and recall of the pack on an organisation's logs, measured with hunt.

Input: collected NDJSON lines (bytes, as `collect` writes them), the GeoIP table the
records' addresses resolve in, the number of user-days they cover, and optionally the
attack steps hidden in them (ground truth). Output: a `Measurement` with

- benign signals per rule and severity, per 1,000 user-days, and in the first week after
  the pack is installed (the run starts with the first record, as a rule's learning
  starts when it is created in Datadog);
- for each attack step, the signals raised on its entity while it was happening, and
  whether one of them is of severity low or above.

The goal the pack is held to (issue 14, docs/detections.md): no benign signal of
severity medium or above; at most one low per 1,000 user-days; every attack step seen
at low or above. `Measurement.problems()` lists what misses it.

The source of the logs is the caller's: benchmarks/precision.py and the regression test
generate them with the emulator's realistic organisation (emulator/orgsim), which this
module does not import (contentkit stands alone).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .geoip import GeoIP
from .hunt import Finding, Hunt
from .model import SEVERITIES

DAY_MS = 86_400_000
FIRST_WEEK_MS = 7 * DAY_MS
# A step is "seen while happening" by a signal on its entity that opens (or is still
# being extended) between the step's start and this long after its last record: the
# time a rule's evaluation window needs to close on the step's last event.
GRACE_MS = 3_600_000
LOW = SEVERITIES.index("low")
MEDIUM = SEVERITIES.index("medium")
MAX_LOW_PER_1000_USER_DAYS = 1.0


@dataclass
class StepResult:
    scenario: str
    step: str
    description: str
    entity: str
    start_ms: int
    end_ms: int
    signals: list[tuple[str, str]] = field(default_factory=list)  # (rule id, severity)

    @property
    def best(self) -> str | None:
        if not self.signals:
            return None
        return max((s for _, s in self.signals), key=SEVERITIES.index)

    @property
    def seen(self) -> bool:
        return self.best is not None and SEVERITIES.index(self.best) >= LOW


@dataclass
class Measurement:
    user_days: int
    start_ms: int
    benign: list[Finding]
    steps: list[StepResult]

    def by_rule(self) -> dict[str, Counter]:
        """rule id -> Counter of severities, over the whole run."""
        out: dict[str, Counter] = defaultdict(Counter)
        for f in self.benign:
            out[f.rule_id][f.severity] += 1
        return dict(out)

    def first_week(self) -> dict[str, Counter]:
        out: dict[str, Counter] = defaultdict(Counter)
        for f in self.benign:
            if f.signal.first_seen - self.start_ms < FIRST_WEEK_MS:
                out[f.rule_id][f.severity] += 1
        return dict(out)

    def per_1000_user_days(self, severity: str) -> float:
        n = sum(1 for f in self.benign if f.severity == severity)
        return 1000.0 * n / self.user_days if self.user_days else 0.0

    def problems(self) -> list[str]:
        out = []
        loud = Counter(f.rule_id for f in self.benign if SEVERITIES.index(f.severity) >= MEDIUM)
        for rule_id, n in sorted(loud.items()):
            out.append(f"{rule_id}: {n} benign signal(s) of severity medium or above")
        low = self.per_1000_user_days("low")
        if low > MAX_LOW_PER_1000_USER_DAYS:
            out.append(f"{low:.2f} benign low signals per 1,000 user-days (goal: at most {MAX_LOW_PER_1000_USER_DAYS})")
        for step in self.steps:
            if not step.seen:
                got = f"only {step.best}" if step.best else "no signal"
                out.append(f"attack {step.scenario} / {step.step} on {step.entity}: {got}")
        return out

    def as_json(self) -> dict[str, Any]:
        return {
            "user_days": self.user_days,
            "per_1000_user_days": {s: round(self.per_1000_user_days(s), 3) for s in SEVERITIES},
            "benign": {r: dict(c) for r, c in sorted(self.by_rule().items())},
            "benign_first_week": {r: dict(c) for r, c in sorted(self.first_week().items())},
            "steps": [
                {
                    "scenario": s.scenario,
                    "step": s.step,
                    "entity": s.entity,
                    "best": s.best,
                    "signals": sorted(set(s.signals)),
                }
                for s in self.steps
            ],
            "problems": self.problems(),
        }


def _get(step: Any, name: str):
    return step[name] if isinstance(step, dict) else getattr(step, name)


def hunt(lines: bytes, networks: Iterable[dict], workers: int | None = None) -> tuple[list[Finding], int | None]:
    """Every signal of the pack on these lines, with the organisation's GeoIP table;
    and the time of the first event (None when there is none)."""
    first: list[int] = []

    def on_event(event: dict) -> None:
        if not first:
            first.append(event.get("timestamp", 0))

    geo = GeoIP.from_networks(networks, description="organisation GeoIP table")
    findings = Hunt(geoip=geo, workers=workers).run([("organisation", lines)], on_event=on_event)
    return findings, (first[0] if first else None)


def _entities(finding: Finding) -> set[str]:
    """Who a signal is about: its group-by values, and the users of its samples (a
    new-value rule over the whole account groups by the new value, not by the user)."""
    s = finding.signal
    out = {str(v).lower() for v in s.group.values()}
    out |= {str(x["usr.email"]).lower() for x in s.samples if isinstance(x, dict) and x.get("usr.email")}
    return out


def match_steps(findings: list[Finding], steps: Iterable[Any]) -> tuple[list[StepResult], set[int]]:
    """Each step with the signals on its entity while it happened; and the indexes of
    findings so attributed (the rest are benign)."""
    results, used = [], set()
    for step in steps:
        result = StepResult(
            _get(step, "scenario"),
            _get(step, "step"),
            _get(step, "description"),
            _get(step, "entity"),
            _get(step, "start_ms"),
            _get(step, "end_ms"),
        )
        entity = result.entity.lower()
        records = {str(r) for r in (_get(step, "records") or ())}
        for i, f in enumerate(findings):
            s = f.signal
            if not (
                entity in _entities(f) and s.last_seen >= result.start_ms and s.first_seen <= result.end_ms + GRACE_MS
            ):
                continue
            # A signal a benign event opened on the same person is not the step's: when the
            # signal keeps record ids (log rules do), one of them must be the step's.
            ids = {str(x.get("record_id")) for x in s.samples if isinstance(x, dict) and x.get("record_id")}
            if ids and records and not ids & records:
                continue
            result.signals.append((f.rule_id, f.severity))
            used.add(i)
        results.append(result)
    return results, used


def measure(
    benign_lines: bytes,
    networks: list[dict],
    user_days: int,
    attack_lines: bytes | None = None,
    steps: Iterable[Any] = (),
    workers: int | None = None,
    attacked: list[Finding] | None = None,
) -> Measurement:
    """Precision on `benign_lines` (the organisation alone) and recall on `attack_lines`
    (the same organisation with the attacks in it), each a separate hunt, so an
    attack's signals never count against precision nor a benign signal for recall.
    `attacked` is that second hunt's findings when the caller already has them."""
    benign, start = hunt(benign_lines, networks, workers)
    results: list[StepResult] = []
    if attacked is None and attack_lines is not None:
        attacked, _ = hunt(attack_lines, networks, workers)
    if attacked is not None:
        results, _ = match_steps(attacked, steps)
    return Measurement(user_days, start or 0, benign, results)
