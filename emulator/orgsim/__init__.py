"""A realistic organisation's Zoom audit logs, with an attack set hidden in them.

    from emulator.orgsim import generate, OrgSpec
    org = generate(OrgSpec(people=300, days=42, seed=1, attacks=True, start="2026-09-01"))
    org.records      # [(epoch_ms, log_type, record)] in time order ("activity", "operation",
                     # "meeting_activity")
    org.networks     # GeoIP table entries (contentkit.geoip.GeoIP.from_networks)
    org.attacks      # [AttackStep]: the ground truth of every attack step
    org.user_days    # people x days, the denominator of "per 1,000 user-days"
    org.write(dirpath)  # zoom.ndjson (the collector's lines), geoip.json, attacks.json

The company (world.py): offices behind shared NAT addresses, remote staff behind a cloud
security proxy on a hosting AS, a corporate VPN egressing in New York, mobile carriers' CGNAT
pools, trips and conferences, leave, part-timers, new phones, fortnightly client releases,
an identity provider's nightly SCIM sync, an IT team and a help desk (benign.py), and their
meetings as Zoom's meeting activity report shows them (meetings.py). The attack
set (attacks.py) is added on top: `attacks=False` gives exactly the same benign records
without it, `meetings=False` the same sign-in and operation records without the meetings.
Everything is drawn from the seed: the same spec gives the same bytes.
See docs/orgsim.md.
"""

from __future__ import annotations

import json
import random
from dataclasses import asdict, dataclass, field
from datetime import date
from operator import itemgetter
from pathlib import Path

from ..meetings import KIND as MEETING_KIND
from ..timeutil import day_start
from .attacks import Attacks
from .benign import Benign, Trip
from .lines import DEFAULT_ACCOUNT, record_ids, render
from .meetings import Meetings
from .world import DOMAIN, SCIM_OPERATOR, People, build_infrastructure, build_people

__all__ = ["OrgSpec", "Org", "AttackStep", "generate", "DOMAIN", "SCIM_OPERATOR"]

MIN_PEOPLE = 20  # the IT team, the help desk and a few members for the stories


@dataclass(frozen=True)
class OrgSpec:
    people: int = 300
    days: int = 42
    seed: int = 1
    attacks: bool = True
    start: str = "2026-09-01"  # first UTC day
    account: str = DEFAULT_ACCOUNT  # the collector's account name in the lines (and record_ids)
    meetings: bool = True  # the meeting activity report (and the meeting attack scenarios)

    def __post_init__(self) -> None:
        if self.people < MIN_PEOPLE:
            raise ValueError(f"people must be at least {MIN_PEOPLE}, not {self.people}")
        if self.days < 1:
            raise ValueError(f"days must be at least 1, not {self.days}")
        date.fromisoformat(self.start)


@dataclass(frozen=True)
class AttackStep:
    scenario: str
    step: int
    description: str
    # What a signal would be grouped by: the signing-in user or the operator (an email), or for
    # a step inside one meeting, its meeting ID without spaces (zoom.meeting.id).
    entity: str
    start_ms: int
    end_ms: int  # the step's last record (equal to start_ms for a one-record step)
    records: tuple[str, ...]  # record_ids of its records (the collector's ids, see lines.py)


@dataclass
class Org:
    spec: OrgSpec
    records: list[tuple[int, str, dict]]
    record_ids: list[str]  # parallel to records
    networks: list[dict]
    attacks: list[AttackStep]
    people: People
    trips: list[Trip] = field(default_factory=list)

    @property
    def user_days(self) -> int:
        return self.spec.people * self.spec.days

    def lines(self) -> list[bytes]:
        account = self.spec.account
        return [render(rec, lt, account, rid) for (_, lt, rec), rid in zip(self.records, self.record_ids)]

    def day_entries(self, log_type: str, day: date) -> list[tuple[int, dict]]:
        """(epoch seconds, or milliseconds for meeting activity, and record) of one UTC day and
        report: what the emulator's store serves."""
        prefix = day.isoformat()
        if log_type == MEETING_KIND:
            return [(ms, dict(r)) for ms, lt, r in self.records if lt == log_type and r["activity_time"][:10] == prefix]
        return [(ms // 1000, dict(r)) for ms, lt, r in self.records if lt == log_type and r["time"].startswith(prefix)]

    def write(self, dirpath: str | Path) -> Path:
        out = Path(dirpath)
        out.mkdir(parents=True, exist_ok=True)
        (out / "zoom.ndjson").write_bytes(b"".join(self.lines()))
        table = {
            "description": "orgsim network table: RFC 2544 198.18.0.0/15 and RFC 3849 2001:db8:8000::/33, "
            "benchmark/documentation space pinned to plausible cities and ASNs (docs/orgsim.md). Not real data.",
            "networks": self.networks,
        }
        (out / "geoip.json").write_text(json.dumps(table, ensure_ascii=False, indent=1) + "\n", "utf-8")
        steps = [{**asdict(s), "records": list(s.records)} for s in self.attacks]
        (out / "attacks.json").write_text(json.dumps(steps, ensure_ascii=False, indent=1) + "\n", "utf-8")
        return out


def generate(spec: OrgSpec) -> Org:
    start = date.fromisoformat(spec.start)
    infra = build_infrastructure()
    people = build_people(random.Random(f"orgsim:{spec.seed}:people"), infra, spec.people, spec.days, start.weekday())
    benign = Benign(spec.seed, start, spec.days, infra, people)
    first, end = day_start(start), day_start(start) + spec.days * 86400
    # Only the span's UTC days: a Singapore morning on day 0 is the previous UTC evening.
    operations = benign.operations()
    entries = [e for e in benign.activity() + operations if first <= e[0] < end]
    # Stable sort: records of one second keep generation order; attack records come after.
    entries.sort(key=itemgetter(0))
    # Times in milliseconds from here: meeting records have them, the others are whole seconds.
    tagged: list[tuple[int, str, dict, int | None]] = [(ts * 1000, lt, rec, None) for ts, lt, rec in entries]
    if spec.meetings:
        # Their own RNG streams: the records above are the same with or without them.
        meetings = Meetings(spec.seed, start, spec.days, people, benign.trip_of)
        tagged += [(ts * 1000, lt, rec, None) for ts, lt, rec in meetings.operations(operations) if first <= ts < end]
        tagged += [(ms, MEETING_KIND, rec, None) for ms, rec in meetings.records() if first * 1000 <= ms < end * 1000]
    steps = Attacks(spec.seed, start, spec.days, infra, people, infra.plan).steps(spec.meetings) if spec.attacks else []
    for i, step in enumerate(steps):
        tagged += [(ts * 1000, lt, rec, i) for ts, lt, rec in step.entries if first <= ts < end]
        tagged += [(ms, MEETING_KIND, rec, i) for ms, rec in step.meetings if first * 1000 <= ms < end * 1000]
    tagged.sort(key=itemgetter(0))
    records = [(ms, lt, rec) for ms, lt, rec, _ in tagged]
    ids = record_ids(((lt, rec) for _, lt, rec in records), spec.account)
    by_step: dict[int, list[tuple[int, str]]] = {}
    for (ms, _lt, _rec, tag), rid in zip(tagged, ids):
        if tag is not None:
            by_step.setdefault(tag, []).append((ms, rid))
    attacks = []
    for i, step in enumerate(steps):
        hits = by_step.get(i)
        if not hits:
            continue  # a step pushed past the span's end
        attacks.append(
            AttackStep(
                step.scenario,
                step.step,
                step.description,
                step.entity,
                min(t for t, _ in hits),
                max(t for t, _ in hits),
                tuple(r for _, r in hits),
            )
        )
    attacks.sort(key=lambda s: (s.start_ms, s.scenario, s.step))
    return Org(spec, records, ids, infra.plan.table(), attacks, people, benign.trips)
