"""`hunt` never lies or hangs (issue 12, item 5): repeated record_ids, wrong-typed
fields, unwritable output, signals, inverted ranges, binary input, narrow terminals."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from helpers import read_ndjson, run_cli

from contentkit.hunt import Finding, Hunt, Inputs, render_table

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env():
    return {k: v for k, v in os.environ.items() if not k.startswith("ZOOM_") and k != "COLUMNS"}


def _start(args, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "zoom_activity_logs", *args], env=_env(), cwd=ROOT, stderr=subprocess.PIPE, **kw
    )


def _one_line(err: bytes) -> str:
    text = err.decode()
    assert "Traceback" not in text and "Exception ignored" not in text, text
    lines = [line for line in text.splitlines() if "ERROR" in line or "WARNING" in line]
    assert len(lines) == 1, text
    return lines[0]


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> bytes:
    """Three weeks of the emulated account, as `collect` writes it (record_id on each line)."""
    r = run_cli(
        [
            "collect",
            "--emulated",
            "--max-rps",
            "0",
            "--health",
            "--since",
            (datetime.now(UTC) - timedelta(days=21)).date().isoformat(),
        ]
    )
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def big(tmp_path_factory) -> str:
    """~55,000 distinct records (four months, and two copies under other record_ids):
    enough for the pipeline workers and a run of several seconds."""
    r = run_cli(
        [
            "collect",
            "--emulated",
            "--max-rps",
            "0",
            "--since",
            (datetime.now(UTC) - timedelta(days=120)).date().isoformat(),
        ]
    )
    assert r.returncode == 0, r.stderr
    path = tmp_path_factory.mktemp("big") / "big.ndjson"
    lines = r.stdout.splitlines()
    with open(path, "wb") as out:
        for copy in ("", "-b", "-c"):
            for line in lines:
                record = orjson.loads(line)
                record["record_id"] += copy
                out.write(orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE))
    assert len(lines) * 3 > 50_000
    return str(path)


def _signals(path, *extra):
    r = run_cli(["hunt", *map(str, path if isinstance(path, list) else [path]), "--format", "json", *extra])
    assert r.returncode == 0, r.stderr
    return read_ndjson(r.stdout), r.stderr.decode()


# -- de-duplication on record_id -----------------------------------------------------------


@pytest.mark.slow
def test_overlapping_files_and_a_repeated_file_give_the_signals_of_the_unique_records(collected, tmp_path):
    whole = tmp_path / "whole.ndjson"
    whole.write_bytes(collected)
    lines = collected.splitlines(keepends=True)
    records = sum(1 for line in lines if b'"log_type":"health"' not in line)
    third = len(lines) // 3
    a, b = tmp_path / "a.ndjson", tmp_path / "b.ndjson"  # overlap: the middle third is in both
    a.write_bytes(b"".join(lines[: 2 * third]))
    b.write_bytes(b"".join(lines[third:]))
    expected, _ = _signals(whole)
    assert len(expected) > 5
    overlapping, err = _signals([a, b])
    assert overlapping == expected
    repeats = sum(1 for line in lines[third : 2 * third] if b'"log_type":"health"' not in line)
    assert f", {repeats} repeated record_ids dropped" in err
    twice, err = _signals([whole, whole])  # a file replayed again after a crash
    assert twice == expected and f", {records} repeated record_ids dropped" in err


def test_records_without_a_record_id_are_kept(tmp_path):
    line = (
        orjson.dumps(
            {
                "log_type": "operation",
                "time": "2026-11-20T12:00:00Z",
                "operator": "a@example.com",
                "category_type": "Account",
                "action": "Update",
                "operation_detail": "x",
            }
        )
        + b"\n"
    )
    path = tmp_path / "hand.ndjson"
    path.write_bytes(line * 2)
    hunt = Hunt()
    with Inputs([str(path)]) as inputs:
        hunt.run(inputs.buffers)
    assert hunt.stats.records == 2 and hunt.stats.duplicates == 0


# -- malformed records -----------------------------------------------------------------------


@pytest.mark.slow
def test_wrong_typed_fields_are_malformed_and_skipped_never_a_traceback(tmp_path):
    good = {
        "log_type": "activity",
        "account": "default",
        "time": "2026-11-20T12:00:00Z",
        "email": "kim@example.com",
        "type": "Sign in",
        "ip_address": "192.0.2.10",
        "client_type": "mac",
        "version": "6.2.0",
    }
    op = {
        "log_type": "operation",
        "account": "default",
        "time": "2026-11-20T12:00:00Z",
        "operator": "a@example.com",
        "category_type": "Account",
        "action": "Update",
        "operation_detail": "x",
    }
    bad = [
        {**good, "email": {"x": 1}},
        {**good, "time": 1763640000},
        {**good, "ip_address": ["192.0.2.1"]},
        {**op, "action": ["Update"]},
        {**op, "operation_detail": 5},
        {**good, "type": True},
        {**op, "record_id": {"id": 1}},
        {**good, "log_type": 7},
    ]
    lines = [orjson.dumps({**good, "record_id": "ok1"})] + [
        orjson.dumps({**r, "record_id": r.get("record_id", f"bad{n}")}) for n, r in enumerate(bad)
    ]
    path = tmp_path / "typed.ndjson"
    path.write_bytes(b"\n".join(lines) + b"\n")
    r = run_cli(["hunt", str(path), "--format", "json"])
    err = r.stderr.decode()
    assert r.returncode == 0 and "Traceback" not in err, err
    assert f"{len(bad)} malformed lines skipped (first at {path}:2)" in err
    assert " 1 records replayed" in err
    hunt = Hunt()
    with Inputs([str(path)]) as inputs:
        hunt.run(inputs.buffers)
    assert (hunt.stats.records, hunt.stats.malformed, hunt.stats.events_processed) == (1, len(bad), 1)


def test_gates_on_the_ocsf_type_follow_the_search_whatever_the_record_holds_there():
    """A rule gates on `@ocsf.type_uid:300201`, a number in the pipeline's events. A
    record of its own (an `ocsf` object in the line, a report the pipeline does not
    classify) may hold text, a float, a boolean, an array or an object there: routing
    must skip exactly the queries the search would not match."""
    from contentkit.detect import compile_rule
    from contentkit.event import from_ndjson_line
    from contentkit.hunt import _matches, _query_table
    from contentkit.load import load_rules, rule_body

    base = rule_body(load_rules()[0])
    queries = [
        "@ocsf.type_uid:300201",
        "@log_type:other @ocsf.type_uid:(300201 OR true)",
        "@ocsf.type_uid:300201.0",
        "-@ocsf.type_uid:300201",
    ]
    table = _query_table([compile_rule({**base, "queries": [{**base["queries"][0], "query": q}]}) for q in queries])
    shapes = [300201, "300201", 300201.0, True, [1, 300201], {"uid": 300201}, None, 300202]
    hits = 0
    for value in shapes:
        event = from_ndjson_line({"log_type": "other", "ocsf": {"type_uid": value}})
        gated, ungated = _matches(table, {}, event, True), _matches(table, {}, event, False)
        assert gated == ungated, value
        hits += len(gated)
    assert hits > len(shapes)  # not vacuous


# -- output that cannot be written ---------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.slow
def test_events_to_a_full_disk_ends_at_once_with_one_line(collected, tmp_path):
    path = tmp_path / "c.ndjson"
    path.write_bytes(collected)
    r = run_cli(["hunt", str(path), "--events", "/dev/full", "--format", "json"], timeout=30)
    assert r.returncode == 6 and r.stdout == b""
    assert "--events: cannot write /dev/full: No space left on device" in _one_line(r.stderr)


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_events_to_a_full_disk_with_pipeline_workers_does_not_hang(big):
    """The old code hung here for ever: the Pool's teardown SIGTERMed workers that had
    inherited the command's stop-event handler, and joined them."""
    started = time.monotonic()
    r = run_cli(["hunt", big, "--events", "/dev/full", "--format", "json"], timeout=30)
    assert r.returncode == 6 and "cannot write /dev/full" in _one_line(r.stderr)
    assert time.monotonic() - started < 15


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
@pytest.mark.slow
def test_stdout_to_a_full_disk_closed_pipe_or_closed_fd_is_one_line(collected, tmp_path):
    path = tmp_path / "c.ndjson"
    path.write_bytes(collected)
    args = [sys.executable, "-m", "zoom_activity_logs", "hunt", str(path), "--format", "json"]
    with open("/dev/full", "wb") as full:
        r = subprocess.run(args, stdout=full, stderr=subprocess.PIPE, env=_env(), cwd=ROOT, timeout=60)
    assert r.returncode == 6 and "cannot write the results to stdout: No space left" in _one_line(r.stderr)
    read, write = os.pipe()
    os.close(read)  # the reader went away before the results
    try:
        r = subprocess.run(args, stdout=write, stderr=subprocess.PIPE, env=_env(), cwd=ROOT, timeout=60)
    finally:
        os.close(write)
    assert r.returncode == 6 and "the reader went away" in _one_line(r.stderr)
    r = subprocess.run(
        args,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=_env(),
        cwd=ROOT,
        timeout=60,
        preexec_fn=lambda: os.close(1),
    )  # started with no stdout at all
    assert r.returncode == 6 and "stdout is closed" in _one_line(r.stderr)


# -- SIGTERM / Ctrl-C, and the workers' deadlock -------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_a_big_hunt_within_a_second(big, signum):
    proc = _start(["hunt", big, "--format", "json"], stdout=subprocess.DEVNULL)
    try:
        time.sleep(3.0)  # content loaded, records indexed, the workers busy
        assert proc.poll() is None, "the run ended before the signal: the input is too small"
        sent = time.monotonic()
        proc.send_signal(signum)
        proc.wait(timeout=5)
        elapsed = time.monotonic() - sent
    finally:
        proc.kill()
        proc.wait()
        err = proc.stderr.read()
        proc.stderr.close()
    assert proc.returncode == 130
    assert "hunt stopped on request (SIGTERM / Ctrl-C)" in _one_line(err)
    assert elapsed < 2.0, elapsed


@pytest.mark.slow
def test_a_signal_while_stdin_gives_nothing_stops_it(tmp_path):
    proc = _start(["hunt", "-"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    try:
        time.sleep(2.0)  # waiting for stdin, which never comes
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=5)
        elapsed = time.monotonic() - sent
    finally:
        proc.kill()
        proc.wait()
        proc.stdin.close()
        err = proc.stderr.read()
        proc.stderr.close()
    assert proc.returncode == 130 and elapsed < 2.0
    assert "stopped on request" in _one_line(err)


ABORT_WITH_WORKERS = textwrap.dedent("""
    import multiprocessing, signal, sys, threading, time
    import contentkit.hunt as hunt_module
    from contentkit.hunt import Hunt, Inputs
    stop = threading.Event()
    # the command's handlers: they only set the stop event (collector.cli)
    signal.signal(signal.SIGTERM, lambda *a: stop.set())
    signal.signal(signal.SIGINT, lambda *a: stop.set())
    hunt_module.PARALLEL_FROM, hunt_module.CHUNK = 0, 50
    def fail(event):
        raise OSError(28, "No space left on device")
    for n in range(8):  # the old Pool hung on some of these teardowns, at random
        with Inputs([sys.argv[1]]) as inputs:
            try:
                Hunt(workers=2).run(inputs.buffers, on_event=fail)
            except OSError:
                pass
        assert not multiprocessing.active_children(), multiprocessing.active_children()
    print("ok")
""")


@pytest.mark.slow
def test_abandoning_a_parallel_run_ends_its_workers_at_once(collected, tmp_path):
    """The deadlock's cause: workers forked with the command's stop-event SIGTERM
    handler survived the pool's SIGTERM, and its teardown joined them for ever."""
    path = tmp_path / "c.ndjson"
    path.write_bytes(collected)
    r = subprocess.run(
        [sys.executable, "-c", ABORT_WITH_WORKERS, str(path)],
        capture_output=True,
        cwd=ROOT,
        env={**_env(), "PYTHONPATH": os.path.join(ROOT, "tests")},
        timeout=60,
    )
    assert r.returncode == 0 and r.stdout.strip() == b"ok", r.stderr


def test_stop_event_ends_a_parallel_run_and_its_workers(collected, tmp_path, monkeypatch):
    import multiprocessing
    import threading

    import contentkit.hunt as hunt_module

    path = tmp_path / "c.ndjson"
    path.write_bytes(collected)
    monkeypatch.setattr(hunt_module, "PARALLEL_FROM", 0)
    monkeypatch.setattr(hunt_module, "CHUNK", 50)
    stop = threading.Event()
    seen = []

    def on_event(event):
        seen.append(1)
        if len(seen) == 120:
            stop.set()

    with Inputs([str(path)]) as inputs, pytest.raises(hunt_module.Stopped):
        Hunt(workers=2, stop=stop).run(inputs.buffers, on_event=on_event)
    assert len(seen) < 300 and not multiprocessing.active_children()


# -- flags and input kinds -----------------------------------------------------------------------


@pytest.mark.slow
def test_since_later_than_until_is_an_error(collected, tmp_path):
    path = tmp_path / "c.ndjson"
    path.write_bytes(collected)
    r = run_cli(["hunt", str(path), "--since", "2026-11-20", "--until", "2026-11-19"])
    assert r.returncode == 2 and "--since 2026-11-20 is later than --until 2026-11-19" in _one_line(r.stderr)
    r = run_cli(["hunt", str(path), "--since", "2026-11-19T12:00:00Z", "--until", "2026-11-19T11:00:00Z"])
    assert r.returncode == 2 and "later than --until" in _one_line(r.stderr)
    assert run_cli(["hunt", str(path), "--since", "2026-11-19", "--until", "2026-11-19"]).returncode == 0


@pytest.mark.parametrize(
    "kind,data,needle",
    [
        ("gzip", gzip.compress(b'{"log_type":"activity"}\n' * 100), "gzip-compressed, not NDJSON; decompress it first"),
        ("nul", b'{"a":1}\n\x00\x01\x02binary\n', "binary (it has NUL bytes), not NDJSON"),
        ("latin1", '{"email":"jos\u00e9@example.com"}\n'.encode("latin-1"), "binary (not UTF-8 text), not NDJSON"),
    ],
)
@pytest.mark.slow
def test_binary_or_gzip_input_says_what_it_is(collected, tmp_path, kind, data, needle):
    good, path = tmp_path / "good.ndjson", tmp_path / f"input.{kind}"
    good.write_bytes(collected)
    path.write_bytes(data)
    r = run_cli(["hunt", str(good), str(path)])
    assert r.returncode == 2 and f"{path}: {needle}" in _one_line(r.stderr)
    r = run_cli(["hunt", "-"], input=data)
    assert r.returncode == 2 and f"<stdin>: {needle}" in _one_line(r.stderr)


# -- the table fits the terminal -----------------------------------------------------------------


def _findings(collected, tmp_path) -> list[Finding]:
    path = tmp_path / "c.ndjson"
    path.write_bytes(collected)
    with Inputs([str(path)]) as inputs:
        findings = Hunt().run(inputs.buffers)
    assert len(findings) > 3
    return findings


@pytest.mark.parametrize("width", [120, 80, 40])
@pytest.mark.slow
def test_the_table_fits_the_width(collected, tmp_path, width):
    findings = _findings(collected, tmp_path)
    lines = render_table(findings, width).splitlines()
    assert len(lines) == len(findings) + 1 and lines[0].startswith("SEV")
    assert max(len(line) for line in lines) <= width
    if width < 100:
        assert any("…" in line for line in lines)
    assert "FIRST SEEN" in lines[0] or width < 80  # LAST SEEN is the first to go


@pytest.mark.slow
def test_the_table_follows_the_terminal_size(collected, tmp_path, monkeypatch):
    findings = _findings(collected, tmp_path)
    monkeypatch.setenv("COLUMNS", "40")
    assert max(len(line) for line in render_table(findings).splitlines()) <= 40
    path = tmp_path / "c.ndjson"
    r = subprocess.run(
        [sys.executable, "-m", "zoom_activity_logs", "hunt", str(path), "--format", "table"],
        capture_output=True,
        env={**_env(), "COLUMNS": "80"},
        cwd=ROOT,
        timeout=60,
    )
    assert r.returncode == 0 and max(len(line) for line in r.stdout.decode().splitlines()) <= 80
