"""Many accounts in one process, each with its own state; one failing never stops the
others; health lines tell a monitor when collection stops."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from helpers import multiset, read_ndjson, run_cli, zoom_fields

from collector.records import LOG_TYPES
from collector.windows import utc_today
from emulator import Emulator, EmulatorConfig


def config_for(tmp_path, emus: dict, **extra) -> tuple:
    """A config file naming each emulator as an account, secrets only in the environment."""
    lines, env = ["version: 1", "defaults: {max_rps: 0}", "accounts:"], {}
    for name, emu in emus.items():
        var = name.upper().replace("-", "_")
        env.update(
            {
                f"{var}_ACCOUNT": emu.config.account_id,
                f"{var}_CLIENT": emu.config.client_id,
                f"{var}_SECRET": emu.config.client_secret,
            }
        )
        lines += [
            f"  - name: {name}",
            "    auth: server_to_server",
            f"    account_id: {{env: {var}_ACCOUNT}}",
            f"    client_id: {{env: {var}_CLIENT}}",
            f"    client_secret: {{env: {var}_SECRET}}",
            f"    api_url: {emu.api_url}",
            f"    oauth_url: {emu.base_url}",
            f"    state: {name}.sqlite3",
        ]
        for k, v in extra.get(name, {}).items():
            lines.append(f"    {k}: {v}")
    path = tmp_path / "accounts.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path, env


def truth(emu, since, until, log_types=LOG_TYPES):
    return [r for t in log_types for r in emu.truth(t, since, until)]


def by_account(lines):
    out = {}
    for line in lines:
        out.setdefault(line["account"], []).append(line)
    return out


@pytest.fixture
def two():
    a = Emulator(EmulatorConfig(seed=31, users=12, activity_per_day=80, operation_per_day=30, history_days=20))
    b = Emulator(
        EmulatorConfig(
            seed=32, users=9, activity_per_day=60, operation_per_day=20, history_days=20, client_secret="other-secret"
        )
    )
    with a, b:
        yield a, b


@pytest.mark.slow
def test_one_process_collects_every_account_into_its_own_state(tmp_path, two):
    a, b = two
    path, env = config_for(tmp_path, {"corp": a, "corp-eu": b}, **{"corp-eu": {"log_types": "[operation]"}})
    since = utc_today() - timedelta(days=10)
    r = run_cli(["collect", "--config", str(path), "--since", since.isoformat(), "--health"], env)
    assert r.returncode == 0, r.stderr
    lines = by_account(read_ndjson(r.stdout))
    records = {k: [l for l in v if l["log_type"] != "health"] for k, v in lines.items()}
    assert multiset(zoom_fields(l) for l in records["corp"]) == multiset(truth(a, since, utc_today()))
    assert multiset(zoom_fields(l) for l in records["corp-eu"]) == multiset(
        truth(b, since, utc_today(), ("operation",))
    )
    assert (tmp_path / "corp.sqlite3").exists() and (tmp_path / "corp-eu.sqlite3").exists()
    for name, recs in records.items():
        [health] = [l for l in lines[name] if l["log_type"] == "health"]
        assert health["status"] == "ok" and health["last_error"] is None
        assert health["records_emitted"] == len(recs) and health["lag_seconds"] < 60
    # a second run over the same states writes nothing new
    again = run_cli(["collect", "--config", str(path), "--since", since.isoformat()], env)
    assert again.returncode == 0 and again.stdout == b""
    assert b"other-secret" not in r.stderr + again.stderr and a.config.client_secret.encode() not in r.stderr


def test_one_account_failing_does_not_stop_the_others(tmp_path, two):
    a, b = two
    b.inject("revoke")
    path, env = config_for(tmp_path, {"corp": a, "broken": b})
    since = utc_today() - timedelta(days=5)
    r = run_cli(["collect", "--config", str(path), "--since", since.isoformat(), "--health"], env)
    assert r.returncode == 3, r.stderr  # the failed account's code, after the others finished
    err = r.stderr.decode()
    assert "Traceback" not in err and "broken: Zoom refused" in err and "BROKEN_CLIENT and BROKEN_SECRET" in err
    lines = by_account(read_ndjson(r.stdout))
    got = [l for l in lines["corp"] if l["log_type"] != "health"]
    assert multiset(zoom_fields(l) for l in got) == multiset(truth(a, since, utc_today()))
    [health] = lines["broken"]
    assert health["status"] == "error" and health["error_kind"] == "AuthError" and "refused" in health["last_error"]


def test_an_account_without_the_meeting_audit_trail_gets_its_other_reports(tmp_path, two):
    a, b = two
    b.config.meeting_audit_trail = False  # read live by the emulator
    path, env = config_for(tmp_path, {"corp": a, "no-audit": b})
    since = utc_today() - timedelta(days=5)
    r = run_cli(["collect", "--config", str(path), "--since", since.isoformat(), "--health"], env)
    err = r.stderr.decode()
    assert r.returncode == 4 and "Traceback" not in err, err  # after every account finished
    errors = [l for l in err.splitlines() if ": ERROR: " in l]
    assert len(errors) == 2 and all(l.startswith("zoom-activity-logs: ERROR: no-audit: ") for l in errors), err
    assert "meeting audit trail" in errors[0] and "refused the meeting_activity report" in errors[1], err
    lines = by_account(read_ndjson(r.stdout))
    got = {k: [l for l in v if l["log_type"] != "health"] for k, v in lines.items()}
    assert multiset(zoom_fields(l) for l in got["corp"]) == multiset(truth(a, since, utc_today()))
    others = truth(b, since, utc_today(), ("activity", "operation"))
    assert multiset(zoom_fields(l) for l in got["no-audit"]) == multiset(others)
    [health] = [l for l in lines["no-audit"] if l["log_type"] == "health"]
    assert health["error_kind"] == "ScopeError" and "meeting_activity" in health["last_error"]


@pytest.mark.slow
def test_follow_keeps_polling_the_healthy_account_and_reports_the_broken_one(tmp_path, two):
    a, b = two
    b.inject("revoke")
    path, env = config_for(tmp_path, {"corp": a, "broken": b})
    out = tmp_path / "out.ndjson"
    from helpers import clean_env

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zoom_activity_logs",
            "collect",
            "--config",
            str(path),
            "--follow",
            "--interval",
            "1",
            "--health",
            "--output",
            str(out),
        ],
        env={**clean_env(), **env},
        stderr=subprocess.PIPE,
    )
    deadline = time.time() + 40
    while time.time() < deadline:
        health = [l for l in read_ndjson(out.read_bytes()) if l["log_type"] == "health"] if out.exists() else []
        if sum(h["account"] == "broken" for h in health) >= 3 and sum(h["account"] == "corp" for h in health) >= 3:
            break
        time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    lines = read_ndjson(out.read_bytes())
    health = by_account([l for l in lines if l["log_type"] == "health"])
    assert len(health["broken"]) >= 3 and all(h["status"] == "error" for h in health["broken"])
    assert len(health["corp"]) >= 3 and all(h["status"] == "ok" for h in health["corp"])
    # the broken account's lag grows while it stays broken: a monitor on lag_seconds fires
    lags = [h["lag_seconds"] for h in health["broken"]]
    assert lags == sorted(lags) and lags[-1] > lags[0]
    today = utc_today()
    got = [l for l in lines if l["log_type"] != "health"]
    assert multiset(zoom_fields(l) for l in got) == multiset(truth(a, today - timedelta(days=1), today))


@pytest.mark.slow
def test_account_selection_and_state_flag(tmp_path, two):
    a, b = two
    path, env = config_for(tmp_path, {"corp": a, "corp-eu": b})
    r = run_cli(["collect", "--config", str(path), "--account", "corp-eu", "--log-type", "operation"], env)
    assert r.returncode == 0, r.stderr
    assert {l["account"] for l in read_ndjson(r.stdout)} == {"corp-eu"}
    r = run_cli(["collect", "--config", str(path), "--account", "nope"], env)
    assert r.returncode == 2 and b"--account: nope not in" in r.stderr
    r = run_cli(["collect", "--config", str(path), "--state", str(tmp_path / "x.sqlite3")], env)
    assert r.returncode == 2 and b"--state names one account" in r.stderr
