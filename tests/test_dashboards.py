"""The overview dashboard: built body accepted by the official model, every query grounded."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from contentkit.event import get_path
from contentkit.load import ROOT, dashboard_body, load_dashboards
from contentkit.search import compile_query
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
        "@ocsf.type_name",
        "@ocsf.type_uid:300201",
        "@ocsf.type_uid:(300107 OR 300106)",
        "security_signals_stream",
        "country new for them",
    ):
        assert needle in text, needle


def _widget(title: str) -> dict:
    (found,) = [w["definition"] for w in DASHBOARDS[0].definition["widgets"] if w["definition"].get("title") == title]
    return found


def _search(definition: dict) -> str:
    request = definition["requests"][0]
    text = request["queries"][0]["search"]["query"] if "queries" in request else request["query"]["query_string"]
    return re.sub(r"\$[A-Za-z_]\w*", "", text)  # template variables at their default, *


OP = {"log_type": "operation", "operator": "admin@example.com", "account": "default"}
SIGN = {"log_type": "activity", "email": "kim@example.com", "ip_address": "192.0.2.10", "client_type": "mac"}
# (raw line, in the privileged-changes stream?) as the 1.x taxonomy had it: role changes,
# user deletions, roles created or edited, and a setting turned from On to Off
PRIVILEGED = [
    (
        {
            **OP,
            "category_type": "User",
            "action": "Batch Update",
            "operation_detail": "Change Role  - homer@example.com: from Member to Admin",
        },
        True,
    ),
    (
        {
            **OP,
            "category_type": "User",
            "action": "Update",
            "operation_detail": "Update User bart@example.com  - User Role: from Member to Admin",
        },
        True,
    ),
    ({**OP, "category_type": "User", "action": "Delete", "operation_detail": "Delete User lisa@example.com "}, True),
    ({**OP, "category_type": "User", "action": "Delete", "operation_detail": "Removed 3 users"}, True),
    ({**OP, "category_type": "Role", "action": "Add", "operation_detail": "Add Role Auditors"}, True),
    ({**OP, "category_type": "Role", "action": "Update", "operation_detail": "Edit Role Admin  - Recording: On"}, True),
    (
        {
            **OP,
            "category_type": "Account",
            "action": "Update",
            "operation_detail": "Security  - Sign in with Two-Factor Authentication: from On to Off",
        },
        True,
    ),
    (
        {
            **OP,
            "category_type": "Account",
            "action": "Update",
            "operation_detail": "Sign-in Methods  - Allow users to sign in with Google: from Off to On",
        },
        False,
    ),
    ({**OP, "category_type": "Role", "action": "Delete", "operation_detail": "Delete Role Auditors"}, False),
    (
        {
            **OP,
            "category_type": "User",
            "action": "Update",
            "operation_detail": "Update User lee@example.com  - Department: from Sales to Marketing",
        },
        False,
    ),
    ({**OP, "category_type": "Recording", "action": "Delete", "operation_detail": "Delete Recording Board"}, False),
    ({**SIGN, "type": "Sign in"}, False),
]


def _events(lines: list[dict]) -> list[dict]:
    from contentkit.load import load_pipelines
    from contentkit.rule_tests import expand_test_logs, process_logs

    return process_logs(expand_test_logs({"log": line} for line in lines), load_pipelines())


def test_privileged_changes_stream_shows_what_it_showed_before_ocsf():
    query = compile_query(_search(_widget("Privileged changes: role changes, security settings turned off, deletions")))
    events = _events([line for line, _ in PRIVILEGED])
    shown = [query.matches(e) for e in events]
    assert shown == [expected for _, expected in PRIVILEGED], [e["message"] for e in events]
    # the stream's kind column is readable and tells a setting from a role
    assert {(e["ocsf"]["type_name"], e["ocsf"].get("entity", {}).get("type")) for e, s in zip(events, shown) if s} >= {
        ("Account Change: Attach Policy", None),
        ("Entity Management: Update", "Setting"),
        ("Entity Management: Update", "Role"),
    }


def test_sign_in_widgets_count_sign_ins_in_either_case_and_group_by_a_readable_type():
    events = _events([{**SIGN, "type": "Sign in"}, {**SIGN, "type": "sign in"}, {**SIGN, "type": "Sign out"}])
    for title in ("Top users signing in", "Top source IPs", "Sign-ins by country"):
        query = compile_query(_search(_widget(title)))
        assert [query.matches(e) for e in events] == [True, True, False], title
    over_time = _widget("Sign-ins and sign-outs over time, by type and client")
    facet = over_time["requests"][0]["queries"][0]["group_by"][0]["facet"]
    assert [get_path(e, facet.lstrip("@")) for e in events] == [
        "Authentication: Logon",
        "Authentication: Logon",
        "Authentication: Logoff",
    ]


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


MEET = {"log_type": "meeting_activity", "meeting_number": "982 610 0285", "account": "default"}


def _meeting(operator: str, email: str, category: str, detail: str) -> dict:
    return {
        **MEET,
        "operator": operator,
        "operator_email": email,
        "activity_category": category,
        "activity_detail": detail,
    }


def test_meeting_widgets_show_remote_control_outsiders_and_creations():
    lines = [
        _meeting("Jill Chill", "jill@example.com", "Meeting created", "Meeting created"),
        _meeting("Zoom", "hr.recruiter@gmail.com", "User joined", "Zoom joined the meeting"),
        _meeting("Call-in user 1", "", "User Join", "Call-in user 1 joined the meeting by phone"),
        _meeting("Bob Brown", "bob@partner.example", "User joined", "Bob Brown joined the meeting"),
        _meeting(
            "Zoom", "hr.recruiter@gmail.com", "Remote Control", "Zoom started remote control of Jill Chill's screen"
        ),
        {**SIGN, "type": "Sign in"},
    ]
    events = _events(lines)
    shown = {
        title: [compile_query(_search(_widget(title))).matches(e) for e in events]
        for title in (
            "Remote control sessions: controller, trust, target, meeting",
            "Outsiders joining meetings (no email or webmail), by trust",
            "Meetings created per user",
            "Meeting activity over time, by activity",
        )
    }
    assert shown == {
        "Remote control sessions: controller, trust, target, meeting": [False, False, False, False, True, False],
        "Outsiders joining meetings (no email or webmail), by trust": [False, True, True, False, False, False],
        "Meetings created per user": [True, False, False, False, False, False],
        "Meeting activity over time, by activity": [True, True, True, True, True, False],
    }
    # the table's columns are attributes the remote control record has: controller, trust, target, meeting
    table = _widget("Remote control sessions: controller, trust, target, meeting")
    columns = [c["field"] for c in table["requests"][0]["columns"] if c["field"] not in ("timestamp", "content")]
    assert [get_path(events[4], c) for c in columns] == [
        "Zoom",
        "webmail",
        "zoom",
        "started",
        "Jill Chill",
        "9826100285",
    ]
    over_time = _widget("Meeting activity over time, by activity")
    facet = over_time["requests"][0]["queries"][0]["group_by"][0]["facet"].lstrip("@")
    assert [get_path(e, facet) for e in events[:5]] == [
        "meeting_created",
        "user_joined",
        "user_joined",
        "user_joined",
        "remote_control",
    ]
