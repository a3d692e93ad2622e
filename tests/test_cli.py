"""The command line: one-line errors with documented exit codes, no traceback, no secret."""

from __future__ import annotations

import socket
import subprocess
import sys
from datetime import timedelta

import pytest
from helpers import emulated_truth, emulator_env, multiset, read_ndjson, run_cli, zoom_fields

from collector.records import LOG_TYPES
from collector.windows import oldest_readable, utc_today
from emulator import Emulator, EmulatorConfig


def one_line_error(result, code, *needles):
    err = result.stderr.decode()
    assert result.returncode == code, err
    assert "Traceback" not in err
    errors = [l for l in err.splitlines() if ": ERROR: " in l]
    assert len(errors) == 1, err
    for needle in needles:
        assert needle in errors[0], err
    return errors[0]


@pytest.fixture(scope="module")
def emu():
    with Emulator(EmulatorConfig(seed=2, users=10, activity_per_day=40, operation_per_day=10)) as e:
        yield e


def test_missing_credentials(tmp_path):
    r = run_cli(["collect", "--state", str(tmp_path / "s")])
    one_line_error(r, 2, "ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET")


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--since", "2026-02-30"], "--since: '2026-02-30' is not a valid calendar date"),
        (["--since", "yesterday"], "--since: 'yesterday' is not a date"),
        (["--since", "2026-11-01", "--until", "26-11-02"], "--until: '26-11-02' is not a date"),
        (["--until", "2026-11-01"], "--until needs --since"),
    ],
)
def test_bad_dates(tmp_path, emu, args, needle):
    r = run_cli(["collect", "--state", str(tmp_path / "s"), *args], emulator_env(emu))
    one_line_error(r, 2, needle)


@pytest.mark.slow
def test_dates_out_of_zoom_range(tmp_path, emu):
    today = utc_today()
    too_old = oldest_readable(today) - timedelta(days=1)
    r = run_cli(["collect", "--state", str(tmp_path / "s"), "--since", too_old.isoformat()], emulator_env(emu))
    one_line_error(r, 2, "older than Zoom keeps reports")
    future = today + timedelta(days=1)
    r = run_cli(["collect", "--state", str(tmp_path / "s"), "--since", future.isoformat()], emulator_env(emu))
    one_line_error(r, 2, "in the future")


def test_wrong_secret_is_named_and_never_printed(tmp_path, emu):
    env = {**emulator_env(emu), "ZOOM_CLIENT_SECRET": "definitely-wrong-secret-42"}
    r = run_cli(["collect", "--state", str(tmp_path / "s"), "--verbose"], env)
    one_line_error(r, 3, "ZOOM_CLIENT_SECRET")
    assert b"definitely-wrong-secret-42" not in r.stderr + r.stdout


def test_missing_scope_is_named(tmp_path):
    with Emulator(
        EmulatorConfig(
            seed=2, users=5, activity_per_day=5, operation_per_day=5, scopes=("report:read:user_activities:admin",)
        )
    ) as emu:
        r = run_cli(["collect", "--state", str(tmp_path / "s"), "--log-type", "operation"], emulator_env(emu))
        err = r.stderr.decode()
        assert r.returncode == 4 and "Traceback" not in err, err
        # the refusal, with what to ask for; then the run's last line naming the refused report
        refusal, last = [l for l in err.splitlines() if ": ERROR: " in l]
        assert "report:read:operation_logs:admin" in refusal, err
        assert "refused the operation report" in last and "nothing else to collect" in last, err


def test_unreachable_api(tmp_path, emu):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    env = {
        **emulator_env(emu),
        "ZOOM_API_URL": f"http://127.0.0.1:{port}/v2",
        "ZOOM_OAUTH_TOKEN_URL": f"http://127.0.0.1:{port}/oauth/token",
    }
    r = run_cli(["collect", "--state", str(tmp_path / "s"), "--retries", "1"], env)
    one_line_error(r, 5, f"127.0.0.1:{port}")


@pytest.mark.slow
def test_bad_url_and_unwritable_output(tmp_path, emu):
    r = run_cli(["collect", "--state", str(tmp_path / "s")], {**emulator_env(emu), "ZOOM_API_URL": "api.zoom.us"})
    one_line_error(r, 2, "ZOOM_API_URL")
    r = run_cli(
        ["collect", "--state", str(tmp_path / "s"), "--output", str(tmp_path / "no" / "dir" / "f")], emulator_env(emu)
    )
    one_line_error(r, 2, "--output")


def test_corrupt_state_file(tmp_path, emu):
    state = tmp_path / "s.sqlite3"
    state.write_bytes(b"garbage" * 1000)
    r = run_cli(["collect", "--state", str(state)], emulator_env(emu))
    one_line_error(r, 7, str(state))


@pytest.mark.slow
def test_collect_prints_ndjson_and_secrets_stay_out(tmp_path, emu):
    r = run_cli(["collect", "--state", str(tmp_path / "s"), "--verbose"], emulator_env(emu))
    assert r.returncode == 0, r.stderr
    lines = read_ndjson(r.stdout)
    today = utc_today()
    since = today - timedelta(days=1)
    truth = emulated_truth(emu, since, today)
    assert multiset(zoom_fields(l) for l in lines) == multiset(truth)
    assert emu.config.client_secret.encode() not in r.stdout + r.stderr
    for token in emu.issued_tokens():
        assert token.encode() not in r.stdout + r.stderr
    again = run_cli(["collect", "--state", str(tmp_path / "s")], emulator_env(emu))
    assert again.returncode == 0 and again.stdout == b""


def test_emulated_flag_needs_no_credentials():
    r = run_cli(["collect", "--emulated", "--log-type", "activity"])
    assert r.returncode == 0, r.stderr
    lines = read_ndjson(r.stdout)
    assert lines and all(l["log_type"] == "activity" and l["record_id"] for l in lines)


def test_reader_going_away_exits_6_without_traceback(tmp_path):
    state = tmp_path / "s.sqlite3"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zoom_activity_logs",
            "collect",
            "--emulated",
            "--state",
            str(state),
            "--since",
            (utc_today() - timedelta(days=20)).isoformat(),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.readline()
    proc.stdout.close()  # the reader goes away
    err = proc.stderr.read().decode()
    proc.stderr.close()
    proc.wait(timeout=60)
    assert proc.returncode == 6, err
    assert "Traceback" not in err and "reader of the output went away" in err


@pytest.mark.slow
def test_progress_bar_on_a_terminal_and_quiet_otherwise(tmp_path):
    import fcntl
    import os
    import pty
    import struct
    import termios

    import pyte  # a terminal emulator: the screen a person sees, not the raw bytes

    since = (utc_today() - timedelta(days=40)).isoformat()
    args = [
        sys.executable,
        "-m",
        "zoom_activity_logs",
        "collect",
        "--emulated",
        "--since",
        since,
        "--max-rps",
        "0",
        "--output",
        str(tmp_path / "out.ndjson"),
    ]
    # stderr a pipe: no bar
    piped = subprocess.run(args, capture_output=True, timeout=120)
    assert piped.returncode == 0 and b"day/s" not in piped.stderr and b"|" not in piped.stderr
    # stderr a terminal: one bar per report, each reaching its 41 days, with its records
    rows, cols = 60, 140
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    proc = subprocess.Popen(
        args + ["--state", str(tmp_path / "s.sqlite3")],
        stdout=subprocess.DEVNULL,
        stderr=follower,
        env={**os.environ, "COLUMNS": str(cols), "LINES": str(rows)},
    )
    os.close(follower)
    seen = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=120) == 0
    os.close(leader)
    screen = pyte.Screen(cols, rows)
    pyte.Stream(screen).feed(seen.decode("utf-8", "replace").replace("\n", "\r\n"))
    shown = [line.rstrip() for line in screen.display if line.strip()]
    bars = [line for line in shown if "/41" in line]
    # exactly one final bar per report: a log line written over a bar would leave a stale copy behind
    assert len(bars) == len(LOG_TYPES), "\n".join(shown)
    for log_type, bar in zip(LOG_TYPES, bars):
        assert f"default {log_type}" in bar and "41/41" in bar and "records=" in bar, bar
    info = [line for line in shown if ": INFO: " in line]
    assert len(info) >= 4 and all(line.startswith("zoom-activity-logs: INFO: ") for line in info), "\n".join(shown)
