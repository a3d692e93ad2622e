"""emulator.orgsim: the realistic organisation and its attack set (docs/orgsim.md)."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime, timedelta

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
