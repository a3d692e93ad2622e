"""push_pipelines.py and push_dashboards.py (and all three scripts in a large organisation)
against tests/fake_datadog.py, live on the loopback interface.

These run against the fake itself rather than cassettes recorded from it: they push the
repository's own pipeline and dashboard, whose content changes with the pack, and a
cassette holds the bodies of the day it was recorded. The fake keeps what is pushed, as
Datadog does. Every request the scripts make, and every answer of the fake, is checked
against Datadog's OpenAPI description (tests/openapi_contract.py).
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fake_datadog import API_KEY, APP_KEY, FakeDatadog
from openapi_contract import Recorder

from contentkit.load import load_dashboards, load_pipelines, load_rules, pipeline_body

ROOT = Path(__file__).resolve().parent.parent


def script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


push_pipelines, push_dashboards, push_rules = script("push_pipelines"), script("push_dashboards"), script("push_rules")


@pytest.fixture
def contract(monkeypatch):
    recorder = Recorder().install(monkeypatch)
    yield recorder
    assert recorder.request_problems() == []


@pytest.fixture
def datadog(monkeypatch, contract):
    monkeypatch.setenv("DD_API_KEY", API_KEY)
    monkeypatch.setenv("DD_APP_KEY", APP_KEY)
    monkeypatch.delenv("DD_SITE", raising=False)
    monkeypatch.setattr("contentkit.datadog_api.time.sleep", lambda s: None)
    with FakeDatadog() as fake:
        yield fake


def run(capsys, fake, module, *args):
    code = module.main([*args, "--api-url", fake.url])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.slow
def test_pipeline_push_creates_then_a_second_run_writes_nothing(datadog, capsys):
    code, out, _ = run(capsys, datadog, push_pipelines)
    assert code == 0 and "create zoom-activity-logs Zoom Activity Logs" in out
    code, out, _ = run(capsys, datadog, push_pipelines)
    assert code == 0 and "unchanged zoom-activity-logs" in out and "done: 0 change(s) written" in out
    assert datadog.writes() == ["POST /api/v1/logs/config/pipelines"]  # order untouched without --order


@pytest.mark.slow
def test_pipeline_update_in_place_and_order_only_on_request(datadog, capsys):
    (pack,) = load_pipelines()
    old = pipeline_body(pack)
    old["processors"] = old["processors"][:1]
    old["tags"] = [t if not t.startswith("version:") else "version:0.0.1" for t in old["tags"]]
    datadog.seed_pipeline(old)
    code, out, _ = run(capsys, datadog, push_pipelines, "--dry-run")
    assert code == 0 and "update zoom-activity-logs" in out and "dry run: 1 change(s) not written" in out
    code, out, _ = run(capsys, datadog, push_pipelines, "--order")
    assert code == 0 and "order: the pack's pipelines moved to the top" in out
    assert datadog.writes() == ["PUT /api/v1/logs/config/pipelines/pl-001", "PUT /api/v1/logs/config/pipeline-order"]
    assert datadog.order == ["pl-001", "pl-foreign-1"]


@pytest.mark.slow
def test_newer_deployed_pipeline_is_refused_without_force(datadog, capsys):
    (pack,) = load_pipelines()
    newer = pipeline_body(pack)
    newer["tags"] = [t if not t.startswith("version:") else "version:999.0.0" for t in newer["tags"]]
    newer["description"] = "edited by hand in the UI"
    datadog.seed_pipeline(newer)
    code, _, err = run(capsys, datadog, push_pipelines)
    assert code == 1 and "deployed version 999.0.0 is newer" in err and "--force" in err
    assert datadog.writes() == []
    code, out, _ = run(capsys, datadog, push_pipelines, "--force")
    assert code == 0 and datadog.writes() == ["PUT /api/v1/logs/config/pipelines/pl-001"]


@pytest.mark.slow
def test_dashboard_push_creates_then_updates_in_place_then_writes_nothing(datadog, capsys, tmp_path):
    code, out, _ = run(capsys, datadog, push_dashboards)
    assert code == 0 and "create zoom-activity-logs-overview" in out
    root = tmp_path / "repo"
    for name in ("pipelines", "siem_rules", "docs", "dashboards"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy(ROOT / "content.lock.json", root / "content.lock.json")
    (dash,) = load_dashboards(root)
    title = dash.definition["title"]
    dash.path.write_text(dash.path.read_text().replace(f'"{title}"', f'"{title} (security)"'))
    # changed content is pushed only with its version bumped (the push runs every check of validate.py)
    code, out, err = run(capsys, datadog, push_dashboards, "--root", str(root))
    assert code == 1 and "content changed since version" in err and datadog.writes() == ["POST /api/v1/dashboard"]
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build.py"), "--update-lock", "--root", str(root)],
        check=True,
        capture_output=True,
    )
    code, out, _ = run(capsys, datadog, push_dashboards, "--root", str(root))
    assert code == 0 and "update zoom-activity-logs-overview" in out and f"{title} (security)" in out
    code, out, _ = run(capsys, datadog, push_dashboards, "--root", str(root))
    assert code == 0 and "unchanged zoom-activity-logs-overview" in out
    assert datadog.writes() == ["POST /api/v1/dashboard", "PUT /api/v1/dashboard/abc-def-001"]


@pytest.mark.slow
def test_missing_keys_and_bad_site(capsys, monkeypatch):
    monkeypatch.delenv("DD_API_KEY", raising=False)
    monkeypatch.setenv("DD_APP_KEY", "y")
    assert push_pipelines.main([]) == 2 and "DD_API_KEY not set" in capsys.readouterr().err
    monkeypatch.setenv("DD_API_KEY", "x")
    monkeypatch.setenv("DD_APP_KEY", "y")
    monkeypatch.setenv("DD_SITE", "datadog.example")
    assert push_dashboards.main([]) == 2 and "DD_SITE: 'datadog.example'" in capsys.readouterr().err


# -- a large organisation: 180 other dashboards, 180 other rules, 30 other pipelines ------------

FOREIGN = 180


def large_org(fake: FakeDatadog) -> None:
    for i in range(FOREIGN):
        fake.seed_dashboard(
            {"title": f"Team dashboard {i}", "layout_type": "ordered", "description": f"team {i % 7}", "widgets": []}
        )
        fake.seed(
            {
                "name": f"Someone else's rule {i}",
                "type": "log_detection",
                "isEnabled": True,
                "queries": [{"name": "a", "query": f"service:team{i}", "aggregation": "count"}],
                "cases": [{"name": "hit", "status": "info", "condition": "a > 0"}],
                "options": {"evaluationWindow": 300, "keepAlive": 3600, "maxSignalDuration": 86400},
                "message": "not ours",
                "tags": [f"team:t{i % 7}"],
            }
        )
    for i in range(30):
        fake.seed_pipeline({"name": f"Team pipeline {i}", "is_enabled": True, "filter": {"query": f"team:{i}"}})


def pack_objects(fake: FakeDatadog) -> dict[str, int]:
    """How many deployed objects carry the pack's mark, per kind."""
    return {
        "dashboards": sum(
            "zoom-activity-logs pack: pack_id:" in (d.get("description") or "") for d in fake.dashboards.values()
        ),
        "rules": sum("pack:zoom-activity-logs" in r.get("tags", []) for r in fake.rules.values()),
        "pipelines": sum("pack:zoom-activity-logs" in p.get("tags", []) for p in fake.pipelines.values()),
    }


def skip_content_checks(monkeypatch) -> None:
    """Paging and idempotency do not depend on the content passing validate.py (tested on its own)."""
    for module in (push_pipelines, push_rules, push_dashboards):
        monkeypatch.setattr(module, "refuse_invalid", lambda root: False)


@pytest.mark.slow
def test_every_push_script_is_idempotent_in_an_organisation_with_180_other_dashboards(
    datadog, capsys, contract, monkeypatch
):
    skip_content_checks(monkeypatch)
    large_org(datadog)
    scripts = [("pipelines", push_pipelines), ("rules", push_rules), ("dashboards", push_dashboards)]
    expected = {"pipelines": len(load_pipelines()), "rules": len(load_rules()), "dashboards": len(load_dashboards())}
    for kind, module in scripts:
        code, out, err = run(capsys, datadog, module)
        assert code == 0, err
        assert f"done: {expected[kind]} change(s) written" in out
    assert pack_objects(datadog) == expected
    before = len(datadog.writes())
    for kind, module in scripts:
        code, out, err = run(capsys, datadog, module)
        assert code == 0, err
        assert "done: 0 change(s) written" in out and "create " not in out, (kind, out)
    assert len(datadog.writes()) == before and pack_objects(datadog) == expected  # no duplicate
    # the listings were read to the end, as their OpenAPI paging says
    dashboards = [r["query"] for r in datadog.log if r["method"] == "GET" and r["path"] == "/api/v1/dashboard"]
    assert [q["start"] for q in dashboards[-3:]] == [["0"], ["100"], ["181"]]
    assert all(q["count"] == ["100"] for q in dashboards)
    rules = [r["query"] for r in datadog.log if r["method"] == "GET" and r["path"] == push_rules.RULES]
    assert {q["page[size]"][0] for q in rules} == {"100"} and rules[-1]["page[number]"] != ["0"]
    assert len(datadog.dashboards) == FOREIGN + expected["dashboards"]
    assert contract.response_problems() == []  # the fake's answers are Datadog's shapes


def test_the_fake_serves_at_most_100_dashboards_per_listing_as_datadog_does(datadog):
    """So a script that does not page sees only the first 100 and would create its dashboard again."""
    large_org(datadog)
    import httpx

    headers = {"DD-API-KEY": API_KEY, "DD-APPLICATION-KEY": APP_KEY}
    with httpx.Client(base_url=datadog.url, headers=headers) as http:
        assert len(http.get("/api/v1/dashboard").json()["dashboards"]) == 100
        assert len(http.get("/api/v1/dashboard", params={"count": 500}).json()["dashboards"]) == 100
        assert len(http.get("/api/v1/dashboard", params={"count": 100, "start": 100}).json()["dashboards"]) == 80
        assert http.get(push_rules.RULES, params={"page[size]": 101}).status_code == 400
        assert len(http.get(push_rules.RULES).json()["data"]) == 10


@pytest.mark.slow
def test_a_dashboard_push_that_read_only_the_first_page_would_duplicate(datadog, capsys, monkeypatch):
    """The check above is not vacuous: the old single-request listing plans a create again."""
    skip_content_checks(monkeypatch)
    large_org(datadog)
    assert run(capsys, datadog, push_dashboards)[0] == 0
    one_page = push_dashboards.DatadogClient.pages_by_offset

    def first_page_only(self, path, key, what, params=None):
        return self.get(path, params, what)[key]

    monkeypatch.setattr(push_dashboards.DatadogClient, "pages_by_offset", first_page_only)
    code, out, _ = run(capsys, datadog, push_dashboards, "--dry-run")
    assert code == 0 and "create zoom-activity-logs-overview" in out
    monkeypatch.setattr(push_dashboards.DatadogClient, "pages_by_offset", one_page)
    code, out, _ = run(capsys, datadog, push_dashboards, "--dry-run")
    assert code == 0 and "unchanged zoom-activity-logs-overview" in out


# -- answers that are not Datadog's, for the pipeline and dashboard scripts ------------------------------

PIPELINES, DASHBOARDS = push_pipelines.PIPELINES, push_dashboards.DASHBOARDS
FAULTS = {
    "pipelines_html": (push_pipelines, {"kind": "html", "path": PIPELINES}, 5, "HTTP 200 but the answer is not JSON"),
    "pipelines_object": (
        push_pipelines,
        {"kind": "json", "path": PIPELINES, "body": {"pipelines": []}},
        5,
        "listing pipelines: the answer is an object where Datadog sends a list",
    ),
    "pipelines_truncated": (
        push_pipelines,
        {"kind": "truncated", "path": PIPELINES},
        5,
        "HTTP 200 but the answer is not JSON",
    ),
    "pipeline_created_without_id": (
        push_pipelines,
        {"kind": "json", "path": PIPELINES, "method": "POST", "body": {"name": "x"}},
        5,
        "creating zoom-activity-logs: the answer has no `id`",
    ),
    "dashboards_missing": (
        push_dashboards,
        {"kind": "json", "path": DASHBOARDS, "body": {"data": []}},
        5,
        "listing dashboards: the answer has no `dashboards`",
    ),
    "dashboards_html": (push_dashboards, {"kind": "html", "path": DASHBOARDS}, 5, "is not JSON (text/html"),
    "dashboards_rate_limited_for_a_day": (
        push_dashboards,
        {"kind": "429", "path": DASHBOARDS, "reset": "90000", "name": "dashboards"},
        4,
        "rate limited (429) (dashboards), and Datadog asks to wait 25 hours (90000 s): more than the 600 s",
    ),
    "dashboards_503_until_retries_run_out": (
        push_dashboards,
        {"kind": "5xx", "path": DASHBOARDS, "times": 5},
        4,
        "GET /api/v1/dashboard: HTTP 503; gave up after 5 attempts",
    ),
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_an_answer_that_is_not_datadogs_is_one_line_and_a_documented_exit(datadog, capsys, monkeypatch, name):
    module, fault, exit_code, says = FAULTS[name]
    monkeypatch.setattr(module, "refuse_invalid", lambda root: False)  # the content's checks are tested elsewhere
    datadog.inject(**fault)
    code, out, err = run(capsys, datadog, module)
    assert code == exit_code
    assert "Traceback" not in err
    errors = [l for l in err.splitlines() if l.startswith("error: ")]
    retries = [l for l in err.splitlines() if not l.startswith("error: ")]
    assert len(errors) == 1 and says in errors[0], err
    assert all("retrying in" in l for l in retries)  # progress while retrying, nothing else
    assert API_KEY not in err + out and APP_KEY not in err + out
