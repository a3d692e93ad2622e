"""`hunt` over collected files and `demo`: signals from the real pipeline and rules."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from helpers import read_ndjson, run_cli

from contentkit.hunt import Hunt, parse_bound
from zoom_activity_logs.demo import BY_TIME_OF_DAY, EXPECTED, STORY

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def line(t, **fields):
    base = {
        "log_type": "operation",
        "account": "default",
        "record_id": f"r{t.timestamp():.0f}{len(fields)}",
        "time": t.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    return orjson.dumps({**base, **fields}) + b"\n"


def two_fa_off(t, who="mallory@example.com"):
    return line(
        t,
        operator=who,
        category_type="Account",
        action="Update",
        operation_detail="Security  - Sign in with Two-Factor Authentication: from On to Off",
    )


def travel(t):
    a = line(
        t,
        log_type="activity",
        email="kim@example.com",
        type="Sign in",
        ip_address="192.0.2.10",
        client_type="mac",
        version="6.2.0",
    )
    b = line(
        t + timedelta(minutes=30),
        log_type="activity",
        email="kim@example.com",
        type="Sign in",
        ip_address="198.51.100.70",
        client_type="mac",
        version="6.2.0",
    )
    return a + b


@pytest.fixture
def collected(tmp_path):
    path = tmp_path / "zoom.ndjson"
    # newest first, as Zoom pages come; a health line, a malformed line and a record without time
    first, second = travel(NOW - timedelta(days=2)).splitlines(keepends=True)
    path.write_bytes(
        two_fa_off(NOW)
        + second
        + b'{"log_type":"health","account":"default","time":"2026-11-20T12:00:00Z","status":"ok"}\n'
        + b"{not json\n"
        + b'{"log_type":"operation","operator":"x"}\n'
        + first
        + travel(NOW - timedelta(days=4)).splitlines(keepends=True)[0]  # impossible travel's 24 h of learning
    )
    return path


@pytest.mark.slow
def test_hunt_prints_one_json_line_per_signal_and_counts_malformed_lines(collected):
    r = run_cli(["hunt", str(collected), "--format", "json"])
    assert r.returncode == 0, r.stderr
    signals = {s["rule"]: s for s in read_ndjson(r.stdout)}
    assert set(signals) >= {"zoom-two-factor-authentication-disabled", "zoom-impossible-travel"}
    s = signals["zoom-two-factor-authentication-disabled"]
    assert s["severity"] == "high" and s["group"] == {"usr.email": "mallory@example.com"}
    assert s["first_seen"] == s["last_seen"] == "2026-11-20T12:00:00Z" and s["events"] == 1
    assert s["samples"][0]["usr.email"] == "mallory@example.com" and s["name"]
    # the kind of event, readable: OCSF's type (and entity), not Zoom's bare "Update"
    assert (s["samples"][0]["ocsf.type_name"], s["samples"][0]["ocsf.entity.type"]) == (
        "Entity Management: Update",
        "Setting",
    )
    travel_signal = signals["zoom-impossible-travel"]
    assert travel_signal["first_seen"] == "2026-11-18T12:30:00Z"
    assert travel_signal["samples"][0]["ocsf.type_name"] == "Authentication: Logon"
    assert "ocsf.entity.type" not in travel_signal["samples"][0]
    err = r.stderr.decode()
    assert "2 malformed lines skipped (first at" in err and f"{collected}:4)" in err and "Traceback" not in err


@pytest.mark.slow
def test_hunt_reads_stdin_filters_rules_and_time(collected):
    data = collected.read_bytes()
    r = run_cli(["hunt", "--rules", "zoom-impossible-*", "--format", "json"], input=data)
    assert r.returncode == 0, r.stderr
    assert [s["rule"] for s in read_ndjson(r.stdout)] == ["zoom-impossible-travel"]
    r = run_cli(["hunt", "-", "--since", "2026-11-19", "--format", "json"], input=data)
    assert [s["rule"] for s in read_ndjson(r.stdout)] == ["zoom-two-factor-authentication-disabled"]
    r = run_cli(["hunt", "-", "--until", "2026-11-19", "--format", "json"], input=data)
    assert "zoom-two-factor-authentication-disabled" not in {s["rule"] for s in read_ndjson(r.stdout)}


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--rules", "no-such-rule"], "--rules: no rule matches no-such-rule"),
        (["--since", "yesterday"], "--since: 'yesterday' is not a date"),
        (["--geoip-db", "/nonexistent.mmdb"], "--geoip-db"),
        (["/nonexistent.ndjson"], "/nonexistent.ndjson: cannot read"),
    ],
)
@pytest.mark.slow
def test_hunt_bad_input_is_one_line(collected, args, needle):
    r = run_cli(["hunt", str(collected), *args])
    err = r.stderr.decode()
    assert r.returncode == 2 and needle in err and "Traceback" not in err, err


@pytest.mark.slow
def test_hunt_table_when_asked(collected):
    r = run_cli(["hunt", str(collected), "--format", "table"])
    out = r.stdout.decode()
    assert out.startswith("SEVERITY") and "zoom-two-factor-authentication-disabled" in out


@pytest.mark.slow
def test_hunt_on_collect_output_matches_the_rule_tests_engine(tmp_path):
    """`collect` output (emulated account) replays: every line is a record, none malformed."""
    r = run_cli(
        [
            "collect",
            "--emulated",
            "--max-rps",
            "0",
            "--health",
            "--since",
            (datetime.now(UTC) - timedelta(days=10)).date().isoformat(),
        ]
    )
    assert r.returncode == 0, r.stderr
    path = tmp_path / "collected.ndjson"
    path.write_bytes(r.stdout)
    events = tmp_path / "events.ndjson"
    h = run_cli(["hunt", str(path), "--format", "json", "--events", str(events)])
    assert h.returncode == 0, h.stderr
    records = [l for l in read_ndjson(r.stdout) if l["log_type"] != "health"]
    normalized = read_ndjson(events.read_bytes())
    assert len(normalized) == len(records) and all(e.get("ocsf", {}).get("type_uid") for e in normalized)
    times = [e["timestamp"] for e in normalized]
    assert times == sorted(times)  # replayed in time order although Zoom serves newest first
    assert b" 0 malformed skipped" in h.stderr and b"WARNING" not in h.stderr


@pytest.mark.slow
def test_streaming_evaluation_equals_the_batch_engine():
    from contentkit.detect import compile_rule
    from contentkit.load import load_pipelines, load_rules, rule_body
    from contentkit.rule_tests import expand_test_logs, process_logs

    packs = load_pipelines()
    for rule in (r for r in load_rules() if not r.is_correlation):  # those run on signals: tests/test_correlation.py
        compiled = compile_rule(rule_body(rule))
        for case in rule.data["tests"]:
            events = process_logs(expand_test_logs(case["logs"]), packs)
            batch = compiled.evaluate(events)
            run = compiled.start()
            ordered = sorted(events, key=lambda e: e.get("timestamp", 0))
            run.created(ordered[0]["timestamp"])  # as hunt does: the rule exists from the first record
            for e in ordered:
                run.push(e)
            assert [(s.status, s.group, s.first_seen) for s in run.signals] == [
                (s.status, s.group, s.first_seen) for s in batch
            ]


def test_parse_bound():
    assert parse_bound("2026-11-20", "--since") == int(datetime(2026, 11, 20, tzinfo=UTC).timestamp() * 1000)
    assert parse_bound("2026-11-20", "--until", end_of_day=True) % 86_400_000 == 86_399_999
    assert parse_bound("2026-11-20T10:00:00Z", "--since") == int(
        datetime(2026, 11, 20, 10, tzinfo=UTC).timestamp() * 1000
    )


@pytest.mark.slow
def test_demo_shows_the_story(tmp_path):
    r = run_cli(["demo", "--out", str(tmp_path / "demo")], timeout=120)
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert f"{len(EXPECTED)} of {len(EXPECTED)} expected detections fired" in out
    for rule in EXPECTED:
        assert rule in out
    signals = read_ndjson((tmp_path / "demo" / "signals.ndjson").read_bytes())
    # every signal about the story's victim, meeting or account is one the story expects
    story = [s for s in signals if STORY & set(map(str, s["group"].values()))]
    assert {s["rule"] for s in story if not s["rule"].startswith(BY_TIME_OF_DAY)} == set(EXPECTED)
    # `hunt` on the demo's own output gives the same signals
    h = run_cli(["hunt", str(tmp_path / "demo" / "zoom.ndjson"), "--format", "json"])
    assert read_ndjson(h.stdout) == signals
    assert (tmp_path / "demo" / "normalized.ndjson").stat().st_size > 0
    assert "Traceback" not in r.stderr.decode()


def test_hunt_library_sorts_by_time_across_files(tmp_path):
    a, b = tmp_path / "a.ndjson", tmp_path / "b.ndjson"
    learned = travel(NOW - timedelta(days=4)).splitlines(keepends=True)[0]  # the user's 24 h of learning
    a.write_bytes(travel(NOW)[: travel(NOW).index(b"\n") + 1] + learned)
    b.write_bytes(travel(NOW)[travel(NOW).index(b"\n") + 1 :])
    hunt = Hunt(["zoom-impossible-travel"])
    from contentkit.hunt import Inputs

    with Inputs([str(b), str(a)], sys.stdin.buffer) as inputs:
        findings = hunt.run(inputs.buffers)
    assert [f.rule_id for f in findings] == ["zoom-impossible-travel"]


def test_hunt_times_meeting_records_by_their_activity_time(tmp_path):
    """The meeting report has no `time`: hunt orders and dates its records by `activity_time`
    (UTC, milliseconds after a colon); one that is not in that shape is malformed."""
    from contentkit.hunt import Inputs

    def meeting(when: str, detail: str, rid: str) -> bytes:
        record = {
            "log_type": "meeting_activity",
            "account": "default",
            "record_id": rid,
            "meeting_number": "982 610 0285",
            "activity_time": when,
            "operator": "Zoom",
            "operator_email": "hr.recruiter2025@gmail.com",
            "activity_category": "Remote control",
            "activity_detail": f"Zoom {detail} remote control of Jill Chill's screen",
        }
        return orjson.dumps(record) + b"\n"

    path = tmp_path / "meetings.ndjson"
    path.write_bytes(
        meeting("2026-11-20 12:00:20:500", "started", "r2")  # newest first, as Zoom serves them
        + meeting("2026-11-20 12:00:03:216", "requested", "r1")
        + meeting("2026-11-20T12:00:04Z", "stopped", "r3")  # not the report's shape
    )
    hunt = Hunt(["zoom-meeting-remote-control-by-outsider"])
    with Inputs([str(path)], sys.stdin.buffer) as inputs:
        findings = hunt.run(inputs.buffers)
    assert hunt.stats.records == 2 and hunt.stats.malformed == 1
    (finding,) = findings
    assert finding.signal.first_seen == int(datetime(2026, 11, 20, 12, 0, 3, 216000, tzinfo=UTC).timestamp() * 1000)
    assert finding.signal.count == 2 and finding.severity == "high"


del subprocess


@pytest.mark.slow
def test_gating_rules_by_log_type_and_ocsf_type_changes_no_signal(tmp_path):
    from contentkit.hunt import Inputs
    from contentkit.hunt import query_gates as gates_of
    from contentkit.search import compile_query

    def query_gates(text):
        return gates_of(compile_query(text))

    assert query_gates("source:x @log_type:operation @ocsf.type_uid:300106") == {
        "log_type": {"operation"},
        "ocsf.type_uid": {"300106"},
    }
    assert query_gates("source:x @log_type:operation OR @ocsf.type_uid:1") is None  # neither is required
    assert query_gates("source:x (@ocsf.type_uid:1 OR @ocsf.type_uid:2)") == {"ocsf.type_uid": {"1", "2"}}
    assert query_gates("source:x @ocsf.type_uid:(1 OR 2) @log_type:operation") == {
        "ocsf.type_uid": {"1", "2"},
        "log_type": {"operation"},
    }
    assert query_gates("source:x @ocsf.type_uid:3002* @log_type:activity") == {"log_type": {"activity"}}
    # under NOT a term requires nothing (the regex reading took it as required: issue 12)
    assert query_gates("@log_type:operation NOT @ocsf.type_uid:300106") == {"log_type": {"operation"}}
    assert query_gates("@log_type:operation -@ocsf.type_uid:1 -(@ocsf.type_uid:2)") == {"log_type": {"operation"}}
    assert query_gates("(@log_type:operation @ocsf.type_uid:1) OR (@log_type:activity @ocsf.type_uid:2)") == {
        "log_type": {"operation", "activity"},
        "ocsf.type_uid": {"1", "2"},
    }
    assert query_gates("@ocsf.type_uid:1 @ocsf.type_uid:2") == {"ocsf.type_uid": set()}  # can never match
    # Zoom's own action or type (Datadog's evt.name) is no gate: free text of the input
    assert query_gates('@log_type:activity @evt.name:"Sign in"') == {"log_type": {"activity"}}
    r = run_cli(
        [
            "collect",
            "--emulated",
            "--max-rps",
            "0",  # a month of emulated records
            "--since",
            (datetime.now(UTC) - timedelta(days=31)).date().isoformat(),
        ]
    )
    path = tmp_path / "c.ndjson"
    path.write_bytes(r.stdout)

    def signals(gate):
        with Inputs([str(path)], sys.stdin.buffer) as inputs:
            return [f.as_json() for f in Hunt(gate=gate).run(inputs.buffers)]

    gated, ungated = signals(True), signals(False)
    assert gated == ungated and len(gated) > 20


@pytest.mark.slow
def test_pipeline_workers_give_the_same_signals(tmp_path, monkeypatch):
    import contentkit.hunt as hunt_module
    from contentkit.hunt import Inputs

    r = run_cli(
        [
            "collect",
            "--emulated",
            "--max-rps",
            "0",
            "--since",
            (datetime.now(UTC) - timedelta(days=15)).date().isoformat(),
        ]
    )
    path = tmp_path / "c.ndjson"
    path.write_bytes(r.stdout)
    monkeypatch.setattr(hunt_module, "PARALLEL_FROM", 0)
    monkeypatch.setattr(hunt_module, "CHUNK", 97)  # many chunks, so order across chunks is exercised

    def run(workers):
        events = []
        with Inputs([str(path)], sys.stdin.buffer) as inputs:
            findings = Hunt(workers=workers).run(inputs.buffers, on_event=events.append)
        return [f.as_json() for f in findings], events

    (serial, serial_events), (parallel, parallel_events) = run(1), run(2)
    assert parallel == serial and len(serial) > 10
    assert parallel_events == serial_events


@pytest.mark.slow
def test_geoip_db_gives_the_countries_of_a_maxmind_database(tmp_path):
    """With --geoip-db, geo-ip comes from that file: 192.0.2.0/24 is New York in the
    bundled table but Paris in this database, so the new country is FR, not US."""
    from test_geoip import GEOLITE2_CITY_RECORD, _mmdb

    db = tmp_path / "city.mmdb"
    tokyo = {
        **GEOLITE2_CITY_RECORD,
        "country": {"iso_code": "JP", "names": {"en": "Japan"}},
        "city": {"names": {"en": "Tokyo"}},
    }
    db.write_bytes(_mmdb([("192.0.2.0/24", GEOLITE2_CITY_RECORD), ("198.51.100.0/24", tokyo)]))
    lines = b"".join(
        line(
            NOW - timedelta(days=d),
            log_type="activity",
            email="kim@example.com",
            type="Sign in",
            ip_address="198.51.100.70" if d else "192.0.2.10",
            client_type="mac",
            version="6",
        )
        for d in (10, 9, 0)
    )
    path = tmp_path / "c.ndjson"
    path.write_bytes(lines)
    args = ["hunt", str(path), "--rules", "zoom-sign-in-from-new-country", "--format", "json"]
    bundled = read_ndjson(run_cli(args).stdout)
    mmdb = read_ndjson(run_cli(args + ["--geoip-db", str(db)]).stdout)
    assert [s["group"]["network.client.geoip.country.iso_code"] for s in bundled] == ["US"]
    assert [s["group"]["network.client.geoip.country.iso_code"] for s in mmdb] == ["FR"]


@pytest.mark.slow
def test_pushing_only_matched_events_with_their_query_names_equals_pushing_all():
    """hunt's contract with the engine: an event no query of a rule matches changes none
    of its state, and names computed elsewhere give the same result as matching here."""
    from contentkit.detect import compile_rule
    from contentkit.load import load_pipelines, load_rules, rule_body
    from contentkit.rule_tests import expand_test_logs, process_logs

    packs = load_pipelines()
    # every rule also sees the other rules' test events, which its queries do not match
    background = [
        e for r in load_rules() for c in r.data["tests"] for e in process_logs(expand_test_logs(c["logs"]), packs)
    ]
    for rule in (r for r in load_rules() if not r.is_correlation):  # those run on signals: tests/test_correlation.py
        compiled = compile_rule(rule_body(rule))
        for case in rule.data["tests"]:
            events = sorted(
                process_logs(expand_test_logs(case["logs"]), packs) + background, key=lambda e: e.get("timestamp", 0)
            )
            everything, matched = compiled.start(), compiled.start()
            for e in events:
                everything.push(e)
                names = {q.name for q in compiled.queries if q.match(e)}
                if names:
                    matched.push(e, names)
            assert [(s.status, s.group, s.first_seen, s.count) for s in matched.signals] == [
                (s.status, s.group, s.first_seen, s.count) for s in everything.signals
            ], rule.id


@pytest.mark.slow
def test_gated_and_ungated_query_hits_agree_on_every_rule_test_event():
    """For every rule's queries, and queries with NOT, OR and groups over the gated
    attributes, routing by gates never drops an event the query matches."""
    from contentkit.detect import compile_rule
    from contentkit.hunt import _matches, _query_table
    from contentkit.load import load_pipelines, load_rules, rule_body
    from contentkit.rule_tests import expand_test_logs, process_logs

    packs = load_pipelines()
    rules = [compile_rule(rule_body(r)) for r in load_rules() if not r.is_correlation]
    tricky = [
        "@log_type:operation NOT @ocsf.type_uid:300106",
        "-@ocsf.type_uid:300201",
        "@ocsf.type_uid:(300101 OR 300107) -@log_type:activity",
        "@ocsf.type_uid:300403 @ocsf.entity.type:Setting",
        "@log_type:(activity OR operation) -@log_type:activity",
        "NOT (@log_type:activity)",
        "(@log_type:operation @ocsf.type_uid:300106) OR @log_type:activity",
    ]
    base = rule_body(load_rules()[0])
    rules += [compile_rule({**base, "queries": [{**base["queries"][0], "query": q}]}) for q in tricky]
    events = [
        e for r in load_rules() for c in r.data["tests"] for e in process_logs(expand_test_logs(c["logs"]), packs)
    ]
    table = _query_table(rules)
    first_tricky = len(rules) - len(tricky)
    hits = tricky_hits = 0
    for event in events:
        gated, ungated = _matches(table, {}, event, True), _matches(table, {}, event, False)
        assert gated == ungated, event
        hits += len(gated)
        tricky_hits += sum(1 for n, _ in gated if n >= first_tricky)
    assert hits > len(events) and tricky_hits > 0  # the comparison is not vacuous
