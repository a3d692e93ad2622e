"""Fault suite: every fault Zoom or the network can throw, in backfill and in follow
mode, and the output still equals the emulated truth as a multiset (nothing lost,
nothing repeated, true repeats kept)."""

from __future__ import annotations

import io
import sqlite3
from datetime import timedelta

import pytest
from helpers import EmulatedRun, FastWaiter, emulator_env, multiset, read_ndjson, run_cli, zoom_fields
from helpers import emulated_truth as truth

from collector.errors import AuthError, OutputClosed
from collector.output import Sink
from collector.retry import Stopped
from collector.windows import utc_today
from emulator import Emulator, EmulatorConfig

# (fault kind, emulator settings, fault params): the variants the issue names.
FAULTS = {
    "429_qps": ("429_qps", {}, {}),
    "429_daily_iso_retry_after": ("429_daily", {}, {}),
    "429_lowercase_headers": ("429_daily", {"lowercase_headers": True}, {}),
    "429_without_retry_after": ("429_qps", {"retry_after": False}, {}),
    "500": ("500", {}, {}),
    "503": ("503", {}, {}),
    "timeout": ("slow", {}, {"delay": 1.5}),  # the client below times out after 0.5 s
    "connection_reset": ("reset", {}, {}),
    "truncated_body": ("truncated", {}, {}),
    "non_json_body": ("nonjson", {}, {}),
    "page_token_expired": ("expire_page_token", {}, {}),
    "access_token_expired_mid_pass": ("expire_access_token", {}, {}),
}


def Run(emu, state, sink=None):  # noqa: N802 (reads as the class it builds)
    # a 0.5 s client timeout, so the "slow" fault (1.5 s) is a timeout
    return EmulatedRun(emu, state, sink=sink, timeout=0.5)


def assert_struck(emu, run, kind):
    """The fault really hit the collector (else the test proves nothing)."""
    if kind == "expire_page_token":
        assert run.collector.stats.restarts >= 1
    else:
        assert emu.stats["faults"] >= 1
    if kind.startswith("429"):
        # waited every time, never retried at once
        assert run.client.rate_limited >= 1 and run.waiter.asked and all(s > 0 for s in run.waiter.asked)


def assert_exactly_once(lines, expected):
    assert multiset(zoom_fields(l) for l in lines) == multiset(expected)
    assert len({l["record_id"] for l in lines}) == len(lines)


@pytest.mark.parametrize("name", sorted(FAULTS))
@pytest.mark.slow
def test_backfill_under_fault(tmp_path, name):
    kind, knobs, params = FAULTS[name]
    cfg = EmulatorConfig(seed=21, users=20, activity_per_day=150, operation_per_day=50, history_days=40, **knobs)
    with Emulator(cfg) as emu:
        today = utc_today()
        since = today - timedelta(days=35)
        run = Run(emu, tmp_path / "s.sqlite3")
        emu.inject(kind, count=3, **params)
        run.collector.backfill(since, today)
        assert_exactly_once(run.lines(), truth(emu, since, today))
        assert_struck(emu, run, kind)
        run.close()


@pytest.mark.parametrize("name", sorted(FAULTS))
@pytest.mark.slow
def test_follow_under_fault_with_records_arriving(tmp_path, name):
    kind, knobs, params = FAULTS[name]
    cfg = EmulatorConfig(
        seed=22, users=15, activity_per_day=400, operation_per_day=120, history_days=3, arrivals_per_request=3, **knobs
    )
    with Emulator(cfg) as emu:
        run = Run(emu, tmp_path / "s.sqlite3")
        run.collector.poll()
        for _ in range(3):  # faults strike polls while records keep arriving
            emu.inject(kind, count=2, **params)
            run.collector.poll()
        emu.config.arrivals_per_request = 0
        run.collector.poll()
        run.collector.poll()
        today = utc_today()
        assert_exactly_once(run.lines(), truth(emu, today - timedelta(days=1), today))
        assert_struck(emu, run, kind)
        run.close()


@pytest.mark.slow
def test_revoked_credentials_exit_clearly_and_keep_state(tmp_path):
    cfg = EmulatorConfig(seed=23, users=10, activity_per_day=100, operation_per_day=30, history_days=30)
    with Emulator(cfg) as emu:
        today = utc_today()
        since = today - timedelta(days=25)
        state = tmp_path / "s.sqlite3"
        first = Run(emu, state)
        first.collector.backfill(since, today - timedelta(days=10))
        first.close()
        emu.inject("revoke")
        args = ["collect", "--since", since.isoformat(), "--state", str(state), "--max-rps", "0"]
        r = run_cli(args, emulator_env(emu))
        assert r.returncode == 3, r.stderr
        err = r.stderr.decode()
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "refused" in err
        assert cfg.client_secret not in err and r.stdout == b""
        # the state file is intact and still the one the first run left
        with sqlite3.connect(state) as db:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    # access restored (a fresh emulator over the same account: same seed, same records)
    with Emulator(cfg) as emu2:
        r = run_cli(args, emulator_env(emu2))
        assert r.returncode == 0, r.stderr
        rest = read_ndjson(r.stdout)
        assert_exactly_once(first.lines() + rest, truth(emu2, since, today))


class ClosingStream(io.RawIOBase):
    """A reader that goes away after `keep` batches."""

    def __init__(self, keep):
        self.kept = io.BytesIO()
        self.keep = keep

    def writable(self):
        return True

    def write(self, data):
        if self.keep <= 0:
            raise BrokenPipeError
        self.kept.write(data)
        return len(data)

    def flush(self):
        self.keep -= 1


@pytest.mark.slow
def test_reader_gone_state_stops_at_the_last_delivered_batch(tmp_path):
    cfg = EmulatorConfig(seed=24, users=10, activity_per_day=300, operation_per_day=60, history_days=30)
    with Emulator(cfg) as emu:
        today = utc_today()
        since = today - timedelta(days=25)
        stream = ClosingStream(keep=4)
        run = Run(emu, tmp_path / "s.sqlite3", sink=Sink(stream, durable=False))
        with pytest.raises(OutputClosed):
            run.collector.backfill(since, today)
        run.close()
        delivered = read_ndjson(stream.kept.getvalue())
        assert delivered
        again = Run(emu, tmp_path / "s.sqlite3")
        again.collector.backfill(since, today)
        again.close()
        # nothing the reader missed is lost, nothing it got comes again
        assert_exactly_once(delivered + again.lines(), truth(emu, since, today))


def test_cli_revoked_in_follow_mode_exits_with_state_intact(tmp_path):
    cfg = EmulatorConfig(seed=25, users=10, activity_per_day=100, operation_per_day=30, history_days=3)
    with Emulator(cfg) as emu:
        emu.inject("revoke")
        r = run_cli(
            ["collect", "--follow", "--interval", "1", "--state", str(tmp_path / "s.sqlite3")],
            emulator_env(emu),
            timeout=60,
        )
        assert r.returncode == 3, r.stderr
        assert b"Traceback" not in r.stderr


def test_auth_error_is_not_retried_as_an_outage(tmp_path):
    cfg = EmulatorConfig(seed=26, users=5, activity_per_day=20, operation_per_day=5, history_days=3)
    with Emulator(cfg) as emu:
        emu.inject("revoke")
        run = Run(emu, tmp_path / "s.sqlite3")
        with pytest.raises(AuthError):
            run.collector.poll()
        assert run.waiter.asked == []  # no back-off loop against a revoked app
        run.close()


class MidnightWaiter(FastWaiter):
    """Stops the run when asked to wait for 00:00 UTC (a long wait), as a test cannot wait."""

    def sleep(self, seconds):
        if seconds > 60:
            self.asked.append(seconds)
            raise Stopped()
        super().sleep(seconds)


def test_daily_reserve_leaves_the_rest_of_the_cap_to_other_apps(tmp_path):
    cfg = EmulatorConfig(
        seed=27, users=20, activity_per_day=2000, operation_per_day=400, history_days=30, daily_limit=1040
    )
    with Emulator(cfg) as emu:
        run = Run(emu, tmp_path / "s.sqlite3")
        waiter = MidnightWaiter()
        run.client._waiter = run.collector.waiter = waiter
        run.client._daily_reserve = 1000
        with pytest.raises(Stopped):
            run.collector.backfill(utc_today() - timedelta(days=25), utc_today())
        # it stopped with the reserve untouched, without ever meeting Zoom's daily 429
        assert emu.stats["status"].get(429, 0) == 0
        assert 38 <= run.client.requests <= 41 and waiter.asked[-1] > 60
        run.close()
