"""push_pipelines.py and push_dashboards.py, replayed from cassettes like push_rules.

Recorded once from tests/fake_datadog.py (`--record-mode=once`); replay needs no server.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fake_datadog import API_KEY, APP_KEY, FakeDatadog

from contentkit.load import load_pipelines, pipeline_body

ROOT = Path(__file__).resolve().parent.parent
PORT = 18127
URL = f"http://127.0.0.1:{PORT}"


def script(name):
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


push_pipelines, push_dashboards = script("push_pipelines"), script("push_dashboards")


@pytest.fixture(scope="module")
def vcr_config():
    return {"filter_headers": ["DD-API-KEY", "DD-APPLICATION-KEY"], "allow_playback_repeats": False}


@pytest.fixture
def datadog(record_mode, monkeypatch):
    monkeypatch.setenv("DD_API_KEY", API_KEY)
    monkeypatch.setenv("DD_APP_KEY", APP_KEY)
    monkeypatch.setattr("contentkit.datadog_api.time.sleep", lambda s: None)
    if record_mode == "none":
        yield None
        return
    with FakeDatadog(PORT) as fake:
        yield fake


def run(capsys, module, *args):
    code = module.main([*args, "--api-url", URL])
    out = capsys.readouterr()
    return code, out.out, out.err


def played(vcr):
    """Requests made so far: recorded ones while recording, played ones on replay."""
    return vcr.requests[: vcr.play_count] if vcr.play_count else vcr.requests


def writes(vcr):
    return [f"{r.method} {r.path}" for r in played(vcr) if r.method != "GET"]


@pytest.mark.vcr
@pytest.mark.slow
def test_pipeline_push_creates_then_a_second_run_writes_nothing(datadog, capsys, vcr):
    code, out, _ = run(capsys, push_pipelines)
    assert code == 0 and "create zoom-activity-logs Zoom Activity Logs" in out
    code, out, _ = run(capsys, push_pipelines)
    assert code == 0 and "unchanged zoom-activity-logs" in out and "done: 0 change(s) written" in out
    assert writes(vcr) == ["POST /api/v1/logs/config/pipelines"]  # order untouched without --order


@pytest.mark.vcr
@pytest.mark.slow
def test_pipeline_update_in_place_and_order_only_on_request(datadog, capsys, vcr, tmp_path):
    (pack,) = load_pipelines()
    old = pipeline_body(pack)
    old["processors"] = old["processors"][:1]
    old["tags"] = [t if not t.startswith("version:") else "version:1.0.0" for t in old["tags"]]
    if datadog is not None:
        datadog.seed_pipeline(old)
    code, out, _ = run(capsys, push_pipelines, "--dry-run")
    assert code == 0 and "update zoom-activity-logs" in out and "dry run: 1 change(s) not written" in out
    code, out, _ = run(capsys, push_pipelines, "--order")
    assert code == 0 and "order: the pack's pipelines moved to the top" in out
    assert writes(vcr) == ["PUT /api/v1/logs/config/pipelines/pl-001", "PUT /api/v1/logs/config/pipeline-order"]


@pytest.mark.vcr
@pytest.mark.slow
def test_newer_deployed_pipeline_is_refused_without_force(datadog, capsys, vcr):
    (pack,) = load_pipelines()
    newer = pipeline_body(pack)
    newer["tags"] = [t if not t.startswith("version:") else "version:9.0.0" for t in newer["tags"]]
    newer["description"] = "edited by hand in the UI"
    if datadog is not None:
        datadog.seed_pipeline(newer)
    code, _, err = run(capsys, push_pipelines)
    assert code == 1 and "deployed version 9.0.0 is newer" in err and "--force" in err
    assert writes(vcr) == []
    code, out, _ = run(capsys, push_pipelines, "--force")
    assert code == 0 and writes(vcr) == ["PUT /api/v1/logs/config/pipelines/pl-001"]


@pytest.mark.vcr
@pytest.mark.slow
def test_dashboard_push_creates_then_updates_in_place_then_writes_nothing(datadog, capsys, vcr, tmp_path):
    code, out, _ = run(capsys, push_dashboards)
    assert code == 0 and "create zoom-activity-logs-overview" in out
    root = tmp_path / "repo"
    for name in ("pipelines", "siem_rules", "docs", "dashboards"):
        shutil.copytree(ROOT / name, root / name)
    path = root / "dashboards" / "zoom_activity_logs_overview.json"
    shutil.copy(ROOT / "content.lock.json", root / "content.lock.json")
    path.write_text(path.read_text().replace("Zoom Activity Logs - Overview", "Zoom Activity Logs - Security overview"))
    # changed content is pushed only with its version bumped (the push runs every check of validate.py)
    code, out, err = run(capsys, push_dashboards, "--root", str(root))
    assert code == 1 and "content changed since version" in err and writes(vcr) == ["POST /api/v1/dashboard"]
    subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build.py"), "--update-lock", "--root", str(root)],
        check=True,
        capture_output=True,
    )
    code, out, _ = run(capsys, push_dashboards, "--root", str(root))
    assert code == 0 and "update zoom-activity-logs-overview" in out and "Security overview" in out
    code, out, _ = run(capsys, push_dashboards, "--root", str(root))
    assert code == 0 and "unchanged zoom-activity-logs-overview" in out
    assert writes(vcr) == ["POST /api/v1/dashboard", "PUT /api/v1/dashboard/abc-def-001"]


@pytest.mark.slow
def test_missing_keys_and_bad_site(capsys, monkeypatch):
    monkeypatch.delenv("DD_API_KEY", raising=False)
    monkeypatch.setenv("DD_APP_KEY", "y")
    assert push_pipelines.main([]) == 2 and "DD_API_KEY not set" in capsys.readouterr().err
    monkeypatch.setenv("DD_API_KEY", "x")
    monkeypatch.setenv("DD_APP_KEY", "y")
    monkeypatch.setenv("DD_SITE", "datadog.example")
    assert push_dashboards.main([]) == 2 and "DD_SITE: 'datadog.example'" in capsys.readouterr().err
