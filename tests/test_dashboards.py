"""The overview dashboard: built body accepted by the official model, every query grounded."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from contentkit.load import ROOT, dashboard_body, load_dashboards
from contentkit.validate import validate_all

PROBLEMS: list = []
DASHBOARDS = load_dashboards(ROOT, PROBLEMS)


def test_dashboards_load():
    assert PROBLEMS == [] and [d.name for d in DASHBOARDS] == ["zoom_activity_logs_overview"]


@pytest.mark.slow
def test_built_body_passes_the_official_model_widget_by_widget(tmp_path):
    from datadog_api_client import Configuration
    from datadog_api_client.model_utils import UnparsedObject, validate_and_convert_types
    from datadog_api_client.v1.model.dashboard import Dashboard

    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build.py"), "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    body = json.loads((tmp_path / "dashboards" / "zoom_activity_logs_overview.json").read_text())
    assert body == dashboard_body(DASHBOARDS[0])
    assert "pack_id:zoom-activity-logs-overview version:" in body["description"]
    model = validate_and_convert_types(body, (Dashboard,), ["body"], True, True, Configuration())
    kinds = [type(w.definition.get_oneof_instance()).__name__ for w in model.widgets]
    assert "UnparsedObject" not in kinds
    assert {
        "TimeseriesWidgetDefinition",
        "ToplistWidgetDefinition",
        "GeomapWidgetDefinition",
        "ListStreamWidgetDefinition",
    } <= set(kinds)
    assert not any(isinstance(w.definition.get_oneof_instance(), UnparsedObject) for w in model.widgets)


def test_overview_has_what_a_security_team_opens_first():
    d = DASHBOARDS[0].definition
    text = json.dumps(d)
    assert {v["name"] for v in d["template_variables"]} == {"account", "user"}
    for needle in (
        "@network.client.geoip.country.iso_code",
        "@client_type",
        "@network.client.ip",
        "@usr.email",
        "@zoom.category",
        "@zoom.action",
        "zoom.user.role_change",
        "security_signals_stream",
        "country new for them",
    ):
        assert needle in text, needle


@pytest.mark.slow
def test_a_widget_on_a_missing_attribute_fails_validation(tmp_path):
    root = tmp_path / "repo"
    for name in ("pipelines", "siem_rules", "docs", "dashboards"):
        shutil.copytree(ROOT / name, root / name)
    shutil.copy(ROOT / "content.lock.json", root / "content.lock.json")
    path = root / "dashboards" / "zoom_activity_logs_overview.json"
    path.write_text(path.read_text().replace('"facet": "@client_type"', '"facet": "@clientType"'))
    problems = [str(p) for p in validate_all(root)]
    assert any(
        p.startswith("dashboards/zoom_activity_logs_overview.json: dashboard/widgets/1 (Sign-ins and sign-outs")
        and "facet @clientType is never produced" in p
        for p in problems
    ), problems
