"""Every event the pipeline normalizes is a valid OCSF event (contentkit.ocsf: the OCSF
project's own compiled schema, pinned), for the pipeline samples and for a month of
emulated records; and the pipeline writes the pinned schema version."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from collector.output import render
from contentkit.event import from_ndjson_line, get_path
from contentkit.geoip import GeoIP
from contentkit.load import ROOT, load_pipelines
from contentkit.ocsf import OCSF_VERSION, validate
from contentkit.processors import compile_pipeline
from emulator import Emulator, EmulatorConfig

PACK = next(p for p in load_pipelines(ROOT, []) if p.id == "zoom-activity-logs")
# OCSF requires `time`; Zoom always sends one, so only the samples of a record without a
# readable time (odd lines the pipeline must survive) lack it, and nothing else.
TIMELESS = "ocsf.time: required attribute missing"
# The record's own time field, per report.
TIME_FIELD = {"activity": "time", "operation": "time", "meeting_activity": "activity_time"}


def timeless(sample: dict) -> bool:
    """A sample whose record has no time, or one the sample says gives no `ocsf.time`."""
    log = sample["log"]
    return TIME_FIELD[log["log_type"]] not in log or (
        "ocsf.time" in sample["expect"] and sample["expect"]["ocsf.time"] is None
    )


@pytest.fixture(scope="module")
def pipeline():
    return compile_pipeline(PACK.definition, geoip=GeoIP.bundled())


def normalized(pipeline, line: dict) -> dict:
    return pipeline.process(from_ndjson_line(json.loads(json.dumps(line)), source=PACK.sample_source))


@pytest.mark.parametrize("sample", PACK.samples, ids=[s["name"] for s in PACK.samples])
def test_every_sample_is_a_valid_ocsf_event(pipeline, sample):
    event = normalized(pipeline, sample["log"])
    errors = validate(event.get("ocsf"))
    if timeless(sample):
        assert errors and all(e.startswith(TIMELESS) for e in errors), errors
    else:
        assert errors == [], f"{sample['name']}: {errors}"


def test_the_pipeline_writes_the_pinned_ocsf_version(pipeline):
    event = normalized(pipeline, PACK.samples[0]["log"])
    assert get_path(event, "ocsf.metadata.version") == OCSF_VERSION


def test_validation_catches_a_broken_normalization(pipeline):
    """The check can fail: the same event with the user acted upon removed is invalid."""
    sample = next(s for s in PACK.samples if s["expect"].get("ocsf.type_uid") == 300107)
    event = normalized(pipeline, sample["log"])
    assert validate(event["ocsf"]) == []
    del event["ocsf"]["user"]
    assert any(e.startswith("ocsf.user: required") for e in validate(event["ocsf"]))


@pytest.mark.slow
def test_a_month_of_emulated_records_is_valid_ocsf(pipeline):
    now = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
    days = 31
    emu = Emulator(EmulatorConfig(seed=5, history_days=days, now=lambda: now))
    since = now.date() - timedelta(days=days - 1)
    classes: Counter = Counter()
    problems: Counter = Counter()
    n = 0
    for kind in ("activity", "operation", "meeting_activity"):
        for i, record in enumerate(emu.truth(kind, since, now.date())):
            event = normalized(pipeline, json.loads(render(record, kind, "default", f"{i:032x}")))
            classes[(event["ocsf"]["type_uid"], get_path(event, "ocsf.entity.type"))] += 1
            for error in validate(event["ocsf"]):
                problems[error] += 1
            n += 1
    assert n > 3000, n
    assert len(classes) >= 12, classes  # many kinds of record went through
    assert not problems, problems.most_common(10)
