"""The pack's precision goal, kept from sliding back (issue 14).

On the realistic organisation of benchmarks/precision.py (300 people, six weeks) with
another seed than docs/detections.md quotes, and no tuning file: no benign signal of medium or
above, at most one low per 1,000 user-days, and every attack step seen at low or above
while it happens. (A smaller organisation does not keep the per-user-day goal: its IT
team's work does not shrink with it. The run takes about 80 s: two hunts of six weeks.)
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path

from contentkit.precision import Measurement, hunt, match_steps, measure
from emulator.orgsim import OrgSpec, generate

PEOPLE, DAYS, SEED = 300, 42, 2


@cache
def _org(attacks: bool):
    org = generate(OrgSpec(people=PEOPLE, days=DAYS, seed=SEED, attacks=attacks))
    with tempfile.TemporaryDirectory() as tmp:
        org.write(tmp)
        lines = Path(tmp, "zoom.ndjson").read_bytes()
    return org, lines


@cache
def _attacked_findings():
    org, attacked = _org(True)
    return hunt(attacked, org.networks, workers=1)[0]


@cache
def _measurement():
    benign_org, benign = _org(False)
    attacked_org, attacked = _org(True)
    # one GeoIP table for both, the attacked organisation's (it adds the attackers' networks);
    # the attacked hunt (about 40 s on the CI machine) is shared with the other tests
    return measure(
        benign,
        attacked_org.networks,
        benign_org.user_days,
        attacked,
        attacked_org.attacks,
        workers=1,
        attacked=_attacked_findings(),
    )


def test_no_benign_signal_of_medium_or_above_and_few_lows():
    m = _measurement()
    loud = [p for p in m.problems() if "medium or above" in p or "per 1,000" in p]
    assert loud == [], "\n".join(loud)


def test_every_attack_step_is_seen_at_low_or_above():
    m = _measurement()
    assert m.steps, "the organisation carries no attack steps"
    missed = [p for p in m.problems() if p.startswith("attack ")]
    assert missed == [], "\n".join(missed)


def test_the_goal_check_can_fail():
    """The attacked weeks, counted as if benign, miss the goal: the measure sees the attacks' signals."""
    org, _ = _org(True)
    m = Measurement(org.user_days, 0, _attacked_findings(), [])
    assert any("medium or above" in p for p in m.problems())


def test_a_step_is_not_credited_with_a_signal_on_someone_else():
    org, _ = _org(True)
    findings = _attacked_findings()
    step = org.attacks[0]
    moved = type("Step", (), {k: getattr(step, k) for k in ("scenario", "step", "description", "start_ms", "end_ms")})
    moved.entity = "nobody@nowhere.invalid"
    moved.records = getattr(step, "records", ())
    results, _ = match_steps(findings, [moved])
    assert results[0].signals == []
