"""scripts/push_rules.py against Datadog's rules API, replayed from cassettes.

The cassettes (tests/cassettes/test_push_rules/) were recorded from
tests/fake_datadog.py, which answers with the shapes of Datadog's OpenAPI v2
(`pytest tests/test_push_rules.py --record-mode=rewrite` re-records them); replay
runs in record mode `none`, so no request ever leaves the test. Every request the
script makes is checked against Datadog's OpenAPI description (tests/openapi_contract.py).
The `test_fault_*` cassettes hold answers that are not Datadog's on purpose (HTML,
truncated JSON, other shapes, a rate limit of a day).
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
from pathlib import Path

import httpx
import pytest
from fake_datadog import API_KEY, APP_KEY, FakeDatadog
from openapi_contract import Recorder

from contentkit.datadog_api import (
    DEFAULT_TIMEOUT,
    MAX_RATE_LIMIT_WAIT,
    SITES,
    DatadogAnswerError,
    DatadogClient,
    DatadogError,
    DatadogUsageError,
    base_url,
    schema_fields,
)

ROOT = Path(__file__).resolve().parent.parent
PORT = 18126
URL = f"http://127.0.0.1:{PORT}"
CASSETTES = Path(__file__).parent / "cassettes" / "test_push_rules"

spec = importlib.util.spec_from_file_location("push_rules", ROOT / "scripts" / "push_rules.py")
assert spec is not None and spec.loader is not None
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


@pytest.fixture(autouse=True)
def contract(monkeypatch):
    """Every request of every test here, checked against Datadog's OpenAPI description."""
    recorder = Recorder().install(monkeypatch)
    yield recorder
    assert recorder.request_problems() == []


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
    (put,) = [r for r in played(vcr) if r.method == "PUT"]
    sent = json.loads(put.body)
    # only the fields of SecurityMonitoringRuleUpdatePayload: the create body's `type` is not one
    assert "type" not in sent and set(sent) <= schema_fields("v2", "SecurityMonitoringRuleUpdatePayload")
    assert sent == {k: v for k, v in renamed["zoom-one"].items() if k != "type"}


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
    code, out, err = run(capsys, "--dir", write_dir(tmp_path, LOCAL))
    assert code == 0 and "unchanged zoom-one" in out
    assert sleeps == [2.0]
    assert "GET /api/v2/security_monitoring/rules: rate limited (429): retrying in 2 s..." in err


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
    correlations = {pid for pid, b in bodies.items() if b["type"] == "signal_correlation"}
    assert all(tests[pid] for pid in bodies if pid not in correlations)
    assert correlations and not correlations & set(tests)  # a correlation rule reads signals: no test logs
    for pid in correlations:  # every rule it reads is a placeholder for a log rule of the pack
        refs = [q["ruleId"] for q in bodies[pid]["queries"]]
        assert all(r.startswith("pack_id:") and bodies[r[8:]]["type"] == "log_detection" for r in refs), refs


def test_no_cassette_holds_a_key():
    text = "".join(p.read_text() for p in CASSETTES.glob("*.yaml"))
    assert text, "cassettes missing"
    assert API_KEY not in text and APP_KEY not in text
    assert not re.search(r"(?i)dd-api-key|dd-application-key", text)


# -- answers that are not Datadog's: one line on stderr, a documented exit, no traceback ---------


def one_error_line(err: str) -> str:
    assert "Traceback" not in err
    lines = [l for l in err.splitlines() if l.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


LISTING = "/api/v2/security_monitoring/rules"
# name -> (fault injected on the rules listing, what the one error line says)
ANSWERS = {
    "html": ({"kind": "html"}, "HTTP 200 but the answer is not JSON (text/html"),
    "truncated": ({"kind": "truncated"}, "HTTP 200 but the answer is not JSON (application/json"),
    "list": ({"kind": "json", "body": [{"id": "abc"}]}, "the answer is a list where Datadog sends an object"),
    "data_missing": ({"kind": "json", "body": {"meta": {}}}, "the answer has no `data`"),
    "data_string": ({"kind": "json", "body": {"data": "rules"}}, "`data` is a string where Datadog sends a list"),
    "item_without_id": ({"kind": "json", "body": {"data": [{"name": "x"}]}}, "`data` item 0: the answer has no `id`"),
    "total_string": (
        {"kind": "json", "body": {"data": [], "meta": {"page": {"total_count": "2"}}}},
        "`meta.page`: `total_count` is a string where Datadog sends an integer",
    ),
}


@pytest.mark.vcr
@pytest.mark.parametrize("answer", sorted(ANSWERS))
def test_fault_an_answer_of_another_shape_is_one_line_and_exit_5(datadog, tmp_path, capsys, vcr, answer):
    fake, _ = datadog
    fault, says = ANSWERS[answer]
    if fake is not None:
        fake.inject(path=LISTING, **fault)
    code, out, err = run(capsys, "--dir", write_dir(tmp_path, LOCAL))
    assert code == 5 and out == ""
    line = one_error_line(err)
    assert line.startswith("error: listing rules") or line.startswith(f"error: GET {LISTING}"), line
    assert says in line
    assert writes(vcr) == []


@pytest.mark.vcr
def test_fault_a_rate_limit_reset_of_a_day_is_refused_not_slept_through(datadog, tmp_path, capsys, vcr):
    fake, sleeps = datadog
    if fake is not None:
        fake.inject("429", path=LISTING, reset="86400")
    code, _, err = run(capsys, "--dir", write_dir(tmp_path, LOCAL))
    assert code == 4 and sleeps == []
    line = one_error_line(err)
    assert "rate limited (429) (security_monitoring_rules), and Datadog asks to wait 24 hours (86400 s)" in line
    assert f"more than the {MAX_RATE_LIMIT_WAIT:g} s this script waits (MAX_RATE_LIMIT_WAIT)" in line


@pytest.mark.vcr
def test_fault_a_5xx_on_a_read_is_retried_with_progress_on_stderr(datadog, tmp_path, capsys, vcr):
    fake, sleeps = datadog
    seed(fake, *LOCAL.values())
    if fake is not None:
        fake.inject("5xx", path=LISTING, status=503)
    code, out, err = run(capsys, "--dir", write_dir(tmp_path, LOCAL))
    assert code == 0 and "unchanged zoom-one" in out
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0
    assert re.fullmatch(rf"GET {LISTING}: HTTP 503: retrying in [01] s\.\.\.\n", err), err


@pytest.mark.vcr
def test_fault_a_create_answered_5xx_is_not_sent_twice(datadog, tmp_path, capsys, vcr):
    fake, sleeps = datadog
    if fake is not None:
        fake.inject("5xx", path=LISTING, method="POST", status=502)
    code, out, err = run(capsys, "--dir", write_dir(tmp_path, {"zoom-one": LOCAL["zoom-one"]}))
    assert code == 4 and sleeps == []
    assert "HTTP 502: it may have been written; run again (the next run finds it by its pack id)" in one_error_line(err)
    assert writes(vcr) == [f"POST {LISTING}"]  # once


# -- a corrupt --dir: one line, exit 1, nothing sent -------------------------------------------------

GOOD = json.dumps(LOCAL["zoom-one"])
CORRUPT = {
    "not_json": ("zoom-one.json", b'{"name": "Zoom rule one", ', "zoom-one.json: not valid JSON: Expecting"),
    "not_utf8": ("zoom-one.json", b'{"name": "\xff"}', "zoom-one.json: not UTF-8 text (byte 10)"),
    "binary": ("zoom-one.json", b"\x1f\x8b\x08\x00\x00", "rules/zoom-one.json: a binary file, not text"),
    "a_list": ("zoom-one.json", b"[1, 2]", "zoom-one.json: not a rule (a JSON object)"),
    "no_tags": (
        "zoom-one.json",
        json.dumps({k: v for k, v in LOCAL["zoom-one"].items() if k != "tags"}).encode(),
        "zoom-one.json: `tags` missing or not a list",
    ),
    "other_pack_id": (
        "zoom-other.json",
        GOOD.encode(),
        "zoom-other.json: the tags must hold pack:zoom-activity-logs and pack_id:zoom-other (the file name)",
    ),
    "tests_not_a_list": ("zoom-one.tests.json", b'{"expectedResult": true}', "zoom-one.tests.json: not a list"),
    "tests_truncated": ("zoom-one.tests.json", b'[{"expectedResult": tr', "zoom-one.tests.json: not valid JSON"),
}


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_a_corrupt_dir_is_one_line_and_exit_1(tmp_path, capsys, monkeypatch, contract, case):
    monkeypatch.setenv("DD_API_KEY", API_KEY)
    monkeypatch.setenv("DD_APP_KEY", APP_KEY)
    name, data, says = CORRUPT[case]
    folder = tmp_path / "build" / "rules"
    folder.mkdir(parents=True)
    if name.endswith(".tests.json"):
        (folder / "zoom-one.json").write_text(GOOD)
    (folder / name).write_bytes(data)
    code, out, err = run(capsys, "--dir", str(tmp_path / "build"))
    assert code == 1 and out == ""
    assert says in one_error_line(err)
    assert contract.exchanges == []


def test_a_dir_without_rules_is_one_line_and_exit_1(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DD_API_KEY", API_KEY)
    monkeypatch.setenv("DD_APP_KEY", APP_KEY)
    code, _, err = run(capsys, "--dir", str(tmp_path))
    assert code == 1 and "no rules/ folder (run scripts/build.py --out" in one_error_line(err)


# -- a hung server, the timeout, the options ------------------------------------------------------


def test_a_hung_server_is_given_up_after_the_timeout(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("DD_API_KEY", API_KEY)
    monkeypatch.setenv("DD_APP_KEY", APP_KEY)
    with FakeDatadog() as fake:
        fake.inject("hang", path=LISTING)
        code = push_rules.main(["--dir", write_dir(tmp_path, LOCAL), "--api-url", fake.url, "--timeout", "0.2"])
        err = capsys.readouterr().err
        assert len(fake.log) == 1  # a timed-out request is not retried
    assert code == 4
    assert f"GET {LISTING}: no answer from {fake.url} within 0.2 s (--timeout); gave up" in one_error_line(err)


def test_help_states_the_timeout_default_and_the_exit_statuses(capsys):
    with pytest.raises(SystemExit) as stop:
        push_rules.main(["--help"])
    assert stop.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    assert (
        f"--timeout SECONDS give up a request Datadog has not answered within SECONDS (default {DEFAULT_TIMEOUT:g})"
        in out
    )
    assert "exit status: 0 done" in out and "5 the answer is not Datadog's API" in out
    assert f"a rate limit reset longer than {MAX_RATE_LIMIT_WAIT:g} s" in out


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_a_bad_timeout_is_a_usage_error(capsys, value):
    with pytest.raises(SystemExit) as stop:
        push_rules.main(["--dir", "x", "--timeout", value])
    assert stop.value.code == 2 and "--timeout" in capsys.readouterr().err


def test_an_api_url_with_credentials_is_refused_without_echoing_them():
    for url in ("https://user:s3cr3t@api.example.com", "https://api.example.com/?api_key=s3cr3t"):
        with pytest.raises(DatadogUsageError) as refused:
            base_url(None, url)
        assert "s3cr3t" not in str(refused.value)


# -- the client's paging and retries, against answers made in the test (httpx.MockTransport) -------


def client(handler, progress=None, sleeps=None) -> DatadogClient:
    return DatadogClient(
        API_KEY,
        APP_KEY,
        "https://api.datadoghq.com",
        http=httpx.Client(transport=httpx.MockTransport(handler)),
        sleep=(sleeps if sleeps is not None else []).append,
        progress=(progress if progress is not None else []).append,
    )


def rules_page(request: httpx.Request, total: int, honour_paging: bool = True, meta: bool = True) -> httpx.Response:
    size = int(request.url.params["page[size]"])
    number = int(request.url.params["page[number]"]) if honour_paging else 0
    ids = range(number * size, min(total, (number + 1) * size))
    body: dict = {"data": [{"id": f"r{i}", "tags": []} for i in ids]}
    if meta:
        body["meta"] = {"page": {"total_count": total}}
    return httpx.Response(200, json=body)


@pytest.mark.parametrize("total", [0, 1, 99, 100, 101, 250])
@pytest.mark.parametrize("meta", [True, False])
def test_the_rules_listing_is_read_to_the_end(total, meta):
    asked = []

    def handler(request):
        asked.append(int(request.url.params["page[number]"]))
        assert request.url.params["page[size]"] == "100"
        return rules_page(request, total, meta=meta)

    items = client(handler).pages_by_number(LISTING, "listing rules")
    assert [i["id"] for i in items] == [f"r{i}" for i in range(total)]
    assert asked == list(range(len(asked))) and len(asked) <= total // 100 + 1


def test_a_server_that_ignores_the_paging_parameters_is_named_not_looped_on():
    with pytest.raises(DatadogAnswerError, match="page 1 repeats what was read before: the server ignores paging"):
        client(lambda r: rules_page(r, 250, honour_paging=False)).pages_by_number(LISTING, "listing rules")


@pytest.mark.parametrize("reset", [None, "soon", "-3", "nan"])
def test_a_429_without_a_usable_reset_backs_off(reset):
    answers = [httpx.Response(429, headers={"X-RateLimit-Reset": reset} if reset else {}), httpx.Response(200, json={})]
    sleeps: list[float] = []
    progress: list[str] = []
    status, _ = client(lambda r: answers.pop(0), progress, sleeps).request("GET", LISTING)
    assert status == 200 and sleeps == [1.0]
    assert progress == [f"GET {LISTING}: rate limited (429): retrying in 1 s..."]


def test_a_429_reset_of_infinity_is_refused():
    with pytest.raises(DatadogError, match="asks to wait forever"):
        client(lambda r: httpx.Response(429, headers={"X-RateLimit-Reset": "inf"})).request("GET", LISTING)


def test_connection_errors_are_retried_then_given_up_with_progress():
    progress: list[str] = []

    def refuse(request):
        raise httpx.ConnectError("refused")

    with pytest.raises(
        DatadogError, match="cannot reach https://api.datadoghq.com \\(ConnectError\\); gave up after 5"
    ):
        client(refuse, progress).request("GET", LISTING)
    assert len(progress) == 4 and all(p.endswith(" s...") and "retrying in" in p for p in progress)


def test_a_create_whose_connection_broke_is_not_sent_again():
    sent = []

    def broken(request):
        sent.append(request)
        raise httpx.ReadError("reset by peer")

    with pytest.raises(DatadogError, match="after the request was sent: it may have been written"):
        client(broken).request("POST", LISTING, json=LOCAL["zoom-one"])
    assert len(sent) == 1
