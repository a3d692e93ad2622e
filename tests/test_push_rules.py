"""scripts/push_rules.py against Datadog's rules API, replayed from cassettes.

The cassettes (tests/cassettes/test_push_rules/) were recorded once from
tests/fake_datadog.py, which answers with the shapes of Datadog's OpenAPI v2
(`pytest tests/test_push_rules.py --record-mode=once` re-records them); replay
runs in record mode `none`, so no request ever leaves the test.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from pathlib import Path

import pytest
from fake_datadog import API_KEY, APP_KEY, FakeDatadog

from contentkit.datadog_api import SITES, DatadogUsageError, base_url

ROOT = Path(__file__).resolve().parent.parent
PORT = 18126
URL = f"http://127.0.0.1:{PORT}"
CASSETTES = Path(__file__).parent / "cassettes" / "test_push_rules"

spec = importlib.util.spec_from_file_location("push_rules", ROOT / "scripts" / "push_rules.py")
push_rules = importlib.util.module_from_spec(spec)
spec.loader.exec_module(push_rules)


@pytest.fixture(scope="module")
def vcr_config():
    return {"filter_headers": ["DD-API-KEY", "DD-APPLICATION-KEY"], "decode_compressed_response": True}


def body(pid: str, name: str, threshold: int = 0) -> dict:
    return {
        "name": name,
        "type": "log_detection",
        "isEnabled": True,
        "queries": [
            {
                "name": "a",
                "query": f"source:zoom_activity_logs @evt.name:zoom.{pid}",
                "aggregation": "count",
                "groupByFields": ["@usr.email"],
                "distinctFields": [],
            }
        ],
        "cases": [{"name": "hit", "status": "high", "condition": f"a > {threshold}"}],
        "options": {
            "detectionMethod": "threshold",
            "evaluationWindow": 0,
            "keepAlive": 3600,
            "maxSignalDuration": 86400,
        },
        "message": "## Goal\nx\n## Strategy\ny\n## Triage and response\nz\n",
        "tags": [
            "source:zoom_activity_logs",
            "security:attack",
            "tactic:TA0005-defense-evasion",
            "technique:T1556",
            "pack:zoom-activity-logs",
            f"pack_id:zoom-{pid}",
            "version:1",
        ],
    }


LOCAL = {"zoom-one": body("one", "Zoom rule one"), "zoom-two": body("two", "Zoom rule two")}
FOREIGN = {**body("x", "Someone else's rule"), "tags": ["source:zoom_activity_logs", "team:other"]}


def write_dir(tmp_path, rules: dict, tests: dict | None = None) -> str:
    folder = tmp_path / "build" / "rules"
    folder.mkdir(parents=True)
    for pid, b in rules.items():
        (folder / f"{pid}.json").write_text(json.dumps(b))
        if tests and pid in tests:
            (folder / f"{pid}.tests.json").write_text(json.dumps(tests[pid]))
    return str(tmp_path / "build")


@pytest.fixture
def datadog(record_mode, monkeypatch):
    """The fake API while recording; nothing at all on replay."""
    monkeypatch.setenv("DD_API_KEY", API_KEY)
    monkeypatch.setenv("DD_APP_KEY", APP_KEY)
    monkeypatch.delenv("DD_SITE", raising=False)
    sleeps = []
    monkeypatch.setattr("contentkit.datadog_api.time.sleep", sleeps.append)
    if record_mode == "none":
        yield None, sleeps
        return
    with FakeDatadog(PORT) as fake:
        yield fake, sleeps


def seed(fake, *bodies):
    if fake is not None:
        for b in bodies:
            fake.seed(copy.deepcopy(b))


def run(capsys, *args) -> tuple[int, str, str]:
    code = push_rules.main([*args, "--api-url", URL])
    out = capsys.readouterr()
    return code, out.out, out.err


def played(vcr):
    """Requests made so far: recorded ones while recording, played ones on replay."""
    return vcr.requests[: vcr.play_count] if vcr.play_count else vcr.requests


def writes(vcr) -> list[str]:
    return [
        f"{r.method} {r.path}"
        for r in played(vcr)
        if r.method != "GET" and "/validation" not in r.path and not r.path.endswith("/test")
    ]


@pytest.mark.vcr
def test_first_push_creates_every_rule(datadog, tmp_path, capsys, vcr):
    code, out, _ = run(capsys, "--dir", write_dir(tmp_path, LOCAL))
    assert code == 0
    assert "create zoom-one Zoom rule one" in out and "create zoom-two Zoom rule two" in out
    assert writes(vcr) == ["POST /api/v2/security_monitoring/rules"] * 2


@pytest.mark.vcr
def test_second_run_writes_nothing(datadog, tmp_path, capsys, vcr):
    fake, _ = datadog
    seed(fake, *LOCAL.values(), FOREIGN)
    code, out, _ = run(capsys, "--dir", write_dir(tmp_path, LOCAL), "--prune")
    assert code == 0
    assert "unchanged zoom-one" in out and "unchanged zoom-two" in out
    assert writes(vcr) == []
    assert "done: 0 change(s) written" in out


@pytest.mark.vcr
def test_renamed_rule_is_updated_in_place_with_a_diff(datadog, tmp_path, capsys, vcr):
    fake, _ = datadog
    seed(fake, *LOCAL.values())
    renamed = {**LOCAL, "zoom-one": {**LOCAL["zoom-one"], "name": "Zoom rule one, renamed"}}
    code, out, _ = run(capsys, "--dir", write_dir(tmp_path, renamed))
    assert code == 0
    assert "update zoom-one Zoom rule one, renamed" in out
    assert '-  "name": "Zoom rule one",' in out and '+  "name": "Zoom rule one, renamed",' in out
    assert writes(vcr) == ["PUT /api/v2/security_monitoring/rules/abc-001-xyz"]


@pytest.mark.vcr
def test_prune_deletes_only_pack_rules_gone_from_the_repository(datadog, tmp_path, capsys, vcr):
    fake, _ = datadog
    seed(fake, *LOCAL.values(), FOREIGN)
    code, out, _ = run(capsys, "--dir", write_dir(tmp_path, {"zoom-one": LOCAL["zoom-one"]}), "--prune")
    assert code == 0
    assert "delete zoom-two Zoom rule two" in out
    assert "Someone else" not in out
    assert writes(vcr) == ["DELETE /api/v2/security_monitoring/rules/abc-002-xyz"]


@pytest.mark.vcr
def test_dry_run_prints_the_plan_and_writes_nothing(datadog, tmp_path, capsys, vcr):
    fake, _ = datadog
    seed(fake, LOCAL["zoom-one"], body("gone", "Zoom rule gone"))
    local = {"zoom-one": body("one", "Zoom rule one", threshold=2), "zoom-two": LOCAL["zoom-two"]}
    code, out, _ = run(capsys, "--dir", write_dir(tmp_path, local), "--prune", "--dry-run")
    assert code == 0
    assert "update zoom-one" in out and '"condition": "a > 2"' in out
    assert "create zoom-two" in out and "delete zoom-gone" in out
    assert "dry run: 3 change(s) not written" in out
    assert writes(vcr) == []


@pytest.mark.vcr
def test_rate_limit_waits_for_reset_then_retries(datadog, tmp_path, capsys, vcr):
    fake, sleeps = datadog
    seed(fake, *LOCAL.values())
    if fake is not None:
        fake.fail_next_429 = True
    code, out, _ = run(capsys, "--dir", write_dir(tmp_path, LOCAL))
    assert code == 0 and "unchanged zoom-one" in out
    assert sleeps == [2.0]


@pytest.mark.vcr
def test_validate_remote_stops_before_any_write(datadog, tmp_path, capsys, vcr):
    bad = {**LOCAL, "zoom-two": {**LOCAL["zoom-two"], "name": "Zoom rule two INVALID"}}
    code, _, err = run(capsys, "--dir", write_dir(tmp_path, bad), "--validate-remote")
    assert code == 1
    assert "zoom-two: Datadog rejects the rule: Invalid rule configuration" in err
    assert writes(vcr) == []


@pytest.mark.vcr
def test_test_remote_mismatch_stops_before_any_write(datadog, tmp_path, capsys, vcr):
    payloads = [{"expectedResult": True, "index": 0, "payload": {"ddsource": "zoom_activity_logs", "message": "{}"}}]
    bad = {"zoom-one": {**LOCAL["zoom-one"], "name": "Zoom rule one MISMATCH"}}
    code, _, err = run(capsys, "--dir", write_dir(tmp_path, bad, {"zoom-one": payloads}), "--test-remote")
    assert code == 1 and "zoom-one: Datadog's test results [False] differ from the expected [True]" in err
    assert writes(vcr) == []


@pytest.mark.vcr
def test_refused_keys_exit_3_naming_the_permission(datadog, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DD_APP_KEY", "wrong-app-key")
    code, _, err = run(capsys, "--dir", write_dir(tmp_path, LOCAL))
    assert code == 3 and "security_monitoring_rules_write" in err
    assert "wrong-app-key" not in err and API_KEY not in err


def test_missing_keys_exit_2(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("DD_API_KEY", raising=False)
    monkeypatch.setenv("DD_APP_KEY", "x")
    code, _, err = run(capsys, "--dir", write_dir(tmp_path, LOCAL))
    assert code == 2 and "DD_API_KEY not set" in err


def test_every_site_has_its_api_host_and_a_bad_site_is_named():
    assert base_url("datadoghq.eu", None) == "https://api.datadoghq.eu"
    assert {base_url(s, None) for s in SITES} == {f"https://api.{s}" for s in SITES}
    assert base_url("datadoghq.eu", "http://127.0.0.1:1/") == "http://127.0.0.1:1"
    with pytest.raises(DatadogUsageError, match="DD_SITE: 'datadog.example'"):
        base_url("datadog.example", None)


@pytest.mark.slow
def test_the_repository_rules_build_into_local_bodies():
    bodies, tests = push_rules.local_rules(ROOT, None)
    assert len(bodies) >= 30 and all(f"pack_id:{pid}" in b["tags"] for pid, b in bodies.items())
    assert all(tests[pid] for pid in bodies)


def test_no_cassette_holds_a_key():
    text = "".join(p.read_text() for p in CASSETTES.glob("*.yaml"))
    assert text, "cassettes missing"
    assert API_KEY not in text and APP_KEY not in text
    assert not re.search(r"(?i)dd-api-key|dd-application-key", text)
