"""Crash test (benchmarks/crash.py, reduced): SIGKILL at random moments across backfill and
follow with records arriving, restarted each time; the union of all output, de-duplicated
by record_id, equals the truth and raw repeats come only from each kill's uncommitted batch."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

# end to end through subprocesses and the emulator: out of the `-m "not slow"` inner loop
pytestmark = pytest.mark.slow

_PATH = Path(__file__).resolve().parent.parent / "benchmarks" / "crash.py"
_spec = importlib.util.spec_from_file_location("crash_benchmark", _PATH)
crash = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = crash  # dataclasses look their module up by name
_spec.loader.exec_module(crash)

# Every mode and every kind of kill moment at least once; kills on output growth come
# early, while the backfill still writes pages (they land between fsync and commit).
SCHEDULE = (
    ("backfill", "bytes"),
    ("follow", "idle"),
    ("backfill+follow", "bytes"),
    ("backfill", "startup"),
    ("follow", "requests"),
    ("backfill+follow", "delay"),
    ("follow", "bytes"),
    ("backfill", "requests"),
)


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    settings = crash.Settings(
        kills=len(SCHEDULE),
        seed=20261127,
        days=21,
        users=15,
        activity_per_day=400,
        operation_per_day=120,
        arrivals_per_request=2,
        max_delay=1.2,
        max_bytes=300_000,
        max_requests=12,
        final_timeout=120,
        schedule=SCHEDULE,
    )
    return crash.campaign(settings, tmp_path_factory.mktemp("crash"))


def test_kill_9_at_random_moments_loses_nothing_and_repeats_only_the_uncommitted_batch(outcome):
    summary = outcome.summary()
    assert summary["violations"] == [], summary
    assert summary["kills"] == len(SCHEDULE)
    assert set(summary["kills_by_trigger"]) == {"bytes", "idle", "startup", "requests", "delay"}
    assert summary["records"] == summary["truth"] > 5000
    assert summary["max_duplicates_per_kill"] <= crash.MAX_BATCH
    assert summary["duplicate_lines"] == sum(r.repeated for r in outcome.runs)
    final = outcome.runs[-1]
    assert final.mode == "final" and final.returncode == 0 and final.repeated == 0
    assert summary["report_requests"] > 0


def test_the_check_flags_doubled_output_loss_and_repeats_beyond_a_kills_batch(outcome):
    flagged = outcome.self_check
    assert {"doubled output", "one line lost", "committed line repeated", "repeat within one run"} <= set(flagged)
    assert all(flagged.values()), flagged
    assert any("written twice" in v for v in flagged["doubled output"])
    assert any(v.startswith("loss:") for v in flagged["one line lost"])
    assert any("ledger had committed" in v for v in flagged["committed line repeated"])
    if "kill repeats 301 lines" in flagged:  # needs a killed run that wrote more than a page
        assert any("more than one page batch" in v for v in flagged["kill repeats 301 lines"])


def test_the_check_flags_a_repeat_the_ledger_had_committed_on_a_synthetic_output():
    # Two killed runs and a final one, by hand: run 2 repeats run 1's tail as it should ...
    lines = [
        crash.orjson.dumps(
            {
                "time": f"2026-11-26T10:00:{s:02d}Z",
                "email": f"u{s}@example.com",
                "log_type": "activity",
                "account": "default",
                "record_id": crash.record_id(
                    "default",
                    "activity",
                    crash.fingerprint({"time": f"2026-11-26T10:00:{s:02d}Z", "email": f"u{s}@example.com"}),
                    1,
                ),
            }
        )
        + b"\n"
        for s in range(6)
    ]
    truth = [crash.zoom_fields(crash.orjson.loads(x)) for x in lines]

    def runs(uncommitted):
        return [
            crash.Run(1, "backfill", "bytes", killed=True, uncommitted=uncommitted),
            crash.Run(2, "final", "none", killed=False, returncode=0),
        ]

    rid = [crash.orjson.loads(x)["record_id"] for x in lines]
    good = crash.verify([lines[:4], lines[2:]], runs(rid[2:4]), truth)
    assert good["violations"] == [] and good["duplicates"] == 2 and good["max_per_kill"] == 2
    # ... but not if the ledger said those lines were committed, nor a line from the middle
    assert crash.verify([lines[:4], lines[2:]], runs([]), truth)["violations"]
    assert crash.verify([lines[:4], [lines[1]] + lines[4:]], runs([rid[1]]), truth)["violations"]
    # ... nor a kill that lost a line
    assert crash.verify([lines[:4], lines[4:5]], runs([]), truth)["violations"]
