"""emulator.orgsim: the realistic organisation and its attack set (docs/orgsim.md)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from helpers import EmulatedRun

from collector.output import render as collector_render
from collector.records import fingerprint as collector_fingerprint
from collector.records import record_id as collector_record_id
from contentkit.geoip import GeoIP
from emulator import Emulator, EmulatorConfig
from emulator.meetings import record_ms as meeting_ms
from emulator.orgsim import SCIM_OPERATOR, OrgSpec, generate
from emulator.orgsim.__main__ import main as orgsim_main
from emulator.orgsim.places import CITIES, km


@pytest.fixture(scope="module")
def org():
    return generate(OrgSpec(people=300, days=42, seed=1))


@pytest.fixture(scope="module")
def benign():
    return generate(OrgSpec(people=300, days=42, seed=1, attacks=False))


@pytest.fixture(scope="module")
def geo(org):
    return GeoIP.from_networks(org.networks)


# The fields Zoom documents for each report (the emulator's toy account has the same).
ACTIVITY_FIELDS = {"email", "time", "type", "ip_address", "client_type", "version"}
OPERATION_FIELDS = {"time", "operator", "category_type", "action", "operation_detail"}
MEETING_FIELDS = {
    "meeting_number",
    "activity_time",
    "operator",
    "operator_email",
    "activity_category",
    "activity_detail",
}
MEETING_TIME = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}")


def _purpose(org, purpose):
    import ipaddress

    from emulator.orgsim.world import build_infrastructure

    wanted = [ipaddress.ip_network(n.cidr) for n in build_infrastructure().plan.nets if n.purpose == purpose]
    return lambda ip: any(ipaddress.ip_address(ip) in net for net in wanted)


def test_same_seed_same_bytes_other_seed_other_records():
    a = generate(OrgSpec(people=60, days=30, seed=5))
    b = generate(OrgSpec(people=60, days=30, seed=5))
    c = generate(OrgSpec(people=60, days=30, seed=6))
    assert a.lines() == b.lines() and a.attacks == b.attacks
    assert a.lines() != c.lines()


def _day(log_type, rec):
    """The record's UTC day, as the collector reads it."""
    return rec["activity_time"][:10] if log_type == "meeting_activity" else rec["time"][:10]


def test_records_are_in_time_order_within_the_span_with_the_collectors_field_types(org):
    times = [ms for ms, _, _ in org.records]
    assert times == sorted(times)
    assert _day(*org.records[0][1:]) >= "2026-09-01" and _day(*org.records[-1][1:]) < "2026-10-13"
    fields = {"activity": ACTIVITY_FIELDS, "operation": OPERATION_FIELDS, "meeting_activity": MEETING_FIELDS}
    for ms, log_type, rec in org.records:
        assert set(rec) == fields[log_type], rec
        assert all(isinstance(rec[k], str) for k in rec), rec
        if log_type == "meeting_activity":
            assert MEETING_TIME.fullmatch(rec["activity_time"]), rec
            assert meeting_ms(rec) == ms
        else:
            assert datetime.fromisoformat(rec["time"]).timestamp() * 1000 == ms
    assert {lt for _, lt, _ in org.records} == set(fields)
    assert org.user_days == 300 * 42


def test_lines_are_the_collectors_bytes(org):
    seen: dict = defaultdict(int)
    for (_ms, log_type, rec), line in zip(org.records, org.lines()):
        fp = collector_fingerprint(rec)
        key = (log_type, _day(log_type, rec), fp)
        seen[key] += 1
        assert line == collector_render(
            rec, log_type, "default", collector_record_id("default", log_type, fp, seen[key])
        )


def test_every_address_resolves_in_the_table(org, geo):
    ips = {rec["ip_address"] for _, lt, rec in org.records if lt == "activity"}
    assert len(ips) > 500
    assert all(geo.lookup(ip) is not None for ip in ips)
    assert all(ip.startswith("198.18.") or ip.startswith("198.19.") or ip.startswith("2001:db8:8") for ip in ips)


def test_an_office_nat_address_is_shared_by_dozens_on_a_weekday(org):
    is_office = _purpose(org, "office")
    users = defaultdict(set)
    for _, lt, rec in org.records:
        if lt == "activity" and datetime.fromisoformat(rec["time"]).weekday() < 5 and is_office(rec["ip_address"]):
            users[(rec["ip_address"], rec["time"][:10])].add(rec["email"])
    assert max(len(v) for v in users.values()) >= 30


def test_proxy_egress_is_hosting_and_shared_by_remote_staff(org, geo):
    is_proxy = _purpose(org, "proxy")
    proxied = defaultdict(set)
    for _, lt, rec in org.records:
        if lt == "activity" and is_proxy(rec["ip_address"]):
            proxied[rec["ip_address"]].add(rec["email"])
    assert proxied
    assert all(geo.lookup(ip)["as"]["type"] == "hosting" for ip in proxied)
    assert max(len(v) for v in proxied.values()) >= 10


def test_a_nightly_scim_burst_every_weekday(org):
    by_day = defaultdict(list)
    for ms, lt, rec in org.records:
        if lt == "operation" and rec["operator"] == SCIM_OPERATOR:
            by_day[rec["time"][:10]].append(ms)
    weekdays = [d for d in by_day if datetime.fromisoformat(d).weekday() < 5]
    assert len(weekdays) >= 25
    for day in weekdays:
        times = sorted(by_day[day])
        assert len(times) >= 15 and times[14] - times[0] <= 15 * 60_000, day


def test_trips_move_at_airliner_speed(org, geo):
    checked = 0
    for trip in org.trips:
        signins = [
            (ms, geo.lookup(rec["ip_address"]))
            for ms, lt, rec in org.records
            if lt == "activity"
            and rec["email"] == trip.email
            and trip.out_depart_ts * 1000 - 6 * 3600_000 <= ms <= trip.out_arrive_ts * 1000 + 3600_000
        ]
        there = [ms for ms, g in signins if g["city"]["name"] == trip.dest.name and ms > trip.out_depart_ts * 1000]
        before = [(ms, g) for ms, g in signins if ms < trip.out_depart_ts * 1000]
        if not there or not before:
            continue
        ms0, g0 = before[-1]
        origin = CITIES[g0["city"]["name"]]
        hours = (there[0] - ms0) / 3600_000
        speed = km(origin, trip.dest) / hours
        assert 150 < speed < 1000, (trip, speed)
        checked += 1
    assert checked >= 10


def test_attack_steps_are_records_of_the_org_and_absent_without_attacks(org, benign):
    ids = set(org.record_ids)
    assert len({s.scenario for s in org.attacks}) >= 6
    attack_ids = {rid for s in org.attacks for rid in s.records}
    assert attack_ids <= ids
    assert not attack_ids & set(benign.record_ids)
    by_id = dict(zip(org.record_ids, org.records))
    for step in org.attacks:
        times = [by_id[r][0] for r in step.records]
        assert (min(times), max(times)) == (step.start_ms, step.end_ms)
        for r in step.records:
            _, log_type, rec = by_id[r]
            if log_type == "meeting_activity" and step.entity.isdigit():  # a step inside one meeting
                assert step.entity == rec["meeting_number"].replace(" ", "")
            elif log_type == "meeting_activity":  # a user's meetings
                assert step.entity == rec["operator_email"]
            else:
                assert step.entity == rec.get("email", rec.get("operator"))
    # The benign org is the attack run minus the attack records, record for record.
    assert [r for r, rid in zip(org.records, org.record_ids) if rid not in attack_ids] == benign.records
    assert benign.attacks == []


def test_cli_writes_the_three_files(tmp_path, capsys):
    assert orgsim_main(["--people", "30", "--days", "28", "--seed", "2", "--out", str(tmp_path)]) == 0
    org = generate(OrgSpec(people=30, days=28, seed=2))
    assert (tmp_path / "zoom.ndjson").read_bytes() == b"".join(org.lines())
    assert "networks" in (tmp_path / "geoip.json").read_text("utf-8")
    assert "scenario" in (tmp_path / "attacks.json").read_text("utf-8")
    assert b'"log_type":"meeting_activity"' in (tmp_path / "zoom.ndjson").read_bytes()
    assert orgsim_main(["--people", "30", "--days", "28", "--seed", "2", "--no-meetings", "--out", str(tmp_path)]) == 0
    without = generate(OrgSpec(people=30, days=28, seed=2, meetings=False))
    assert (tmp_path / "zoom.ndjson").read_bytes() == b"".join(without.lines())
    assert b'"log_type":"meeting_activity"' not in (tmp_path / "zoom.ndjson").read_bytes()
    assert orgsim_main(["--people", "5", "--out", str(tmp_path)]) == 2
    assert "people must be at least" in capsys.readouterr().err


def test_the_realistic_profile_serves_the_org_to_the_collector(tmp_path):
    cfg = EmulatorConfig(profile="realistic", users=40, history_days=30, seed=3)
    with Emulator(cfg) as emu:
        today = emu.now().date()
        since, until = today - timedelta(days=3), today - timedelta(days=1)
        run = EmulatedRun(emu, tmp_path / "s.sqlite3")
        run.collector.backfill(since, until)
        written = sorted(run.buffer.getvalue().splitlines(keepends=True))
        run.close()
    org = generate(OrgSpec(people=40, days=30, seed=3, start=(today - timedelta(days=29)).isoformat()))
    lo, hi = since.isoformat(), until.isoformat()
    collected = {orjson.loads(line)["log_type"] for line in written}
    assert collected == {"activity", "operation", "meeting_activity"}  # all three reports, byte for byte
    expected = sorted(
        line for (_, lt, rec), line in zip(org.records, org.lines()) if lt in collected and lo <= _day(lt, rec) <= hi
    )
    assert len(expected) > 100
    assert written == expected


def test_realistic_profile_refuses_arrivals():
    with pytest.raises(ValueError, match="arrivals_per_request"):
        EmulatorConfig(profile="realistic", arrivals_per_request=1)
    with pytest.raises(ValueError, match="profile"):
        EmulatorConfig(profile="huge")


# ---- meeting activity (docs/meeting-activity.md, docs/orgsim.md) -----------------------------
WEBMAIL = {"gmail.com", "outlook.com", "yahoo.com", "icloud.com", "hotmail.com", "proton.me"}
# The contract's detail wording per category (case-insensitive category, exact detail).
_DETAIL = {
    "meeting created": re.compile(r"Meeting created"),
    "meeting started": re.compile(r"Meeting started"),
    "meeting ended": re.compile(r"Meeting ended"),
    "user joined": re.compile(r"(?P<name>.+) joined the meeting(?P<phone> by phone)?"),
    "user left": re.compile(r"(?P<name>.+) left the meeting"),
    "in-meeting chat": re.compile(r"(?P<name>.+) sent a chat message"),
    "remote control": re.compile(
        r"(?P<name>.+) (?P<action>requested|started|stopped) remote control of (?P<target>.+)'s screen"
    ),
}
DIAL_IN_NAME = re.compile(r"Call-in user \d+|\+\d{1,3} \d+\*\*\*\d{4}")


def _meetings(org):
    """Meeting activity records, and the meetings they make: for each start, its records up
    to its end (a number hosts one meeting at a time)."""
    records = [(ms, rec) for ms, lt, rec in org.records if lt == "meeting_activity"]
    open_, done = {}, []
    for ms, rec in records:
        number, category = rec["meeting_number"], rec["activity_category"].lower()
        if category == "meeting started" and not (number in open_ and open_[number]["start"] == ms):  # not a repeat
            assert number not in open_, f"{number} started twice at once"
            open_[number] = {"number": number, "start": ms, "host": rec["operator_email"], "records": []}
        if number in open_:
            open_[number]["records"].append((ms, rec))
            if category == "meeting ended":
                m = open_.pop(number)
                m["end"] = ms
                done.append(m)
    return records, done


def _kind(email):
    if not email:
        return "anonymous"
    domain = email.rsplit("@", 1)[1]
    return "internal" if domain == "example.com" else "webmail" if domain in WEBMAIL else "organisation"


@pytest.fixture(scope="module")
def meetings(benign):
    return _meetings(benign)


def test_meeting_records_have_the_contracts_fields_and_wordings(org):
    records, _ = _meetings(org)
    assert len(records) > 50_000
    categories = Counter()
    for _ms, rec in records:
        category = rec["activity_category"].lower()
        categories[category] += 1
        m = _DETAIL[category].fullmatch(rec["activity_detail"])
        assert m, rec
        assert re.fullmatch(r"\d{3} \d{3,4} \d{4}", rec["meeting_number"]), rec
        if "name" in m.groupdict():
            assert m["name"] == rec["operator"], rec  # the participant, or the controller
        if m.groupdict().get("phone"):
            assert rec["operator_email"] == "" and DIAL_IN_NAME.fullmatch(rec["operator"]), rec
        if rec["operator_email"]:
            assert re.fullmatch(r"[a-z0-9.]+@[a-z0-9.-]+", rec["operator_email"]), rec
    assert set(categories) == set(_DETAIL)
    # Both spellings of the start category, as Zoom's samples show.
    assert {r["activity_category"] for _, r in records} >= {"Meeting started", "Meeting Started"}


def test_meetings_change_no_other_record(org, benign):
    """The sign-in and operation records are byte-identical with meetings left out: the
    meetings add only their own records and the IT team's two group edits."""
    from emulator.orgsim.meetings import GROUPS_KEEPING_REMOTE, group_remote_on

    edits = {group_remote_on(g) for g in GROUPS_KEEPING_REMOTE}
    for with_meetings in (org, benign):
        spec = with_meetings.spec
        without = generate(OrgSpec(spec.people, spec.days, spec.seed, spec.attacks, spec.start, meetings=False))
        scenarios = {s.scenario for s in without.attacks}
        theirs = {rid for s in with_meetings.attacks if s.scenario not in scenarios for rid in s.records}
        kept = [
            (r, rid)
            for r, rid in zip(with_meetings.records, with_meetings.record_ids)
            if r[1] != "meeting_activity" and r[2].get("operation_detail") not in edits and rid not in theirs
        ]
        assert [r for r, _ in kept] == without.records
        assert [rid for _, rid in kept] == without.record_ids
        assert not any(lt == "meeting_activity" for _, lt, _ in without.records)
        assert {s.scenario for s in without.attacks} < {s.scenario for s in with_meetings.attacks} or not spec.attacks


def test_meetings_by_team_role_and_office(benign, meetings):
    records, done = meetings
    people = {p.email: p for p in benign.people.everyone}
    workdays = sum(1 for d in range(42) if (datetime(2026, 9, 1) + timedelta(days=d)).weekday() < 5)  # 30
    joins = Counter(
        people[r["operator_email"]].department
        for _, r in records
        if r["operator_email"] in people and r["activity_category"] == "User joined"
    )
    heads = Counter(p.department for p in benign.people.everyone)
    per_day = {d: joins[d] / heads[d] / workdays for d in heads}
    assert all(1.5 < v < 8 for v in per_day.values()), per_day
    assert per_day["Sales"] > per_day["Finance"] and per_day["Product"] > per_day["Legal"]
    # Local working hours: the offices' meetings start at different UTC hours.
    hours = defaultdict(list)
    away = {(t.email, d) for t in benign.trips for d in range(t.depart, t.back + 1)}
    day0 = int(datetime(2026, 9, 1, tzinfo=UTC).timestamp()) * 1000
    for m in done:
        p = people.get(m["host"])
        if p is not None and p.office and (p.email, (m["start"] - day0) // 86_400_000) not in away:
            hours[p.office].append(m["start"] // 3_600_000 % 24)
    median = {o: sorted(h)[len(h) // 2] for o, h in hours.items()}
    assert median["Singapore"] <= 6 and 7 <= median["London"] <= 12 and median["New York"] >= 13, median
    # Stand-ups: one series number meets every weekday.
    series = Counter(m["number"] for m in done)
    assert series.most_common(1)[0][1] >= workdays - 2


def test_meetings_have_the_benign_hard_cases(benign, meetings):
    records, done = meetings
    internal_names = {f"{p.first} {p.last}" for p in benign.people.everyone}
    # An all-hands with hundreds of joins.
    assert max(sum(1 for _, r in m["records"] if r["activity_category"] == "User joined") for m in done) >= 150
    # Meetings running past 00:00 UTC; meetings created days before they start.
    assert sum(1 for m in done if m["start"] // 86_400_000 != m["end"] // 86_400_000) >= 5
    created = defaultdict(list)
    for ms, r in records:
        if r["activity_category"] == "Meeting created":
            created[r["meeting_number"]].append(ms)
    ahead = [
        m for m in done if any(m["start"] - 10 * 86_400_000 < t < m["start"] - 86_400_000 for t in created[m["number"]])
    ]
    assert len(ahead) > 500
    # Rejoins after a dropped connection: the same participant joins twice in one meeting.
    rejoined = [
        m
        for m in done
        if max(
            Counter(r["operator"] for _, r in m["records"] if r["activity_category"] == "User joined").values(),
            default=0,
        )
        > 1
    ]
    assert len(rejoined) > 100
    # Participants of every kind: internal, other companies, webmail, anonymous, dial-in.
    joins = [r for _, r in records if r["activity_category"] == "User joined"]
    kinds = Counter(_kind(r["operator_email"]) for r in joins)
    assert all(kinds[k] > 200 for k in ("internal", "organisation", "webmail", "anonymous")), kinds
    dial = [r["operator"] for r in joins if r["activity_detail"].endswith(" by phone")]
    assert any(d.startswith("Call-in user ") for d in dial) and any("***" in d for d in dial)
    guests = [r for r in joins if not r["operator_email"] and not r["activity_detail"].endswith(" by phone")]
    assert guests and not any(DIAL_IN_NAME.fullmatch(r["operator"]) for r in guests)

    # One internal participant alone with an outsider (sales calls, phone screens, interviews).
    def participants(m):
        return {
            (r["operator"], r["operator_email"]) for _, r in m["records"] if r["activity_category"] == "User joined"
        }

    lone = [
        m for m in done if len(participants(m)) == 2 and sum(_kind(e) == "internal" for _, e in participants(m)) == 1
    ]
    assert len(lone) > 300
    assert any(any(_kind(e) == "webmail" for _, e in participants(m)) for m in lone)
    # Remote control: the help desk (one account shows "IT Service Desk") on colleagues'
    # screens; support engineers on customers' screens; now and then a customer (webmail)
    # given control of a CSM's screen, which Zoom records without a request.
    control = [
        (m, ms, r, _DETAIL["remote control"].fullmatch(r["activity_detail"]))
        for m in done
        for ms, r in m["records"]
        if r["activity_category"] == "Remote control"
    ]
    internal_on_internal = [
        c for c in control if _kind(c[2]["operator_email"]) == "internal" and c[3]["target"] in internal_names
    ]
    assert len(internal_on_internal) > 100
    assert any(c[2]["operator"] == "IT Service Desk" for c in internal_on_internal)
    assert any(_kind(c[2]["operator_email"]) == "internal" and c[3]["target"] not in internal_names for c in control)
    given = [c for c in control if _kind(c[2]["operator_email"]) != "internal"]
    assert any(_kind(c[2]["operator_email"]) == "webmail" for c in given)
    assert all(c[3]["action"] != "requested" and _kind(c[2]["operator_email"]) != "organisation" for c in given)
    # IT keeps remote control on for the help desk's group (operation log).
    assert any(
        r.get("operation_detail") == "Edit Group IT  - Remote control: from Off to On" for _, _, r in benign.records
    )
    # Sittings: one person creates 10+ meetings within half an hour; the Singapore office's
    # calendar integration does it at night UTC.
    bursts = defaultdict(list)
    for ms, r in records:
        if r["activity_category"] == "Meeting created":
            bursts[r["operator_email"]].append(ms)

    def peak(times, window):
        times.sort()
        j = best = 0
        for i, t in enumerate(times):
            while t - times[j] > window:
                j += 1
            best = max(best, i - j + 1)
        return best

    assert sum(1 for t in bursts.values() if peak(list(t), 30 * 60_000) >= 10) >= 3
    sg = {p.email for p in benign.people.everyone if p.office == "Singapore"}
    night = [ms for e, t in bursts.items() if e in sg for ms in t if ms // 3_600_000 % 24 < 3]
    assert peak(night, 5 * 60_000) >= 8
    # True repeats: identical records at the same millisecond, numbered apart by record_id.
    seen = Counter(orjson.dumps(r, option=orjson.OPT_SORT_KEYS) for _, r in records)
    assert 10 <= sum(n - 1 for n in seen.values() if n > 1) < len(records) / 100


def test_travellers_meet_in_their_destinations_hours(benign, meetings):
    _, done = meetings
    day0 = int(datetime(2026, 9, 1, tzinfo=UTC).timestamp()) * 1000
    checked = 0
    for trip in benign.trips:
        shift = trip.dest.utc_offset
        home = next(p for p in benign.people.everyone if p.email == trip.email).home.utc_offset
        if abs(shift - home) < 5:
            continue
        for m in done:
            day = int((m["start"] - day0) // 86_400_000)
            if m["host"] == trip.email and trip.depart < day < trip.back:
                local = (m["start"] / 3_600_000 + shift) % 24
                assert 7 <= local <= 22, (trip, local)
                checked += 1
    assert checked >= 3


def test_meeting_attacks_are_in_the_org_with_their_records(org):
    by_id = dict(zip(org.record_ids, org.records))
    steps = {(s.scenario, s.step): s for s in org.attacks}

    def recs(scenario, step):
        return [by_id[r][2] for r in steps[(scenario, step)].records]

    # ELUSIVE COMET: "Zoom" with no email, alone with the victim, requests and takes control.
    s1, s2 = recs("elusive-comet-fake-interview", 1), recs("elusive-comet-fake-interview", 2)
    joins = [r for r in s1 if r["activity_category"] == "User joined"]
    assert [(r["operator"], r["operator_email"]) for r in joins][1] == ("Zoom", "")
    assert sum(_kind(r["operator_email"]) == "internal" for r in joins) == 1
    victim = joins[0]["operator"]
    actions = [r["activity_detail"] for r in s2 if r["activity_category"] == "Remote control"]
    assert actions[:2] == [
        f"Zoom requested remote control of {victim}'s screen",
        f"Zoom started remote control of {victim}'s screen",
    ]
    # Fake IT support on webmail.
    s1, s2 = recs("fake-it-support-remote-control", 1), recs("fake-it-support-remote-control", 2)
    support = [r for r in s1 if r["operator"] == "IT Support"]
    assert support and _kind(support[0]["operator_email"]) == "webmail"
    assert any(r["activity_detail"].startswith("IT Support started remote control of ") for r in s2)
    # A compromised account's burst of meetings created at 3 a.m. its own time.
    burst = steps[("compromised-account-meeting-burst", 1)]
    who = next(p for p in org.people.everyone if p.email == burst.entity)
    created = recs("compromised-account-meeting-burst", 1)
    assert len(created) >= 15 and {r["activity_category"] for r in created} == {"Meeting created"}
    assert burst.end_ms - burst.start_ms < 15 * 60_000
    assert 2 <= (burst.start_ms / 3_600_000 + who.home.utc_offset) % 24 < 5
    # Remote control enabled account-wide, then its first use by a guest without email.
    enable, use = steps[("remote-control-enabled-then-outsider", 1)], steps[("remote-control-enabled-then-outsider", 2)]
    assert recs("remote-control-enabled-then-outsider", 1)[0]["operation_detail"].endswith(
        "Remote control: from Off to On"
    )
    first = next(
        r for r in recs("remote-control-enabled-then-outsider", 2) if r["activity_category"] == "Remote control"
    )
    assert first["operator_email"] == ""
    assert 0 < use.start_ms - enable.start_ms < 4 * 3_600_000
    # Each in-meeting step's entity is the meeting ID the records carry (zoom.meeting.id).
    for s in org.attacks:
        if s.entity.isdigit():
            assert {by_id[r][2]["meeting_number"].replace(" ", "") for r in s.records} == {s.entity}


def test_meeting_record_ids_number_repeats_per_utc_day_of_activity_time():
    from emulator.orgsim.lines import record_ids

    rec = dict(
        zip(sorted(MEETING_FIELDS), ("x", "2026-09-01 23:59:59:999", "Meeting started", "982 610 0285", "", "A"))
    )
    other = {**rec, "activity_time": "2026-09-02 00:00:00:000"}
    ids = record_ids([("meeting_activity", rec), ("meeting_activity", rec), ("meeting_activity", other)])
    fp = collector_fingerprint(rec)
    assert ids[:2] == [collector_record_id("default", "meeting_activity", fp, n) for n in (1, 2)]
    assert ids[2] == collector_record_id("default", "meeting_activity", collector_fingerprint(other), 1)


def test_meeting_times_are_zooms_format():
    from emulator.meetings import format_ms
    from emulator.orgsim.meetings import activity_time

    for ms in (0, 1_788_220_799_999, 1_788_220_800_000, 1_788_264_005_007):
        assert activity_time(ms) == format_ms(ms)
    assert activity_time(1_788_264_005_007) == "2026-09-01 12:00:05:007"
