"""`hunt --tuning` applies the tuning file's suppressions as push_rules.py deploys them (issue 14):
a data exclusion keeps the rule from seeing the logs, a suppression drops the signal, an expired
entry does nothing, and a bad file is one line and exit 2."""

from __future__ import annotations

import json

from contentkit.rule_tests import expand_test_logs
from tests.helpers import run_cli

# a hosting network first used after the rules' 7 days of learning: zoom-sign-in-from-hosting-provider
LOGS = [
    {
        "at": "-8d",
        "log": {
            "log_type": "activity",
            "email": "kim@example.com",
            "type": "Sign in",
            "ip_address": "192.0.2.10",
            "client_type": "mac",
            "version": "6.2.0",
        },
    },
    {
        "at": 0,
        "log": {
            "log_type": "activity",
            "email": "kim@example.com",
            "type": "Sign in",
            "ip_address": "2001:db8:11::5",
            "client_type": "mac",
            "version": "6.2.0",
        },
    },
]
RULE = "zoom-sign-in-from-hosting-provider"


def _hunt(tmp_path, tuning: str | None):
    data = tmp_path / "zoom.ndjson"
    data.write_text("".join(json.dumps(line) + "\n" for line in expand_test_logs(LOGS)))
    argv = ["hunt", str(data), "--format", "json", "--rules", RULE]
    if tuning is not None:
        path = tmp_path / "tuning.yaml"
        path.write_text(tuning)
        argv += ["--tuning", str(path)]
    return run_cli(argv)


def _rules(result) -> list[str]:
    assert result.returncode == 0, result.stderr
    return [json.loads(line)["rule"] for line in result.stdout.splitlines() if line.strip()]


def test_without_tuning_the_hosting_network_signals(tmp_path):
    assert _rules(_hunt(tmp_path, None)) == [RULE]


def test_a_known_egress_network_is_excluded(tmp_path):
    tuning = "egress_networks:\n  - cidr: 2001:db8:11::/48\n    reason: the company's cloud proxy\n"
    assert _rules(_hunt(tmp_path, tuning)) == []


def test_an_expired_entry_no_longer_applies(tmp_path):
    tuning = "egress_networks:\n  - cidr: 2001:db8:11::/48\n    reason: the old proxy\n    expires: 2026-01-31\n"
    assert _rules(_hunt(tmp_path, tuning)) == [RULE]


def test_a_bad_tuning_file_is_one_line_and_exit_2(tmp_path):
    result = _hunt(tmp_path, "egress_networks:\n  - cidr: 2001:db8:11::/480\n    reason: typo\n")
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "tuning" in lines[0] and "Traceback" not in lines[0], lines


def test_validate_lists_the_rule_tests_a_tuning_file_silences(tmp_path):
    """The rule tests run with the same suppressions: an egress network silences the firing
    hosting-provider test (a warning for the tuning's author), a bad file fails in one line."""
    import subprocess
    import sys

    from contentkit.load import ROOT as REPO

    tuning = tmp_path / "tuning.yaml"
    tuning.write_text(
        "egress_networks:\n  - cidr: 2001:db8:11::/48\n    reason: the proxy\n"
        "    applies_to: [zoom-sign-in-from-hosting-provider]\n"
    )
    run = [sys.executable, str(REPO / "scripts" / "validate.py"), "--tuning", str(tuning)]
    r = subprocess.run(run, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    warnings = [line for line in r.stderr.splitlines() if line.startswith("warning:")]
    # the correlation rule built on it goes quiet too: its base signal is gone
    assert warnings == [
        "warning: siem_rules/zoom-risk-hosting-sign-in-then-impossible-travel.yaml: tests (hosting sign-in in "
        "Amsterdam 20 minutes after New York (impossible travel), same user): silenced by the tuning file",
        "warning: siem_rules/zoom-sign-in-from-hosting-provider.yaml: tests (a hosting network first seen after "
        "learning): silenced by the tuning file",
    ]
    tuning.write_text("egress_networks:\n  - cidr: 10.0.0.0/33\n    reason: typo\n")
    r = subprocess.run(run, capture_output=True, text=True, timeout=300)
    assert r.returncode == 1 and "egress_networks/0/cidr" in r.stderr and "Traceback" not in r.stderr


def test_hostile_tuning_files_are_one_line_not_a_traceback(tmp_path):
    """A self-referencing alias, a wildcard or a backslash in an address (it would end up inside a
    quoted query) are refused in one line."""
    for text, expected in (
        ("egress_networks: &a [*a]\n", "nested too deep"),
        ("service_accounts:\n  - email: '*@example.com'\n    kind: scim\n    reason: x\n", "service_accounts/0/email"),
        ("service_accounts:\n  - email: 'a@b.c\\'\n    kind: scim\n    reason: x\n", "service_accounts/0/email"),
    ):
        result = _hunt(tmp_path, text)
        lines = result.stderr.decode().strip().splitlines()
        assert result.returncode == 2 and len(lines) == 1 and expected in lines[0], lines
