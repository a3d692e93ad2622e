"""scripts/new_rule.py: a scaffolded rule passes every check and its own tests at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import content_copy

from contentkit.crossref import ocsf_classification
from contentkit.errors import ContentError
from contentkit.load import ROOT, load_dashboards, load_pipelines, load_rules, rule_body
from contentkit.lock import entries, read_lock, update, write_lock
from contentkit.rule_tests import run_rule_tests
from contentkit.scaffold import escape_value, ocsf_types, rule_document
from contentkit.search import compile_query
from contentkit.validate import validate_all


@pytest.fixture
def checkout(tmp_path) -> Path:
    return content_copy(tmp_path, ("siem_rules", "pipelines", "dashboards", "docs"))


def new_rule(checkout, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "scripts/new_rule.py", *args, "--root", str(checkout)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def lock_then_validate(checkout, rule_id):
    """The one thing left for the author is the version lock; then all is valid and the
    rule's own tests pass."""
    assert [str(p) for p in validate_all(checkout)] == [
        f"siem_rules/{rule_id}.yaml: version: {rule_id} is not in content.lock.json: run python scripts/build.py "
        "--update-lock"
    ]
    packs, rules = load_pipelines(checkout), load_rules(checkout)
    lock, _ = update(entries(packs, rules, load_dashboards(checkout)), read_lock(checkout), checkout)
    write_lock(lock, checkout)
    assert validate_all(checkout) == []
    (rule,) = [r for r in load_rules(checkout) if r.id == rule_id]
    outcomes = run_rule_tests(rule, packs, rule_body(rule))
    assert {o.name: o.passed for o in outcomes} and all(o.passed for o in outcomes), outcomes
    assert {t["fires"] for t in rule.data["tests"]} == {True, False}  # a firing case and a near miss
    return rule


@pytest.mark.slow
def test_a_scaffolded_rule_is_valid_and_its_tests_pass(checkout):
    new = new_rule(
        checkout, "zoom-user-deleted-scaffold", "--name", "Zoom user deleted (scaffold)", "--ocsf-type", "300106"
    )
    assert new.returncode == 0, new.stderr
    assert "tests/test_rules.py -k zoom-user-deleted-scaffold" in new.stdout
    rule = lock_then_validate(checkout, "zoom-user-deleted-scaffold")
    assert [q["query"] for q in rule.data["queries"]] == ["source:zoom_activity_logs @ocsf.type_uid:300106"]
    fires, near = rule.data["tests"]
    assert fires["fires"] and fires["logs"][0]["log"]["operation_detail"].lower().startswith("delete user")
    # the near miss is another type of the same log_type
    assert not near["fires"] and near["logs"][0]["log"]["log_type"] == "operation"


@pytest.mark.slow
def test_an_entity_type_narrows_the_rule_and_its_samples(checkout):
    """docs/contributing.md's example: Entity Management: Delete of a Recording."""
    new = new_rule(
        checkout,
        "zoom-recording-deleted",
        "--name",
        "Zoom recording deleted",
        "--ocsf-type",
        "300404",
        "--entity-type",
        "Recording",
        "--severity",
        "low",
        "--tactic",
        "TA0040",
        "--technique",
        "T1485",
    )
    assert new.returncode == 0, new.stderr
    rule = lock_then_validate(checkout, "zoom-recording-deleted")
    assert [q["query"] for q in rule.data["queries"]] == [
        "source:zoom_activity_logs @ocsf.type_uid:300404 @ocsf.entity.type:Recording"
    ]
    assert rule.data["tests"][0]["logs"][0]["log"]["category_type"] == "Recording"


def test_the_firing_sample_has_the_type_and_entity_asked_for(checkout):
    setting = rule_document("zoom-x", "X", 300403, "low", "TA0005", "T1562", checkout, entity_type="Setting")
    recording = rule_document("zoom-x", "X", 300403, "low", "TA0005", "T1562", checkout, entity_type="Recording")
    assert setting["queries"][0]["query"] == "source:zoom_activity_logs @ocsf.type_uid:300403 @ocsf.entity.type:Setting"
    assert "Every `Entity Management: Update` (Setting) event" in setting["message"]
    assert setting["tests"][0]["name"] != recording["tests"][0]["name"]
    assert recording["tests"][0]["logs"][0]["log"]["category_type"] == "Recording"
    assert (
        "@ocsf.entity.type"
        not in rule_document("zoom-x", "X", 300107, "low", "TA0005", "T1562", checkout)["queries"][0]["query"]
    )
    # a sign-in rule: fired by a sign-in, near miss a sign-out (the same log_type, another type)
    sign_in = rule_document("zoom-x", "X", 300201, "low", "TA0005", "T1562", checkout)
    fires, near = (t["logs"][0]["log"] for t in sign_in["tests"])
    assert fires["type"] == "Sign in" and near["log_type"] == "activity" and near["type"] != "Sign in"


def test_an_entity_type_with_a_space_is_escaped_in_the_query():
    assert escape_value("User Group") == "User\\ Group"
    (term,) = compile_query(f"@ocsf.entity.type:{escape_value('User Group')}").value_terms()
    assert term.value == "User Group" and escape_value("Setting") == "Setting"


def test_the_entity_types_of_each_type_uid_are_those_of_the_descriptors():
    (pack,) = [p for p in load_pipelines() if p.id == "zoom-activity-logs"]
    types = ocsf_types(pack.definition["processors"])
    assert types[("300107", None)] == "Account Change: Attach Policy"
    assert {e for t, e in types if t == "300403"} >= {"Setting", "Recording", "Billing", "Channel", "User Group"}
    assert ("300107", "Setting") not in types and ("300403", None) not in types
    assert {t for t, _ in types} == ocsf_classification(pack.definition["processors"])["ocsf.type_uid"]


def test_the_scaffold_refuses_what_would_not_work(checkout):
    with pytest.raises(ContentError, match=r"--ocsf-type 300108 is not an OCSF type_uid .*known: 300101, .*300107"):
        rule_document("zoom-x", "X", 300108, "low", "TA0005", "T1562", checkout)
    with pytest.raises(
        ContentError, match=r"--entity-type 'Settings' is never produced .*known with 300403: .*Setting"
    ):
        rule_document("zoom-x", "X", 300403, "low", "TA0005", "T1562", checkout, entity_type="Settings")
    with pytest.raises(ContentError, match="300107 has no entity type"):
        rule_document("zoom-x", "X", 300107, "low", "TA0005", "T1562", checkout, entity_type="Setting")
    # produced by the pipeline, but no sample shows it: no test could be written
    with pytest.raises(ContentError, match="--ocsf-type 300605: no pipeline sample produces it"):
        rule_document("zoom-x", "X", 300605, "low", "TA0005", "T1562", checkout)
    with pytest.raises(ContentError, match="--ocsf-type 300404 --entity-type 'User': no pipeline sample"):
        rule_document("zoom-x", "X", 300404, "low", "TA0005", "T1562", checkout, entity_type="User")
    with pytest.raises(ContentError, match="rule id"):
        rule_document("Zoom X", "X", 300106, "low", "TA0005", "T1562", checkout)
    with pytest.raises(ContentError, match="--severity"):
        rule_document("zoom-x", "X", 300106, "severe", "TA0005", "T1562", checkout)
    before = (checkout / "siem_rules" / "zoom-user-group-deleted.yaml").read_bytes()
    done = new_rule(checkout, "zoom-user-group-deleted", "--name", "X", "--ocsf-type", "300106")
    assert (
        done.returncode == 2
        and done.stderr.strip() == "new_rule: siem_rules/zoom-user-group-deleted.yaml exists already"
    )
    assert (checkout / "siem_rules" / "zoom-user-group-deleted.yaml").read_bytes() == before
    # the command line's errors are one line, as the others
    unknown = new_rule(checkout, "zoom-x", "--name", "X", "--ocsf-type", "300108")
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1
    assert unknown.stderr.startswith("new_rule: --ocsf-type 300108 is not an OCSF type_uid")
    assert not (checkout / "siem_rules" / "zoom-x.yaml").exists()
