"""scripts/new_rule.py: a scaffolded rule passes every check and its own tests at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import content_copy

from contentkit.errors import ContentError
from contentkit.load import ROOT, load_dashboards, load_pipelines, load_rules, rule_body
from contentkit.lock import entries, read_lock, update, write_lock
from contentkit.rule_tests import run_rule_tests
from contentkit.scaffold import rule_document
from contentkit.validate import validate_all


@pytest.fixture
def checkout(tmp_path) -> Path:
    return content_copy(tmp_path, ("siem_rules", "pipelines", "dashboards", "docs"))


@pytest.mark.slow
def test_a_scaffolded_rule_is_valid_and_its_tests_pass(checkout):
    new = subprocess.run(
        [
            sys.executable,
            "scripts/new_rule.py",
            "zoom-user-deleted-scaffold",
            "--name",
            "Zoom user deleted (scaffold)",
            "--evt-name",
            "zoom.user.delete",
            "--root",
            str(checkout),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert new.returncode == 0, new.stderr
    assert "tests/test_rules.py -k zoom-user-deleted-scaffold" in new.stdout
    # the one thing left for the author: the version lock
    assert [str(p) for p in validate_all(checkout)] == [
        "siem_rules/zoom-user-deleted-scaffold.yaml: version: zoom-user-deleted-scaffold is not in "
        "content.lock.json: run python scripts/build.py --update-lock"
    ]
    packs, rules = load_pipelines(checkout), load_rules(checkout)
    lock, _ = update(entries(packs, rules, load_dashboards(checkout)), read_lock(checkout), checkout)
    write_lock(lock, checkout)
    assert validate_all(checkout) == []
    (rule,) = [r for r in load_rules(checkout) if r.id == "zoom-user-deleted-scaffold"]
    outcomes = run_rule_tests(rule, packs, rule_body(rule))
    assert {o.name: o.passed for o in outcomes} and all(o.passed for o in outcomes), outcomes
    assert {t["fires"] for t in rule.data["tests"]} == {True, False}  # a firing case and a near miss


def test_the_scaffold_refuses_what_would_not_work(checkout):
    with pytest.raises(ContentError, match="not in the taxonomy"):
        rule_document("zoom-x", "X", "zoom.no.such.event", "low", "TA0005", "T1562", checkout)
    with pytest.raises(ContentError, match="rule id"):
        rule_document("Zoom X", "X", "zoom.user.delete", "low", "TA0005", "T1562", checkout)
    with pytest.raises(ContentError, match="--severity"):
        rule_document("zoom-x", "X", "zoom.user.delete", "severe", "TA0005", "T1562", checkout)
    again = [
        sys.executable,
        "scripts/new_rule.py",
        "zoom-user-group-deleted",
        "--name",
        "X",
        "--evt-name",
        "zoom.user.delete",
        "--root",
        str(checkout),
    ]
    before = (checkout / "siem_rules" / "zoom-user-group-deleted.yaml").read_bytes()
    done = subprocess.run(again, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert (
        done.returncode == 2
        and done.stderr.strip() == "new_rule: siem_rules/zoom-user-group-deleted.yaml exists already"
    )
    assert (checkout / "siem_rules" / "zoom-user-group-deleted.yaml").read_bytes() == before
