"""Odd and hostile conditions (issue 11): each test reproduces a way the collector
once broke its promise (a record lost, doubled or a secret shown) and checks the
fix against the emulator, with the fault really injected."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, timedelta

import pytest
from helpers import EmulatedRun, emulated_truth, emulator_env, multiset, read_ndjson, run_cli, zoom_fields

from collector.errors import ApiError, OutputClosed, StateError
from collector.ledger import Ledger
from collector.output import Sink
from collector.windows import utc_today
from emulator import Emulator, EmulatorConfig

TODAY = utc_today()
SHAPES = ("data_string", "no_records", "records_not_list", "record_not_object", "token_not_string", "not_object")


def small(**knobs) -> EmulatorConfig:
    return EmulatorConfig(
        **{"seed": 31, "users": 12, "activity_per_day": 60, "operation_per_day": 40, "history_days": 40, **knobs}
    )


def one_error_line(result, code: int) -> str:
    err = result.stderr.decode()
    assert result.returncode == code, err
    assert "Traceback" not in err, err
    errors = [line for line in err.splitlines() if ": ERROR: " in line]
    assert len(errors) == 1, err
    return errors[0]


def settled_rows(path) -> list:
    db = sqlite3.connect(path)
    try:
        return sorted(db.execute("SELECT log_type, day FROM settled"))
    finally:
        db.close()


def assert_exactly(lines, truth):
    assert multiset(zoom_fields(line) for line in lines) == multiset(truth)
    assert len({line["record_id"] for line in lines}) == len(lines)


# -- 1. a 200 of the wrong shape ------------------------------------------------------------


@pytest.mark.parametrize("shape", SHAPES)
def test_a_wrong_shaped_200_never_settles_days(tmp_path, shape):
    with Emulator(small()) as emu:
        since = TODAY - timedelta(days=20)
        run = EmulatedRun(emu, tmp_path / "s.sqlite3")
        emu.inject("wrong_shape", count=1000, shape=shape)  # every answer, past every retry
        with pytest.raises(ApiError, match=r"/report/activities.*not a report page"):
            run.collector.backfill(since, TODAY)
        assert run.ledger.settled_days("activity") == set() and run.lines() == []
        run.close()
        emu.clear_faults()
        again = EmulatedRun(emu, tmp_path / "s.sqlite3")
        again.collector.backfill(since, TODAY)
        assert_exactly(again.lines(), emulated_truth(emu, since, TODAY))
        again.close()


@pytest.mark.parametrize("shape", SHAPES)
def test_a_passing_wrong_shaped_200_is_retried_like_a_5xx(tmp_path, shape):
    with Emulator(small()) as emu:
        since = TODAY - timedelta(days=35)
        run = EmulatedRun(emu, tmp_path / "s.sqlite3")
        emu.inject("wrong_shape", count=3, shape=shape)
        run.collector.backfill(since, TODAY)
        assert emu.stats["faults"] == 3 and run.client.retried >= 3
        assert_exactly(run.lines(), emulated_truth(emu, since, TODAY))
        run.close()


@pytest.mark.slow
def test_wrong_shape_exits_5_naming_the_endpoint_and_keeps_the_state(tmp_path):
    with Emulator(small()) as emu:
        state = tmp_path / "s.sqlite3"
        since = (TODAY - timedelta(days=30)).isoformat()
        ok = run_cli(["collect", "--state", str(state), "--since", since, "--max-rps", "0"], emulator_env(emu))
        assert ok.returncode == 0, ok.stderr
        before = settled_rows(state)
        emu.inject("wrong_shape", count=1000, shape="no_records")
        r = run_cli(
            ["collect", "--state", str(state), "--since", since, "--max-rps", "0", "--retries", "2", "--health"],
            emulator_env(emu),
        )
        line = one_error_line(r, 5)
        assert "/report/activities" in line and "no 'activity_logs' list" in line
        assert settled_rows(state) == before
        health = [h for h in read_ndjson(r.stdout) if h.get("log_type") == "health"]
        assert health and health[-1]["status"] == "error"


@pytest.mark.slow
def test_a_token_endpoint_200_that_is_not_a_token_is_retried_then_exit_5(tmp_path):
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            body = json.dumps({"access_token": 42, "expires_in": "soon"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}"
        env = {
            "ZOOM_ACCOUNT_ID": "a",
            "ZOOM_CLIENT_ID": "c",
            "ZOOM_CLIENT_SECRET": "s",
            "ZOOM_OAUTH_TOKEN_URL": url + "/oauth/token",
            "ZOOM_API_URL": url + "/v2",
        }
        r = run_cli(["collect", "--state", str(tmp_path / "s"), "--retries", "2"], env)
        line = one_error_line(r, 5)
        assert "not a token (no access_token string)" in line
    finally:
        server.shutdown()
        server.server_close()


# -- oldest-first pages and a truncated last page ---------------------------------------


def test_pages_served_oldest_first_with_arrivals_are_exactly_once(tmp_path):
    with Emulator(small(oldest_first=True, history_days=3, activity_per_day=700)) as emu:
        run = EmulatedRun(emu, tmp_path / "s.sqlite3")
        emu.config.arrivals_per_request = 2
        for _ in range(3):
            run.collector.poll()
        emu.config.arrivals_per_request = 0
        run.collector.poll()
        run.collector.poll()
        assert_exactly(run.lines(), emulated_truth(emu, TODAY - timedelta(days=1), TODAY))
        run.close()


def test_a_truncated_last_page_is_read_again_before_the_days_settle(tmp_path):
    with Emulator(small()) as emu:
        since = TODAY - timedelta(days=30)
        run = EmulatedRun(emu, tmp_path / "s.sqlite3")
        emu.inject("truncate_last_page", count=2)
        run.collector.backfill(since, TODAY)
        assert emu.stats["faults"] == 2
        assert_exactly(run.lines(), emulated_truth(emu, since, TODAY))
        run.close()


# -- 2. a filtered read settles only its filter --------------------------------------------


@pytest.mark.slow
def test_a_category_read_does_not_settle_the_whole_report(tmp_path):
    with Emulator(small()) as emu:
        state, since = str(tmp_path / "s.sqlite3"), (TODAY - timedelta(days=30)).isoformat()
        base = ["collect", "--log-type", "operation", "--since", since, "--state", state, "--max-rps", "0"]
        role = run_cli([*base, "--category", "role"], emulator_env(emu))
        assert role.returncode == 0, role.stderr
        filtered = read_ndjson(role.stdout)
        assert filtered and all(line["category_type"].lower() == "role" for line in filtered)
        whole = run_cli(base, emulator_env(emu))
        assert whole.returncode == 0, whole.stderr
        # the rest arrives, and the role records are not written twice (same ids)
        assert_exactly(filtered + read_ndjson(whole.stdout), emu.truth("operation", TODAY - timedelta(days=30), TODAY))
        again = run_cli([*base, "--category", "role"], emulator_env(emu))
        assert again.returncode == 0 and again.stdout == b""


def test_a_meeting_filter_read_settles_only_its_own_filter(tmp_path):
    with Emulator(small()) as emu:
        state, since = str(tmp_path / "s.sqlite3"), TODAY - timedelta(days=10)
        base = ["collect", "--log-type", "meeting_activity", "--since", since.isoformat(), "--state", state]
        truth = emu.truth("meeting_activity", since, TODAY)
        number = next(r["meeting_number"] for r in truth if r["activity_category"] == "Remote control")
        # a code and a spaced number: sent as the enum name and digits, one filter whatever the spelling
        remote = run_cli(
            [*base, "--max-rps", "0", "--activity-type", "4", "--meeting-number", number], emulator_env(emu)
        )
        assert remote.returncode == 0, remote.stderr
        filtered = read_ndjson(remote.stdout)
        assert filtered and all(
            l["activity_category"] == "Remote control" and l["meeting_number"] == number for l in filtered
        )
        spelled = ["--activity-type", "remote CONTROL", "--meeting-number", number.replace(" ", "")]
        same = run_cli([*base, *spelled], emulator_env(emu))
        assert same.returncode == 0 and same.stdout == b"", same.stderr  # settled: that filter's own key
        whole = run_cli(base, emulator_env(emu))
        assert whole.returncode == 0, whole.stderr
        assert_exactly(filtered + read_ndjson(whole.stdout), truth)
        ledger = Ledger(tmp_path / "s.sqlite3", "default", TODAY)
        try:
            digits = number.replace(" ", "")
            key = f"meeting_activity?activity_type=Remote+Control&meeting_number={digits}"  # sorted, deterministic
            assert ledger.settled_days(key) and ledger.settled_days("meeting_activity")
        finally:
            ledger.close()


# -- 3. an interrupted backfill is owed -------------------------------------------------------


class Killed(BaseException):
    """The process dies: nothing after this point runs (not even error handling)."""


class DyingSink(Sink):
    def __init__(self, buffer, batches: int):
        super().__init__(buffer, durable=False)
        self.left = batches

    def write_batch(self, lines, on_offsets=None):
        if lines:
            self.left -= 1
            if self.left < 0:
                raise Killed()
        super().write_batch(lines, on_offsets)


def test_a_backfill_killed_half_way_is_finished_by_the_next_follow_poll(tmp_path, caplog):
    import io

    with Emulator(small(history_days=60)) as emu:
        since = TODAY - timedelta(days=50)
        state = tmp_path / "s.sqlite3"
        buffer = io.BytesIO()
        first = EmulatedRun(emu, state, sink=DyingSink(buffer, batches=4))
        first.sink = first.collector.sink
        with pytest.raises(Killed):
            first.collector.backfill(since, TODAY)
        first.close()
        written = read_ndjson(buffer.getvalue())
        assert written  # it died after a few pages, long before the end
        # what the systemd unit runs: follow, without --since
        second = EmulatedRun(emu, state)
        with caplog.at_level("WARNING", logger="zoom-activity-logs"):
            second.collector.poll()
        assert any(f"finishing the backfill {since}..{TODAY}" in r.getMessage() for r in caplog.records)
        by_id = {line["record_id"]: line for line in written + second.lines()}
        assert multiset(zoom_fields(line) for line in by_id.values()) == multiset(emulated_truth(emu, since, TODAY))
        assert second.ledger.owed() == []
        second.collector.poll()  # paid: nothing is read twice
        second.close()


@pytest.mark.slow
def test_kill_9_during_a_backfill_then_a_plain_run_finishes_it(tmp_path):
    with Emulator(small(history_days=60, activity_per_day=200)) as emu:
        since = (TODAY - timedelta(days=50)).isoformat()
        state, out = tmp_path / "s.sqlite3", tmp_path / "out.ndjson"
        args = [
            sys.executable,
            "-m",
            "zoom_activity_logs",
            "collect",
            "--since",
            since,
            "--state",
            str(state),
            "--output",
            str(out),
            "--max-rps",
            "20",
        ]
        env = {**os.environ, **emulator_env(emu)}
        proc = subprocess.Popen(args, env=env, stderr=subprocess.DEVNULL)
        deadline = time.time() + 60
        while (not out.exists() or out.stat().st_size < 50_000) and time.time() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        r = run_cli(["collect", "--state", str(state), "--output", str(out), "--max-rps", "0"], emulator_env(emu))
        assert r.returncode == 0, r.stderr
        assert b"finishing the backfill" in r.stderr
        by_id = {line["record_id"]: line for line in read_ndjson(out.read_bytes())}
        assert multiset(zoom_fields(line) for line in by_id.values()) == multiset(
            emulated_truth(emu, TODAY - timedelta(days=50), TODAY)
        )


# -- 4. the lock is on the file, not its name ---------------------------------------------------


def test_a_symlink_or_hard_link_to_a_state_in_use_is_refused(tmp_path):
    state = tmp_path / "s.sqlite3"
    held = Ledger(state, "default", TODAY)
    link = tmp_path / "link.sqlite3"
    link.symlink_to(state)
    with pytest.raises(StateError, match="in use by another collector"):
        Ledger(link, "default", TODAY)
    hard = tmp_path / "hard.sqlite3"
    os.link(state, hard)
    with pytest.raises(StateError, match="2 hard links"):
        Ledger(hard, "default", TODAY)
    held.close()


def test_a_symlink_to_a_state_not_made_yet_makes_its_target(tmp_path):
    link = tmp_path / "link.sqlite3"
    link.symlink_to(tmp_path / "real.sqlite3")
    Ledger(link, "default", TODAY).close()
    assert (tmp_path / "real.sqlite3").stat().st_size > 0 and link.is_symlink()


def test_two_accounts_of_one_config_on_one_state_are_refused(tmp_path):
    (tmp_path / "real.sqlite3").touch()
    (tmp_path / "other.sqlite3").symlink_to(tmp_path / "real.sqlite3")
    config = tmp_path / "accounts.yaml"
    config.write_text("""accounts:
  - name: one
    auth: server_to_server
    account_id: a
    client_id: c
    client_secret: {env: SECRET}
    state: real.sqlite3
  - name: two
    auth: server_to_server
    account_id: a
    client_id: c
    client_secret: {env: SECRET}
    state: other.sqlite3
""")
    r = run_cli(["collect", "--config", str(config)], {"SECRET": "x"})
    line = one_error_line(r, 2)
    assert "accounts one and two share the state file" in line


# -- 5. a pipe: only what the reader took is delivered ----------------------------------------


def read_exactly(fd: int, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = os.read(fd, size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def backfill_into_a_pipe(emu, state, days: int, stderr) -> tuple[subprocess.Popen, list[str]]:
    """`collect --since` with stdout a pipe this test reads, and its arguments (for run_cli)."""
    args = ["collect", "--since", (TODAY - timedelta(days=days)).isoformat(), "--state", str(state), "--max-rps", "0"]
    proc = subprocess.Popen(
        [sys.executable, "-m", "zoom_activity_logs", *args],
        env={**os.environ, **emulator_env(emu)},
        stdout=subprocess.PIPE,
        stderr=stderr,
    )
    return proc, args


@pytest.mark.parametrize("taken", [1, 5_000, 150_000])
@pytest.mark.slow
def test_a_reader_that_dies_loses_nothing_it_did_not_take(tmp_path, taken):
    with Emulator(small(activity_per_day=300)) as emu:
        proc, args = backfill_into_a_pipe(emu, tmp_path / "s.sqlite3", 20, subprocess.PIPE)
        got = read_exactly(proc.stdout.fileno(), taken)
        proc.stdout.close()  # the reader dies with the rest of the pipe unread
        err = proc.stderr.read().decode()
        proc.stderr.close()
        assert proc.wait(timeout=60) == 6, err
        took = read_ndjson(got[: got.rfind(b"\n") + 1])  # whole lines only: a cut line was not delivered
        rest = run_cli(args, emulator_env(emu))
        assert rest.returncode == 0, rest.stderr
        # exactly once: what the reader took plus the next run is the truth, no loss, no repeat
        assert_exactly(took + read_ndjson(rest.stdout), emulated_truth(emu, TODAY - timedelta(days=20), TODAY))


@pytest.mark.slow
def test_a_clean_end_waits_for_the_reader_to_drain_the_pipe(tmp_path):
    with Emulator(small()) as emu:
        proc, args = backfill_into_a_pipe(emu, tmp_path / "s.sqlite3", 10, subprocess.DEVNULL)
        time.sleep(3)  # the collector has written everything that fits in the pipe and waits
        assert proc.poll() is None  # it does not count lines the reader has not taken
        out = proc.stdout.read()
        proc.stdout.close()
        assert proc.wait(timeout=60) == 0
        assert_exactly(read_ndjson(out), emulated_truth(emu, TODAY - timedelta(days=10), TODAY))
        again = run_cli(args, emulator_env(emu))
        # nothing again; only what became visible meanwhile (today's meetings run on in real time)
        assert again.returncode == 0
        assert_exactly(
            read_ndjson(out) + read_ndjson(again.stdout), emulated_truth(emu, TODAY - timedelta(days=10), TODAY)
        )


def test_reader_gone_before_anything_is_taken_commits_nothing(tmp_path):
    r, w = os.pipe()
    os.close(r)
    with os.fdopen(w, "wb") as stream:
        sink = Sink(stream, durable=False)
        with pytest.raises(OutputClosed):
            sink.write_batch([b"{}\n"], lambda ends: None)
        assert sink.delivered() <= 0


# -- 7. unchecked command-line values -----------------------------------------------------------


@pytest.mark.parametrize(
    "args,env,needle",
    [
        (["--account-name", "../../../evil"], {}, "--account-name: must be lower-case letters"),
        ([], {"ZOOM_ACCOUNT_NAME": "a/b"}, "ZOOM_ACCOUNT_NAME: must be lower-case letters"),
        (["--follow", "--interval", "nan"], {}, "--interval: 'nan' must be between 1 and 86400"),
        (["--follow", "--interval", "inf"], {}, "must be between 1 and 86400"),
        (["--follow", "--interval", "1e400"], {}, "must be between 1 and 86400"),
        (["--interval", "30"], {}, "--interval applies to --follow only"),
        (["--account", "x"], {}, "--account selects accounts of a --config file"),
        (["--max-rps", "nan"], {}, "--max-rps: 'nan' is not a finite number"),
        (["--max-rps", "1000"], {}, "--max-rps: violates maximum 40"),
        (["--lookback-days", "400"], {}, "--lookback-days: violates maximum 31"),
        (["--retries", "0"], {}, "--retries must be between 1 and 100"),
        ([], {"ZOOM_API_URL": "http://api.example.com/v2"}, "ZOOM_API_URL: must be an https URL"),
        ([], {"ZOOM_OAUTH_TOKEN_URL": "http://zoom.example.com/oauth/token"}, "ZOOM_OAUTH_TOKEN_URL: must be an https"),
        ([], {"ZOOM_API_URL": "https://api.zoom.us/v2?key=abc"}, "ZOOM_API_URL: must be an https URL"),
        (["--activity-type", "Remote"], {}, "--activity-type: must be one of 'All Activities'"),
        (["--activity-type", "7"], {}, "--activity-type: must be one of"),
        (["--meeting-number", "982-610-0285"], {}, "--meeting-number: must be a meeting number"),
        (["--search-key", "a\tb"], {}, "--search-key: must be an operator's name or email"),
        (["--log-type", "activity", "--search-key", "jill"], {}, "apply to meeting activity logs"),
        (["--log-type", "operation", "--activity-type", "4"], {}, "use --log-type meeting_activity or all"),
    ],
)
def test_bad_values_are_one_line_and_exit_2(tmp_path, args, env, needle):
    base = {"ZOOM_ACCOUNT_ID": "a", "ZOOM_CLIENT_ID": "c", "ZOOM_CLIENT_SECRET": "s"}
    r = run_cli(["collect", "--state", str(tmp_path / "s"), *args], {**base, **env}, cwd=tmp_path)
    err = r.stderr.decode()
    # one line (argparse puts its usage above its own)
    assert r.returncode == 2 and "Traceback" not in err and needle in err.strip().splitlines()[-1], err
    assert not (tmp_path.parent / "evil.sqlite3").exists() and list(tmp_path.iterdir()) == []


def test_account_name_with_a_config_is_refused(tmp_path):
    r = run_cli(["collect", "--config", str(tmp_path / "none.yaml"), "--account-name", "x"])
    assert "--account-name applies without --config" in one_error_line(r, 2)


# -- 8. truncated or corrupt state ----------------------------------------------------------


@pytest.mark.parametrize("keep,needle", [(0.0, "is empty (truncated?)"), (0.5, "not a readable state database")])
@pytest.mark.slow
def test_a_truncated_state_is_refused(tmp_path, keep, needle):
    with Emulator(small()) as emu:
        state = tmp_path / "s.sqlite3"
        args = ["collect", "--state", str(state), "--since", (TODAY - timedelta(days=30)).isoformat(), "--max-rps", "0"]
        assert run_cli(args, emulator_env(emu)).returncode == 0
        os.truncate(state, int(state.stat().st_size * keep))
        r = run_cli(args, emulator_env(emu))
        assert needle in one_error_line(r, 7) and r.stdout == b""  # nothing written again


@pytest.mark.slow
def test_a_corrupt_page_inside_the_state_is_one_line_exit_7(tmp_path):
    with Emulator(small()) as emu:
        state = tmp_path / "s.sqlite3"
        since = (TODAY - timedelta(days=30)).isoformat()
        assert (
            run_cli(
                ["collect", "--state", str(state), "--since", since, "--max-rps", "0"], emulator_env(emu)
            ).returncode
            == 0
        )
        data = bytearray(state.read_bytes())
        page = 4096
        assert len(data) > 8 * page
        for at in range(2 * page, len(data) - page, page):  # every page but the header and the last
            data[at + 100 : at + 300] = os.urandom(200)
        state.write_bytes(bytes(data))
        r = run_cli(["collect", "--state", str(state), "--since", since, "--max-rps", "0"], emulator_env(emu))
        line = one_error_line(r, 7)
        assert str(state) in line


def test_a_long_retry_after_waits_no_longer_than_a_day():
    from datetime import datetime

    from collector.retry import Backoff, rate_limit_delay

    now = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    for value in ("99999999", "2099-01-01T00:00:00Z", "inf", "1e400"):
        wait, _ = rate_limit_delay({"Retry-After": value, "X-RateLimit-Type": "QPS"}, 0, Backoff(), now)
        assert 0 < wait <= 86400 + 60, value


def test_a_negative_or_garbage_remaining_count_is_ignored():
    import httpx
    from helpers import RecordingWaiter

    from collector.client import REPORTS, ZoomClient

    class Token:
        def access_token(self):
            return "t"

    answers = iter(["-5", "lots", "0"])

    def handler(request):
        return httpx.Response(
            200, json={"activity_logs": [], "next_page_token": ""}, headers={"X-RateLimit-Remaining": next(answers)}
        )

    waiter = RecordingWaiter()
    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        client = ZoomClient(http, "https://api.zoom.us/v2", Token(), waiter, daily_reserve=10)
        for _ in range(2):
            list(client.pages(REPORTS["activity"], TODAY, TODAY))
        assert client.daily_remaining is None and waiter.sleeps == []
        list(client.pages(REPORTS["activity"], TODAY, TODAY))
        assert client.daily_remaining == 0  # a real 0 still counts: the next request waits for 00:00 UTC


@pytest.mark.parametrize("trickle", [False, True])
def test_an_endless_or_trickling_body_is_cut_and_retried(monkeypatch, trickle):
    import httpx
    from helpers import RecordingWaiter

    from collector import bounded
    from collector.client import REPORTS, ZoomClient

    monkeypatch.setattr(bounded, "MAX_BODY_BYTES", 100_000)
    monkeypatch.setattr(bounded, "MAX_BODY_SECONDS", 0.3)

    class Token:
        def access_token(self):
            return "t"

    def endless():
        yield b'{"activity_logs": ['
        while True:
            if trickle:
                time.sleep(0.02)
                yield b" "
            else:
                yield b'{"time": "2026-12-01T00:00:00Z"}, ' * 100

    requests = []

    def handler(request):
        requests.append(request)
        return httpx.Response(200, content=endless())

    with httpx.Client(transport=httpx.MockTransport(handler)) as http:
        client = ZoomClient(http, "https://api.zoom.us/v2", Token(), RecordingWaiter(), attempts=3)
        with pytest.raises(ApiError, match="failed 3 times.*an answer (larger than|still arriving)"):
            list(client.pages(REPORTS["activity"], TODAY, TODAY))
    assert len(requests) == 3
