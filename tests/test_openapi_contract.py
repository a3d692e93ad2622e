"""The push scripts' requests and the pack's payloads against Datadog's published OpenAPI contract.

The contract is contentkit/data/openapi/ (slices cut unchanged from Datadog's OpenAPI
descriptions by tests/openapi_slice.py; nothing here reads anything outside the project).
tests/openapi_contract.py validates with openapi-core, in two ways: as published, and
strict (every object schema closed, no undeclared query parameter). The requests the
scripts make are checked as they are sent in test_push_rules.py and
test_push_pipelines_dashboards.py; here: the slices themselves, every payload built from
the repository's content, the recorded cassettes, and that the checker does find faults.
Datadog's official Python client (datadog-api-client) checks the same payloads as a
second, independent reading of the same description.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import httpx
import pytest
import yaml
from openapi_contract import (
    Answer,
    Sent,
    operation,
    request_problems,
    response_problems,
    without_update_oneof_quirk,
)
from openapi_slice import OPERATIONS
from openapi_spec_validator import validate as validate_spec

from contentkit.datadog_api import openapi, schema_fields
from contentkit.errors import ContentError
from contentkit.load import dashboard_body, load_dashboards, load_pipelines, load_rules, pipeline_body, rule_body
from contentkit.push import correlation_payload, is_correlation, references, resolve, update_body
from contentkit.rule_tests import remote_test_payloads

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = Path(__file__).parent / "cassettes" / "test_push_rules"
RULES = "/api/v2/security_monitoring/rules"
PIPELINES = "/api/v1/logs/config/pipelines"
DASHBOARDS = "/api/v1/dashboard"
SUPPRESSIONS = "/api/v2/security_monitoring/configuration/suppressions"
UPDATE = "SecurityMonitoringRuleUpdatePayload"


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_each_slice_is_a_valid_openapi_description_with_exactly_the_operations_used(version):
    spec = openapi(version)
    validate_spec(spec)  # every $ref of the slice resolves inside it
    kept = sorted((path, method) for path, item in spec["paths"].items() for method in item if method != "parameters")
    assert kept == sorted(OPERATIONS[version])
    assert spec["info"]["version"] and spec["openapi"].startswith("3.0")


def test_the_scripts_call_only_operations_of_the_slices():
    """Every path the scripts name is a documented operation (the methods they call with it)."""
    calls = [
        ("GET", RULES),
        ("POST", RULES),
        ("POST", f"{RULES}/validation"),
        ("POST", f"{RULES}/test"),
        ("PUT", f"{RULES}/abc-123"),
        ("DELETE", f"{RULES}/abc-123"),
        ("GET", PIPELINES),
        ("POST", PIPELINES),
        ("PUT", f"{PIPELINES}/abc"),
        ("GET", "/api/v1/logs/config/pipeline-order"),
        ("PUT", "/api/v1/logs/config/pipeline-order"),
        ("GET", DASHBOARDS),
        ("POST", DASHBOARDS),
        ("GET", f"{DASHBOARDS}/abc-def-ghi"),
        ("PUT", f"{DASHBOARDS}/abc-def-ghi"),
        ("GET", SUPPRESSIONS),
        ("POST", SUPPRESSIONS),
        ("POST", f"{SUPPRESSIONS}/validation"),
        ("PATCH", f"{SUPPRESSIONS}/sup-001"),
        ("DELETE", f"{SUPPRESSIONS}/sup-001"),
    ]
    assert [c for c in calls if operation(*c) is None] == []
    assert len(calls) == sum(len(ops) for ops in OPERATIONS.values())


def test_the_paged_listings_page_as_the_description_says():
    """What the client relies on: the parameter names, ListDashboards' x-pagination, the 100 limit."""
    _, dashboards = operation("GET", DASHBOARDS)
    assert dashboards["x-pagination"] == {
        "limitParam": "count",
        "pageOffsetParam": "start",
        "resultsPath": "dashboards",
    }
    _, rules = operation("GET", RULES)
    params = {p["$ref"].rsplit("/", 1)[1] for p in rules["parameters"] if "$ref" in p}
    components = openapi("v2")["components"]
    assert {components["parameters"][p]["name"] for p in params} == {"page[size]", "page[number]"}
    assert "maximum allowed value is 100" in components["parameters"]["PageSize"]["description"]
    assert set(components["schemas"]["Pagination"]["properties"]) == {"total_count", "total_filtered_count"}
    for path in (PIPELINES, "/api/v1/logs/config/pipeline-order"):  # whole lists, no paging to follow
        assert not operation("GET", path)[1].get("parameters")


# -- every payload built from the repository's content --------------------------------------------


def sent_rule_body(rule, ids) -> dict:
    """A rule's body as push_rules.py sends it: a correlation rule with the Datadog ids of the
    rules it reads put in (each is given the id abc-def-ghi here)."""
    body = rule_body(rule)
    if not is_correlation(body):
        return body
    built = correlation_payload(rule.id, body, ids)
    return resolve(rule.id, built, {ref: "abc-def-ghi" for ref in references(built)})


def built_requests(ambiguous: bool = True) -> list[Sent]:
    """Every body the push scripts can send for the pack as it is in the repository (without
    `ambiguous`: not the correlation rules' updates, which meet the published oneOf quirk,
    openapi_contract.without_update_oneof_quirk)."""
    packs, rules, dashboards = load_pipelines(), load_rules(), load_dashboards()
    assert packs and rules and dashboards
    fields = schema_fields("v2", UPDATE)
    ids = {r.id for r in rules}
    sent = []
    for rule in rules:
        body = sent_rule_body(rule, ids)
        if is_correlation(body):  # no /rules/test: its inputs are signals, not logs
            sent += [Sent.payload("POST", RULES, body), Sent.payload("POST", f"{RULES}/validation", body)]
            if ambiguous:
                sent.append(Sent.payload("PUT", f"{RULES}/abc-123", update_body(rule.id, body, body, fields, UPDATE)))
            continue
        sent += [
            Sent.payload("POST", RULES, body),
            Sent.payload("POST", f"{RULES}/validation", body),
            Sent.payload(
                "POST", f"{RULES}/test", {"rule": body, "ruleQueryPayloads": remote_test_payloads(rule, packs)}
            ),
            Sent.payload("PUT", f"{RULES}/abc-123", update_body(rule.id, body, body, fields, UPDATE)),
        ]
    for pack in packs:
        sent += [
            Sent.payload("POST", PIPELINES, pipeline_body(pack)),
            Sent.payload("PUT", f"{PIPELINES}/x", pipeline_body(pack)),
        ]
    for dash in dashboards:
        sent += [
            Sent.payload("POST", DASHBOARDS, dashboard_body(dash)),
            Sent.payload("PUT", f"{DASHBOARDS}/a-b-c", dashboard_body(dash)),
        ]
    sent.append(Sent.payload("PUT", "/api/v1/logs/config/pipeline-order", {"pipeline_ids": ["a", "b"]}))
    return sent


@pytest.mark.slow
def test_every_built_payload_follows_the_contract():
    problems = [p for sent in built_requests() for p in request_problems(sent)]
    assert without_update_oneof_quirk(problems) == []


def test_every_built_rule_passes_the_official_client_models_of_the_other_endpoints():
    """datadog-api-client (generated from the same description) reads the update, validation and
    test bodies as its models, and declares every field of the update body. (The create bodies
    of rules, pipelines and dashboards are checked with it by validate.py and the content tests.)"""
    from datadog_api_client import Configuration
    from datadog_api_client.model_utils import UnparsedObject, validate_and_convert_types
    from datadog_api_client.v2.model.security_monitoring_rule_test_request import SecurityMonitoringRuleTestRequest
    from datadog_api_client.v2.model.security_monitoring_rule_update_payload import SecurityMonitoringRuleUpdatePayload
    from datadog_api_client.v2.model.security_monitoring_rule_validate_payload import (
        SecurityMonitoringRuleValidatePayload,
    )

    config = Configuration()
    packs = load_pipelines()
    declared = set(SecurityMonitoringRuleUpdatePayload.attribute_map.values())
    assert schema_fields("v2", UPDATE) == declared  # the slice and the client agree on the update fields
    rules = load_rules()
    ids = {r.id for r in rules}
    for rule in rules:
        body = sent_rule_body(rule, ids)
        update = update_body(rule.id, body, body, schema_fields("v2", UPDATE), UPDATE)
        assert set(update) <= declared and "type" not in update
        model = validate_and_convert_types(update, (SecurityMonitoringRuleUpdatePayload,), ["body"], True, True, config)
        model = validate_and_convert_types(body, (SecurityMonitoringRuleValidatePayload,), ["body"], True, True, config)
        assert not isinstance(model.get_oneof_instance(), UnparsedObject), rule.id
        if is_correlation(body):
            continue  # /rules/test takes log detection rules only (SecurityMonitoringRuleTestPayload)
        test = {"rule": body, "ruleQueryPayloads": remote_test_payloads(rule, packs)}
        model = validate_and_convert_types(test, (SecurityMonitoringRuleTestRequest,), ["body"], True, True, config)
        assert not isinstance(model.rule.get_oneof_instance(), UnparsedObject), rule.id


def test_an_update_never_carries_a_field_the_update_schema_lacks():
    fields = schema_fields("v2", UPDATE)
    body = {"name": "n", "type": "log_detection", "tags": ["pack_id:x"]}
    assert update_body("x", body, {"type": "log_detection", "name": "old"}, fields, UPDATE) == {
        "name": "n",
        "tags": ["pack_id:x"],
    }
    with pytest.raises(ContentError, match="x: type cannot change in place"):
        update_body("x", body, {"type": "signal_correlation"}, fields, UPDATE)


# -- the cassettes hold only requests of the contract, and answers of Datadog's shapes --------------


def cassette_exchanges():
    for path in sorted(CASSETTES.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text("utf-8"))["interactions"]:
            request, response = item["request"], item["response"]
            url = httpx.URL(request["uri"])
            body = request["body"]
            sent = Sent(
                request["method"],
                url.path,
                list(url.params.multi_items()),
                {},
                body.encode() if isinstance(body, str) else body,
            )
            headers = {k.lower(): v[0] for k, v in response["headers"].items()}
            answer = Answer(response["status"]["code"], headers, response["body"]["string"].encode() or None)
            yield path.name, sent, answer


def test_every_cassette_request_follows_the_contract():
    exchanges = list(cassette_exchanges())
    assert len(exchanges) >= 20
    problems = [f"{name}: {p}" for name, sent, _ in exchanges for p in request_problems(sent, security=False)]
    assert problems == []


def test_every_cassette_answer_of_the_fake_has_datadogs_shape():
    """All but the test_fault_* cassettes, whose answers are wrong on purpose."""
    problems = [
        f"{name}: {p}"
        for name, sent, answer in cassette_exchanges()
        if not name.startswith("test_fault_") and 200 <= answer.status_code < 300 and answer.data
        for p in response_problems(sent, answer)
    ]
    assert problems == []


# -- the checker finds what it is there to find ----------------------------------------------------------


def a_rule() -> dict:
    return {
        "name": "n",
        "type": "log_detection",
        "isEnabled": True,
        "queries": [
            {"name": "a", "query": "source:x", "aggregation": "count", "groupByFields": [], "distinctFields": []}
        ],
        "cases": [{"name": "c", "status": "high", "condition": "a > 0"}],
        "options": {
            "detectionMethod": "threshold",
            "evaluationWindow": 0,
            "keepAlive": 3600,
            "maxSignalDuration": 86400,
        },
        "message": "m",
        "tags": ["pack:zoom-activity-logs"],
    }


def mutated(path: list, value) -> dict:
    body = copy.deepcopy(a_rule())
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


FAULTS = {
    "the create body's type sent to the update": (
        Sent.payload("PUT", f"{RULES}/abc", a_rule()),
        "(strict): Request body validation error; /: Additional properties are not allowed ('type' was unexpected)",
    ),
    "an undocumented operation": (Sent.payload("PATCH", f"{RULES}/abc", {}), "not a documented operation"),
    "an unknown path": (Sent.payload("GET", "/api/v2/security_monitoring/rulez", None), "not a documented operation"),
    "an undeclared query parameter": (
        Sent.payload("GET", DASHBOARDS, None, {"page": 2}),
        "query parameter 'page' is not declared",
    ),
    "a query parameter of the wrong type": (
        Sent.payload("GET", RULES, None, {"page[size]": "all"}),
        "Query parameter error: page[size]",
    ),
    "no keys": (Sent("GET", RULES), "SecurityValidationError"),
    "a value outside the enum": (
        Sent.payload("POST", RULES, mutated(["options", "evaluationWindow"], 7)),
        "/options/evaluationWindow: 7 is not one of",
    ),
    "a field the schema does not know, deep in the body": (
        Sent.payload("POST", RULES, mutated(["queries", 0, "queryy"], "x")),
        "'queryy' was unexpected",
    ),
    "a read-only field": (
        Sent.payload("PUT", f"{PIPELINES}/abc", {"name": "p", "id": "abc"}),
        "/id: Tried to write read-only property",
    ),
    "a body that is not JSON of the schema's type": (
        Sent.payload("PUT", "/api/v1/logs/config/pipeline-order", ["a", "b"]),
        "Request body validation error",
    ),
}


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_the_checker_names_each_kind_of_fault(name):
    sent, says = FAULTS[name]
    problems = request_problems(sent)
    assert problems and any(says in p for p in problems), problems


def test_the_checker_names_an_answer_of_another_shape():
    sent = Sent.payload("GET", RULES, None, {"page[size]": 100})
    good = Answer(200, {"content-type": "application/json"}, json.dumps({"data": [], "meta": {}}).encode())
    assert response_problems(sent, good) == []
    bad = Answer(200, {"content-type": "application/json"}, json.dumps({"data": "rules"}).encode())
    assert response_problems(sent, bad)
