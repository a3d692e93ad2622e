"""push_rules.py with correlation rules and suppressions, live against tests/fake_datadog.py.

Every request is checked against Datadog's OpenAPI slice as it is sent, and every 2xx answer
of the fake against the response schemas (tests/openapi_contract.py); the built payloads pass
datadog-api-client's models. Content is written to a temporary --dir (the rule model for
correlation rules is another module's; these bodies are what it builds).
"""

from __future__ import annotations

import copy
import importlib.util
import json
from pathlib import Path

import pytest
from fake_datadog import API_KEY, APP_KEY, SUPPRESSIONS, FakeDatadog
from openapi_contract import Recorder, Sent, request_problems, without_update_oneof_quirk
from test_push_rules import body

from contentkit.datadog_api import schema_fields
from contentkit.push import PLACEHOLDER, correlation_payload, suppression_update, update_body
from contentkit.tuning import compile_suppressions, load_tuning

ROOT = Path(__file__).resolve().parent.parent
RULES = "/api/v2/security_monitoring/rules"
spec = importlib.util.spec_from_file_location("push_rules_corr", ROOT / "scripts" / "push_rules.py")
assert spec is not None and spec.loader is not None
push_rules = importlib.util.module_from_spec(spec)
spec.loader.exec_module(push_rules)


def corr(pid: str, reads: list[str], condition: str = "a > 0 && b > 0") -> dict:
    return {
        "name": f"Zoom correlation {pid}",
        "type": "signal_correlation",
        "isEnabled": True,
        "queries": [
            {"name": n, "rule": r, "correlatedByFields": ["@usr.email"], "aggregation": "event_count"}
            | ({"correlatedQueryIndex": 0} if n == "b" else {})
            for n, r in zip("ab", reads, strict=False)
        ],
        "cases": [{"name": "both", "status": "high", "condition": condition}],
        "options": {"evaluationWindow": 900, "keepAlive": 3600, "maxSignalDuration": 86400},
        "message": "## Goal\nx\n## Strategy\ny\n## Triage and response\nz\n",
        "tags": ["source:zoom_activity_logs", "pack:zoom-activity-logs", f"pack_id:{pid}", "version:1"],
    }


PACK = {
    "zoom-one": body("one", "Zoom rule one"),
    "zoom-two": body("two", "Zoom rule two"),
    "zoom-both": corr("zoom-both", ["zoom-one", "zoom-two"]),
}
TUNING = """
egress_networks:
  - cidr: 2001:db8:11::/48
    reason: Corporate VPN at the hosting provider
    applies_to: [zoom-one]
    expires: 2099-12-31
admin_operators:
  - email: It-Admin@example.com
    reason: The account's administrator
    applies_to: [zoom-two]
"""
FOREIGN_SUPPRESSION = {
    "data": {"type": "suppressions", "attributes": {"name": "theirs", "enabled": True, "rule_query": "source:x"}}
}


def write_dir(tmp_path: Path, rules: dict) -> str:
    folder = tmp_path / "build" / "rules"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    for pid, b in rules.items():
        (folder / f"{pid}.json").write_text(json.dumps(b))
    return str(tmp_path / "build")


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setenv("DD_API_KEY", API_KEY)
    monkeypatch.setenv("DD_APP_KEY", APP_KEY)
    monkeypatch.delenv("DD_SITE", raising=False)
    recorder = Recorder().install(monkeypatch)
    with FakeDatadog() as server:
        yield server
    assert without_update_oneof_quirk(recorder.request_problems()) == []
    assert recorder.response_problems() == []


def run(fake, capsys, tmp_path, rules: dict, *args, tuning: str | None = None) -> tuple[int, str, str]:
    extra = []
    if tuning is not None:
        path = tmp_path / "tuning.yaml"
        path.write_text(tuning)
        extra = ["--tuning", str(path)]
    before = len(fake.log)
    code = push_rules.main(["--dir", write_dir(tmp_path, rules), *extra, *args, "--api-url", fake.url])
    out = capsys.readouterr()
    fake.new_writes = [
        f"{r['method']} {r['path']}"
        for r in fake.log[before:]
        if r["method"] != "GET" and not r["path"].endswith(("/validation", "/test"))
    ]
    return code, out.out, out.err


def ids_by_pack(fake) -> dict[str, str]:
    return {next(t[8:] for t in r["tags"] if t.startswith("pack_id:")): rid for rid, r in fake.rules.items()}


def test_first_push_creates_log_rules_then_correlation_rules_with_their_datadog_ids(fake, tmp_path, capsys):
    code, out, _ = run(fake, capsys, tmp_path, {"zoom-both": PACK["zoom-both"], **PACK})
    assert code == 0, out
    assert fake.new_writes == [f"POST {RULES}"] * 3
    posted = [r["body"]["name"] for r in fake.log if r["method"] == "POST"]
    assert posted[-1] == "Zoom correlation zoom-both"  # after the rules it reads, whatever the order given
    ids = ids_by_pack(fake)
    (deployed,) = [r for r in fake.rules.values() if r["type"] == "signal_correlation"]
    assert [q["ruleId"] for q in deployed["queries"]] == [ids["zoom-one"], ids["zoom-two"]]
    assert deployed["queries"][1]["correlatedQueryIndex"] == 0


def test_second_push_of_rules_correlations_and_suppressions_writes_nothing(fake, tmp_path, capsys):
    fake.seed_suppression(copy.deepcopy(FOREIGN_SUPPRESSION))
    assert run(fake, capsys, tmp_path, PACK, tuning=TUNING)[0] == 0
    assert sorted(fake.new_writes) == sorted([f"POST {RULES}"] * 3 + [f"POST {SUPPRESSIONS}"] * 2)
    code, out, _ = run(fake, capsys, tmp_path, PACK, "--prune", tuning=TUNING)
    assert code == 0 and fake.new_writes == []
    assert out.count("unchanged ") == 5 and "done: 0 change(s) written" in out
    assert len(fake.suppressions) == 3  # the foreign one is left alone


def test_a_changed_correlation_rule_is_updated_with_update_fields_only(fake, tmp_path, capsys):
    run(fake, capsys, tmp_path, PACK)
    changed = {**PACK, "zoom-both": corr("zoom-both", ["zoom-one", "zoom-two"], "a > 1 && b > 0")}
    code, out, _ = run(fake, capsys, tmp_path, changed)
    assert code == 0 and "update zoom-both" in out and '"condition": "a > 1 && b > 0"' in out
    assert fake.new_writes == [f"PUT {RULES}/{ids_by_pack(fake)['zoom-both']}"]
    sent = fake.log[-1]["body"]
    assert "type" not in sent and set(sent) <= schema_fields("v2", "SecurityMonitoringRuleUpdatePayload")
    assert [q["ruleId"] for q in sent["queries"]] == [ids_by_pack(fake)["zoom-one"], ids_by_pack(fake)["zoom-two"]]


def test_a_correlation_rule_reading_a_recreated_rule_gets_its_new_id(fake, tmp_path, capsys):
    run(fake, capsys, tmp_path, PACK)
    old = ids_by_pack(fake)["zoom-two"]
    del fake.rules[old]  # deleted in Datadog by hand
    code, out, _ = run(fake, capsys, tmp_path, PACK)
    assert code == 0 and "create zoom-two" in out and "update zoom-both" in out
    new = ids_by_pack(fake)["zoom-two"]
    assert new != old
    both = fake.rules[ids_by_pack(fake)["zoom-both"]]
    assert [q["ruleId"] for q in both["queries"]] == [ids_by_pack(fake)["zoom-one"], new]
    assert fake.new_writes == [f"POST {RULES}", f"PUT {RULES}/{ids_by_pack(fake)['zoom-both']}"]


def test_prune_deletes_correlation_rules_before_the_rules_they_read(fake, tmp_path, capsys):
    run(fake, capsys, tmp_path, PACK)
    ids = ids_by_pack(fake)
    code, out, _ = run(fake, capsys, tmp_path, {"zoom-one": PACK["zoom-one"]}, "--prune")
    assert code == 0
    assert fake.new_writes == [f"DELETE {RULES}/{ids['zoom-both']}", f"DELETE {RULES}/{ids['zoom-two']}"]
    assert out.index("delete zoom-both") < out.index("delete zoom-two")


@pytest.mark.parametrize(
    "reads, says",
    [
        (["zoom-one", "zoom-nope"], "error: zoom-both: queries/1/rule: zoom-nope is not a rule of this pack"),
        (["zoom-one", "zoom-both"], "error: zoom-both: queries/1/rule: zoom-both is a correlation rule"),
    ],
)
def test_a_correlation_rule_reading_no_rule_of_the_pack_is_one_line_and_exit_1(fake, tmp_path, capsys, reads, says):
    code, out, err = run(fake, capsys, tmp_path, {**PACK, "zoom-both": corr("zoom-both", reads)})
    assert code == 1 and out == ""
    assert err.strip().splitlines() == [err.strip()] and err.startswith(says), err
    assert fake.log == []  # refused before any request


def test_dry_run_plans_the_correlation_rule_and_writes_nothing(fake, tmp_path, capsys):
    code, out, _ = run(fake, capsys, tmp_path, PACK, "--dry-run", tuning=TUNING)
    assert code == 0 and fake.new_writes == []
    assert "create zoom-both" in out and "dry run: 5 change(s) not written" in out


def test_suppressions_are_updated_and_pruned_by_their_pack_id(fake, tmp_path, capsys):
    run(fake, capsys, tmp_path, PACK, tuning=TUNING)
    by_pack = {
        next(t[8:] for t in s["attributes"]["tags"] if t.startswith("pack_id:")): sid
        for sid, s in fake.suppressions.items()
    }
    egress = by_pack["tuning-egress-networks-2001-db8-11-48"]
    assert fake.suppressions[egress]["attributes"]["expiration_date"] == 4102444800000  # 2100-01-01: through 2099
    # the expiry removed and the reason changed: one PATCH, the date sent as null (removed)
    edited = TUNING.replace("    expires: 2099-12-31\n", "").replace("Corporate VPN", "Company VPN")
    code, out, _ = run(fake, capsys, tmp_path, PACK, "--prune", tuning=edited.split("admin_operators:")[0])
    assert code == 0
    assert fake.new_writes == [
        f"PATCH {SUPPRESSIONS}/{egress}",
        f"DELETE {SUPPRESSIONS}/{by_pack['tuning-admin-operators-it-admin-example.com']}",
    ]
    patch = next(r["body"] for r in fake.log if r["method"] == "PATCH")
    assert patch["data"]["attributes"]["expiration_date"] is None
    assert "expiration_date" not in fake.suppressions[egress]["attributes"]
    assert run(fake, capsys, tmp_path, PACK, "--prune", tuning=edited.split("admin_operators:")[0])[0] == 0
    assert fake.new_writes == []


def test_a_bad_tuning_file_is_one_line_per_problem_and_exit_1(fake, tmp_path, capsys):
    bad = """
egress_networks:
  - cidr: 203.0.113.7/24
    reason: office
  - cidr: 198.51.100.0/24
    reason: office two
    expires: 2027-02-30
    applies_to: [zoom-nope]
asns:
  - asn: AS64496
"""
    code, out, err = run(fake, capsys, tmp_path, PACK, tuning=bad)
    assert code == 1 and out == "" and fake.log == []
    lines = err.strip().splitlines()
    path = str(tmp_path / "tuning.yaml")
    assert lines[0] == f"error: {path}: asns/0: 'reason' is a required property"
    assert f"error: {path}: egress_networks/0/cidr: '203.0.113.7/24' is not a network" in lines[1]
    # this pack has none of the hosting/geography rules an egress network applies to by default
    assert lines[2].startswith(f"error: {path}: egress_networks/0/applies_to: none of the default rules (")
    assert lines[3] == f"error: {path}: egress_networks/1/expires: '2027-02-30' is not a date (YYYY-MM-DD)"
    assert lines[4] == f"error: {path}: egress_networks/1/applies_to/0: zoom-nope is not a rule of this pack"
    assert lines[5] == f"error: 5 problem(s) in {path}"


# -- the built payloads, read by Datadog's official client and the contract ---------------------------


def test_built_correlation_and_suppression_payloads_pass_the_official_client_models(tmp_path):
    from datadog_api_client import Configuration
    from datadog_api_client.model_utils import UnparsedObject, validate_and_convert_types
    from datadog_api_client.v2.model.security_monitoring_rule_create_payload import SecurityMonitoringRuleCreatePayload
    from datadog_api_client.v2.model.security_monitoring_rule_update_payload import SecurityMonitoringRuleUpdatePayload
    from datadog_api_client.v2.model.security_monitoring_signal_rule_create_payload import (
        SecurityMonitoringSignalRuleCreatePayload,
    )
    from datadog_api_client.v2.model.security_monitoring_suppression_create_request import (
        SecurityMonitoringSuppressionCreateRequest,
    )
    from datadog_api_client.v2.model.security_monitoring_suppression_update_request import (
        SecurityMonitoringSuppressionUpdateRequest,
    )

    config = Configuration()
    built = correlation_payload("zoom-both", PACK["zoom-both"])
    assert [q["ruleId"] for q in built["queries"]] == [PLACEHOLDER + "zoom-one", PLACEHOLDER + "zoom-two"]
    model = validate_and_convert_types(built, (SecurityMonitoringSignalRuleCreatePayload,), ["b"], True, True, config)
    assert model.queries[0].rule_id == "pack_id:zoom-one"
    model = validate_and_convert_types(built, (SecurityMonitoringRuleCreatePayload,), ["b"], True, True, config)
    assert type(model.get_oneof_instance()).__name__ == "SecurityMonitoringSignalRuleCreatePayload"
    fields = schema_fields("v2", "SecurityMonitoringRuleUpdatePayload")
    update = update_body("zoom-both", built, built, fields, "SecurityMonitoringRuleUpdatePayload")
    validate_and_convert_types(update, (SecurityMonitoringRuleUpdatePayload,), ["b"], True, True, config)
    path = tmp_path / "tuning.yaml"
    path.write_text((ROOT / "tuning.example.yaml").read_text())
    ids = [p.stem for p in (ROOT / "siem_rules").glob("zoom-*.yaml")]
    payloads = compile_suppressions(load_tuning(path, ids))
    assert len(payloads) == 8
    sup_fields = schema_fields("v2", "SecurityMonitoringSuppressionUpdateAttributes")
    requests = [Sent.payload("POST", RULES, built), Sent.payload("PUT", f"{RULES}/abc", update)]
    for payload in payloads.values():
        model = validate_and_convert_types(
            payload, (SecurityMonitoringSuppressionCreateRequest,), ["b"], True, True, config
        )
        assert not isinstance(model.data, UnparsedObject) and model.data.attributes.rule_query
        patch = suppression_update(payload, {"expiration_date": 1}, sup_fields)
        validate_and_convert_types(patch, (SecurityMonitoringSuppressionUpdateRequest,), ["b"], True, True, config)
        requests += [
            Sent.payload("POST", SUPPRESSIONS, payload),
            Sent.payload("POST", f"{SUPPRESSIONS}/validation", payload),
            Sent.payload("PATCH", f"{SUPPRESSIONS}/sup-1", patch),
        ]
    problems = [p for sent in requests for p in request_problems(sent)]
    assert len(problems) == 1 and without_update_oneof_quirk(problems) == []  # the published oneOf quirk only
    # the checker would name an update carrying the create's `type`
    assert request_problems(Sent.payload("PUT", f"{RULES}/abc", built))
