"""The README's counts of the content are checked against the content, not typed and forgotten."""

from __future__ import annotations

import re

from contentkit.load import ROOT, load_dashboards, load_pipelines, load_rules

README = (ROOT / "README.md").read_text("utf-8")


def count(pattern: str) -> int:
    found = re.findall(pattern, README)
    assert len(found) == 1, f"README: expected one match of {pattern!r}, found {found}"
    return int(found[0])


def test_the_readme_counts_rules_and_samples_right():
    rules = load_rules(ROOT)
    samples = sum(len(pack.samples) for pack in load_pipelines(ROOT))
    assert count(r"holds (\d+) Cloud SIEM detection rules") == len(rules), "update the README's rule count"
    assert count(r"Its (\d+) samples") == samples, "update the README's sample count"
    assert len(load_dashboards(ROOT)) == 1 and "the overview dashboard" in README


def test_the_detections_doc_counts_rules_right():
    doc = (ROOT / "docs" / "detections.md").read_text("utf-8")
    assert f"{len(load_rules(ROOT))} rules." in doc
