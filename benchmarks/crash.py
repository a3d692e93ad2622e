"""Crash campaign: SIGKILL the collector at random moments, restart it, check the union.

One emulated Zoom account runs in this process (records arriving with every report
request). The collector runs again and again as a subprocess, `collect --since ...`
(backfill), `collect --follow --interval 1` or both, on one state file and one
`--output` file, and is killed with SIGKILL at a random moment: a random delay,
right after the output grew past a random size, right after the emulator served a
random number of report requests, or (follow) while it waits between polls. After
the last kill, arrivals stop, the emulator's clock is frozen, and one clean
collection runs to completion. Then:

(a) the union of every line ever written, de-duplicated by `record_id`, equals the
    emulator's truth for the covered days as a multiset of the raw Zoom fields (no
    loss, true repeats kept), every line parses and its `record_id` matches its
    content;
(b) every raw repeat is explained by a kill: the lines of one run that are written
    again later form the tail of what that run wrote, at most one page batch (300
    lines), never within one run, never after a clean exit; and they are exactly
    the lines the ledger had not committed when the process died (read from a copy
    of the state file taken right after each kill).

All runs append to the same --output file, as a collector restarted by systemd
would: that exercises the partial-last-line cut on start, and "the union of all
output" is simply the file. The harness remembers where each run's complete lines
start and end (and their digest), so each repeat is attributed to one kill.

    python benchmarks/crash.py                    # 50 kills
    python benchmarks/crash.py --runs 200 --seed 7 --json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson

from collector.collect import PAGE_SIZES
from collector.records import LOG_TYPES, fingerprint, record_id, utc_day
from emulator import Emulator, EmulatorConfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


MAX_BATCH = max(PAGE_SIZES)  # one page's new lines: what one kill may repeat at most
PROJECT_FIELDS = ("log_type", "account", "record_id")
ACCOUNT = "default"
MAX_OCCURRENCE = 1000  # n-th identical record of a day searched for a record_id
MODES = ("backfill", "follow", "backfill+follow")


# -- the emulator's clock: real time, frozen for the final run and the truth ------------
class Clock:
    def __init__(self):
        self.frozen: datetime | None = None

    def __call__(self) -> datetime:
        return self.frozen or datetime.now(UTC)

    def freeze(self) -> None:
        self.frozen = datetime.now(UTC)


# -- one line -----------------------------------------------------------------------------
@dataclass
class Line:
    rid: str
    log_type: str
    day: str
    fp: bytes
    occurrence: int | None  # the n of record_id(account, log_type, fp, n); None if no n matches


def zoom_fields(obj: dict) -> dict:
    return {k: v for k, v in obj.items() if k not in PROJECT_FIELDS}


def identify(raw: bytes, account: str = ACCOUNT) -> Line:
    """Parse one output line (raises ValueError if it is not a JSON object)."""
    obj = orjson.loads(raw)
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    zoom = zoom_fields(obj)
    fp = fingerprint(zoom)
    rid, lt = obj.get("record_id"), obj.get("log_type")
    occurrence = None
    if isinstance(rid, str) and isinstance(lt, str):
        for n in range(1, MAX_OCCURRENCE + 1):
            if record_id(account, lt, fp, n) == rid:
                occurrence = n
                break
    return Line(str(rid), str(lt), utc_day(zoom), fp, occurrence)


def complete_end(path: Path) -> int:
    """Offset just past the last newline: the complete lines (what the next start keeps)."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    return data.rfind(b"\n") + 1


# -- the ledger, read from a copy of the state right after a kill -------------------------
def uncommitted_lines(lines: list[bytes], state: Path, scratch: Path, account: str = ACCOUNT) -> list[str]:
    """record_ids among `lines` whose occurrence the ledger had not committed (state copied,
    never opened in place: the harness must not change what the next run finds)."""
    parsed = []
    for raw in lines:
        try:
            parsed.append(identify(raw, account))
        except ValueError:
            continue  # reported by verify()
    counts: dict[tuple[str, str, bytes], int] = {}
    if state.exists():
        snap = scratch / "snapshot"
        shutil.rmtree(snap, ignore_errors=True)
        snap.mkdir(parents=True)
        copy = snap / state.name
        shutil.copyfile(state, copy)
        wal = state.with_name(state.name + "-wal")
        if wal.exists():
            shutil.copyfile(wal, snap / wal.name)  # no -shm: SQLite recovers the WAL as a restart would
        db = sqlite3.connect(copy)
        try:
            has_seen = db.execute("SELECT 1 FROM sqlite_master WHERE name = 'seen'").fetchone()
            for lt, day in {(p.log_type, p.day) for p in parsed} if has_seen else ():
                for fp, n in db.execute("SELECT fp, count FROM seen WHERE log_type = ? AND day = ?", (lt, day)):
                    counts[(lt, day, fp)] = n
        finally:
            db.close()
        shutil.rmtree(snap, ignore_errors=True)
    return [p.rid for p in parsed if p.occurrence is None or p.occurrence > counts.get((p.log_type, p.day, p.fp), 0)]


# -- runs -------------------------------------------------------------------------------
@dataclass
class Run:
    index: int
    mode: str
    trigger: str
    killed: bool = False
    returncode: int | None = None
    seconds: float = 0.0
    start: int = 0  # byte offsets of this run's complete lines in the output
    end: int = 0
    digest: str = ""
    lines: int = 0
    uncommitted: list[str] | None = None  # record_ids the ledger had not committed at the kill
    stderr: str = ""
    repeated: int = 0  # filled by verify(): lines of this run written again later

    def brief(self) -> dict:
        d = asdict(self)
        d["uncommitted"] = None if self.uncommitted is None else len(self.uncommitted)
        return d


def segment_lines(data: bytes) -> list[bytes]:
    return [line + b"\n" for line in data.split(b"\n")[:-1]] if data else []


# -- verification (pure: works on bytes and run records, so it can be fed a broken file) ---
def split_output(data: bytes, runs: list[Run]) -> tuple[list[list[bytes]], list[str]]:
    """The output cut into each run's lines; the runs must tile it and be unchanged since."""
    violations, segments, at = [], [], 0
    for run in runs:
        if run.start != at:
            violations.append(f"run {run.index}: its lines start at byte {run.start}, expected {at}")
        chunk = data[run.start : run.end]
        if hashlib.blake2b(chunk, digest_size=16).hexdigest() != run.digest:
            violations.append(f"run {run.index}: bytes {run.start}..{run.end} changed after the run ended")
        segments.append(segment_lines(chunk))
        at = run.end
    if at != len(data):
        violations.append(f"output has {len(data) - at} bytes after the last run's lines")
    return segments, violations


def verify(
    segments: list[list[bytes]],
    runs: list[Run],
    truth,
    account: str = ACCOUNT,
    max_batch: int = MAX_BATCH,
    cache: dict | None = None,
) -> dict:
    """Check (a) union == truth and (b) repeats come only from each kill's uncommitted batch.

    `truth`: the emulator's records, or a Counter of their fingerprints.
    `cache` (raw line -> Line) spares re-parsing when called repeatedly on variants of one output."""
    violations: list[str] = []
    cache = {} if cache is None else cache

    def flag(text: str) -> None:
        if len(violations) < 200:
            violations.append(text)
        elif len(violations) == 200:
            violations.append("... more violations not listed")

    copies: dict[str, list[tuple[int, int]]] = {}
    first: dict[str, Line] = {}
    total = 0
    for s, lines in enumerate(segments):
        for i, raw in enumerate(lines):
            total += 1
            try:
                line = cache.get(raw)
                if line is None:
                    line = cache[raw] = identify(raw, account)
            except ValueError:
                flag(
                    f"run {runs[s].index} line {i + 1}: not a JSON object (a partial line glued to the next?): "
                    f"{raw[:80]!r}"
                )
                continue
            if line.occurrence is None:
                flag(f"run {runs[s].index} line {i + 1}: record_id {line.rid} does not match the record's content")
            if line.rid in first:
                if first[line.rid].fp != line.fp:
                    flag(f"record_id {line.rid}: two different records")
            else:
                first[line.rid] = line
            copies.setdefault(line.rid, []).append((s, i))

    # (b) raw repeats: every copy but the last must sit in a killed run's uncommitted tail
    repeated: list[set[int]] = [set() for _ in segments]
    for rid, where in copies.items():
        if len(where) < 2:
            continue
        for (s1, _), (s2, _) in zip(where, where[1:]):
            if s1 == s2:
                flag(f"record_id {rid}: written twice by run {runs[s1].index} (no kill in between)")
        for s, i in where[:-1]:
            repeated[s].add(i)
    per_kill = []
    for s, (run, lines) in enumerate(zip(runs, segments)):
        rep = repeated[s]
        run.repeated = len(rep)
        if not rep:
            if run.killed:
                per_kill.append(0)
            if run.uncommitted:
                flag(
                    f"run {run.index}: {len(run.uncommitted)} lines the ledger had not committed at the kill "
                    f"were never written again"
                )
            continue
        if not run.killed:
            flag(
                f"run {run.index} ended by itself (exit {run.returncode}) yet {len(rep)} of its lines were "
                f"written again"
            )
            continue
        per_kill.append(len(rep))
        n = len(lines)
        if rep != set(range(n - len(rep), n)):
            earliest = min(rep)
            flag(
                f"run {run.index}: repeated lines are not the tail of what it wrote (line {earliest + 1} of {n} "
                f"repeated, {len(rep)} repeated in all)"
            )
        if len(rep) > max_batch:
            flag(f"run {run.index}: {len(rep)} lines repeated after one kill, more than one page batch ({max_batch})")
        if run.uncommitted is not None:
            rids = [orjson.loads(lines[i])["record_id"] for i in rep]
            committed = set(rids) - set(run.uncommitted)
            if committed:
                flag(f"run {run.index}: {len(committed)} lines repeated although the ledger had committed them")
            unwritten = set(run.uncommitted) - set(rids)
            if unwritten:
                flag(f"run {run.index}: {len(unwritten)} uncommitted lines were never written again")

    # (a) the union, de-duplicated by record_id, against the truth
    got = Counter(line.fp for line in first.values())
    want = truth if isinstance(truth, Counter) else Counter(fingerprint(r) for r in truth)
    missing, extra = want - got, got - want
    if missing:
        flag(f"loss: {sum(missing.values())} records of the truth are missing from the union")
    if extra:
        flag(f"{sum(extra.values())} records in the union beyond the truth (duplicates under new record_ids?)")
    return {
        "lines": total,
        "records": len(first),
        "truth": sum(want.values()),
        "duplicates": total - len(first),
        "max_per_kill": max(per_kill, default=0),
        "kills_with_repeats": sum(1 for n in per_kill if n),
        "violations": violations,
    }


def self_check(
    segments: list[list[bytes]],
    runs: list[Run],
    truth,
    rng: random.Random,
    account: str = ACCOUNT,
    cache: dict | None = None,
) -> dict:
    """Feed verify() broken versions of the real output: each must be flagged."""

    def clone() -> tuple[list[list[bytes]], list[Run]]:
        return [list(s) for s in segments], [
            Run(**{**asdict(r), "uncommitted": (None if r.uncommitted is None else list(r.uncommitted))}) for r in runs
        ]

    cache = {} if cache is None else cache
    truth = truth if isinstance(truth, Counter) else Counter(fingerprint(r) for r in truth)
    results = {}
    # 1. the whole output written twice by the last run
    segs, rs = clone()
    segs[-1] += [line for seg in segments for line in seg]
    results["doubled output"] = verify(segs, rs, truth, account, cache=cache)["violations"]
    # 2. one record lost (a line written once, so no copy elsewhere stands in for it)
    segs, rs = clone()
    ids = Counter(cache[line].rid for seg in segs for line in seg if line in cache)
    once = [
        (k, i)
        for k, seg in enumerate(segs)
        for i, line in enumerate(seg)
        if line in cache and ids[cache[line].rid] == 1
    ]
    if once:
        k, i = rng.choice(once)
        del segs[k][i]
    results["one line lost"] = verify(segs, rs, truth, account, cache=cache)["violations"]
    # 3. a committed line (not in any tail) written again by the next run
    segs, rs = clone()
    s = max(range(len(segs) - 1), key=lambda k: len(segs[k]))
    segs[s + 1].append(segs[s][len(segs[s]) // 2])
    results["committed line repeated"] = verify(segs, rs, truth, account, cache=cache)["violations"]
    # 4. a kill that repeats one line more than a page batch (ledger agreeing, so only the bound can catch it)
    segs, rs = clone()
    big = [k for k in range(len(segs) - 1) if len(segs[k]) > MAX_BATCH and rs[k].killed and not rs[k].repeated]
    if big:
        s = big[0]
        tail = segs[s][-(MAX_BATCH + 1) :]
        segs[s + 1] = tail + segs[s + 1]
        rs[s].uncommitted = [orjson.loads(line)["record_id"] for line in tail]
        results["kill repeats 301 lines"] = verify(segs, rs, truth, account, cache=cache)["violations"]
    # 5. a duplicate within one run, with no kill in between
    segs, rs = clone()
    s = max(range(len(segs)), key=lambda k: len(segs[k]))
    segs[s].insert(0, segs[s][-1])
    results["repeat within one run"] = verify(segs, rs, truth, account, cache=cache)["violations"]
    return results


# -- the campaign -------------------------------------------------------------------------
@dataclass
class Settings:
    kills: int = 50
    seed: int | None = None
    days: int = 150  # backfill range: --since this many days back
    users: int = 60
    activity_per_day: float = 1500
    operation_per_day: float = 500
    meetings_per_day: float = 15  # meeting activity: about 19 records a meeting
    arrivals_per_request: int = 2
    max_delay: float = 3.0  # longest random kill delay, seconds
    max_bytes: int = 8_000_000  # largest random output growth before a kill
    max_requests: int = 60  # largest random number of report requests before a kill
    final_timeout: float = 600.0
    self_check: bool = True
    schedule: tuple = ()  # (mode, trigger) pairs used in turn instead of random ones (None = random)


@dataclass
class Outcome:
    settings: dict
    runs: list[Run] = field(default_factory=list)
    report: dict = field(default_factory=dict)
    self_check: dict = field(default_factory=dict)
    seconds: float = 0.0
    workdir: str = ""
    emulator: dict = field(default_factory=dict)

    @property
    def violations(self) -> list[str]:
        out = list(self.report.get("violations", []))
        for name, flagged in self.self_check.items():
            if not flagged:
                out.append(f"self-check: verify() did not flag '{name}'")
        return out

    @property
    def kills(self) -> list[Run]:
        return [r for r in self.runs if r.killed]

    def summary(self) -> dict:
        kills = self.kills
        return {
            "runs": len(self.runs),
            "kills": len(kills),
            "clean_exits": sum(1 for r in self.runs if not r.killed),
            "kills_by_trigger": dict(Counter(r.trigger for r in kills)),
            "kills_by_mode": dict(Counter(r.mode for r in kills)),
            "kills_with_uncommitted_batch": sum(1 for r in kills if r.uncommitted),
            "partial_lines_cut": sum("removed a partial last line" in r.stderr for r in self.runs),
            "records": self.report.get("records"),
            "truth": self.report.get("truth"),
            "lines": self.report.get("lines"),
            "duplicate_lines": self.report.get("duplicates"),
            "max_duplicates_per_kill": self.report.get("max_per_kill"),
            "kills_with_duplicates": self.report.get("kills_with_repeats"),
            "report_requests": self.emulator.get("report_requests"),
            "self_check": {k: len(v) for k, v in self.self_check.items()},
            "violations": self.violations,
            "seconds": round(self.seconds, 1),
            "seed": self.settings["seed"],
            "workdir": self.workdir,
            "machine": {"nproc": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        }


def _env(emu: Emulator) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZOOM_")}
    cfg = emu.config
    env.update(
        {
            "ZOOM_ACCOUNT_ID": cfg.account_id,
            "ZOOM_CLIENT_ID": cfg.client_id,
            "ZOOM_CLIENT_SECRET": cfg.client_secret,
            "ZOOM_OAUTH_TOKEN_URL": emu.token_url,
            "ZOOM_API_URL": emu.api_url,
            "PYTHONPATH": ROOT + os.pathsep + env.get("PYTHONPATH", ""),
        }
    )
    return env


def _report_requests(emu: Emulator) -> int:
    return emu.stats["report_requests"]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _choose_trigger(mode: str, s: Settings, rng: random.Random, kind: str | None = None) -> tuple[str, dict]:
    # "idle" (kill between polls) only in pure follow runs: with --since it would let the whole backfill finish
    if kind is None or (kind == "idle" and mode != "follow"):
        kind = rng.choice(["startup", "delay", "bytes", "requests"] + (["idle"] if mode == "follow" else []))
    if kind == "startup":  # during interpreter start, state/output opening, the token request
        return kind, {"deadline": rng.uniform(0.02, 0.6)}
    if kind == "delay":
        return kind, {"deadline": rng.uniform(0.3, s.max_delay)}
    deadline = rng.uniform(s.max_delay, 2 * s.max_delay)  # fallback if the trigger never fires
    if kind == "bytes":  # right after a write: between the fsync and the ledger's commit, or just after
        return kind, {"deadline": deadline, "bytes": int(math.exp(rng.uniform(math.log(200), math.log(s.max_bytes))))}
    if kind == "requests":  # right after a page was served: parsing, writing or committing it
        return kind, {"deadline": deadline, "requests": rng.randint(1, s.max_requests)}
    return kind, {"deadline": deadline, "quiet": 0.15, "after": rng.uniform(0.0, 0.8)}  # between polls


def _watch(proc: subprocess.Popen, kind: str, p: dict, out: Path, emu: Emulator) -> bool:
    """Wait for the trigger, then SIGKILL. True if killed, False if the run ended by itself."""
    t0 = time.monotonic()
    size0, req0 = _size(out), _report_requests(emu)
    deadline = t0 + p["deadline"]
    last_req, last_change, armed = req0, t0, False
    while True:
        if proc.poll() is not None:
            return False
        now = time.monotonic()
        fire = now >= deadline
        if kind == "bytes":
            fire = fire or _size(out) - size0 >= p["bytes"]
        elif kind == "requests":
            fire = fire or _report_requests(emu) - req0 >= p["requests"]
        elif kind == "idle" and not armed:
            req = _report_requests(emu)
            if req != last_req:
                last_req, last_change = req, now
            elif req > req0 and now - last_change >= p["quiet"]:
                armed, deadline = True, now + p["after"]  # a poll finished: kill while it waits
        if fire:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.001)


def campaign(s: Settings, workdir: Path, log=lambda text: None) -> Outcome:
    seed = s.seed if s.seed is not None else random.SystemRandom().randrange(2**32)
    s.seed = seed
    rng = random.Random(seed)
    workdir.mkdir(parents=True, exist_ok=True)
    out, state = workdir / "out.ndjson", workdir / "state.sqlite3"
    for p in (out, state, state.with_name(state.name + "-wal"), state.with_name(state.name + "-shm")):
        p.unlink(missing_ok=True)
    outcome = Outcome(settings=asdict(s), workdir=str(workdir))
    started = time.monotonic()
    clock = Clock()
    cfg = EmulatorConfig(
        seed=seed % 100_000,
        users=s.users,
        activity_per_day=s.activity_per_day,
        operation_per_day=s.operation_per_day,
        meetings_per_day=s.meetings_per_day,
        history_days=s.days + 2,
        arrivals_per_request=s.arrivals_per_request,
        now=clock,
    )
    with Emulator(cfg) as emu:
        env = _env(emu)
        today = clock().date()
        since_full = today - timedelta(days=s.days)
        base = ["collect", "--state", str(state), "--output", str(out), "--quiet", "--max-rps", "0"]
        prev_end = 0
        attempts = 0

        def finish(run: Run, err_path: Path) -> None:
            nonlocal prev_end
            run.start, run.end = prev_end, complete_end(out)
            data = out.read_bytes()[run.start : run.end] if run.end > run.start else b""
            run.digest = hashlib.blake2b(data, digest_size=16).hexdigest()
            lines = segment_lines(data)
            run.lines = len(lines)
            if run.killed:
                run.uncommitted = uncommitted_lines(lines, state, workdir)
            run.stderr = err_path.read_text(errors="replace")[-2000:]
            prev_end = run.end
            outcome.runs.append(run)

        while sum(r.killed for r in outcome.runs) < s.kills and attempts < 4 * s.kills:
            attempts += 1
            mode, kind = s.schedule[(attempts - 1) % len(s.schedule)] if s.schedule else (None, None)
            mode = mode or rng.choice(MODES)
            kind, params = _choose_trigger(mode, s, rng, kind)
            args = list(base)
            if "backfill" in mode:
                back = s.days if rng.random() < 0.6 else rng.randrange(7, s.days + 1, 7)
                args += ["--since", (today - timedelta(days=back)).isoformat()]
            if "follow" in mode:
                args += ["--follow", "--interval", "1"]
            run = Run(index=len(outcome.runs) + 1, mode=mode, trigger=kind)
            err_path = workdir / f"run-{run.index:03d}.err"
            t0 = time.monotonic()
            with open(err_path, "wb") as err:
                proc = subprocess.Popen(
                    [sys.executable, "-m", "zoom_activity_logs", *args],
                    cwd=ROOT,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=err,
                )
                try:
                    run.killed = _watch(proc, kind, params, out, emu)
                finally:
                    if proc.poll() is None:
                        proc.kill()
                    proc.wait()
            run.returncode = proc.returncode
            run.seconds = round(time.monotonic() - t0, 3)
            finish(run, err_path)
            log(
                f"run {run.index:3d} {mode:15s} {kind:8s} {'killed' if run.killed else f'exit {run.returncode}':8s} "
                f"{run.seconds:6.2f}s {run.lines:7d} lines, {len(run.uncommitted or ())} uncommitted"
            )

        # the end: no more arrivals, time stands still, one clean collection to completion
        emu.config.arrivals_per_request = 0
        clock.freeze()
        run = Run(index=len(outcome.runs) + 1, mode="final", trigger="none")
        err_path = workdir / f"run-{run.index:03d}.err"
        t0 = time.monotonic()
        with open(err_path, "wb") as err:
            proc = subprocess.run(
                [sys.executable, "-m", "zoom_activity_logs", *base, "--since", since_full.isoformat()],
                cwd=ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                timeout=s.final_timeout,
            )
        run.returncode = proc.returncode
        run.seconds = round(time.monotonic() - t0, 3)
        finish(run, err_path)
        log(f"run {run.index:3d} final: exit {run.returncode}, {run.seconds:.2f}s, {run.lines} lines")

        until = clock().date()
        truth = Counter(fingerprint(r) for kind in LOG_TYPES for r in emu.truth(kind, since_full, until))
        outcome.emulator = {k: v for k, v in emu.stats.items() if k in ("requests", "report_requests")}

    data = out.read_bytes()
    segments, tiling = split_output(data, outcome.runs)
    cache: dict = {}
    report = verify(segments, outcome.runs, truth, cache=cache)
    report["violations"] = tiling + report["violations"]
    for r in outcome.runs:
        if not r.killed and r.returncode != 0:
            report["violations"].append(
                f"run {r.index} ({r.mode}) exited {r.returncode} without being killed: {r.stderr.strip()[-300:]}"
            )
    if sum(r.killed for r in outcome.runs) < s.kills:
        report["violations"].append(f"only {sum(r.killed for r in outcome.runs)} kills in {attempts} runs")
    outcome.report = report
    if s.self_check:
        outcome.self_check = self_check(segments, outcome.runs, truth, rng, cache=cache)
    outcome.seconds = time.monotonic() - started
    return outcome


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="runs killed with SIGKILL (default 50)")
    parser.add_argument("--seed", type=int, help="random seed (default: random, printed)")
    parser.add_argument(
        "--workdir",
        help="keep output, state and each run's stderr here (default: a temporary directory, kept only on a violation)",
    )
    parser.add_argument("--days", type=int, default=Settings.days, help="backfill range in days (default %(default)s)")
    parser.add_argument("--activity-per-day", type=float, default=Settings.activity_per_day)
    parser.add_argument("--operation-per-day", type=float, default=Settings.operation_per_day)
    parser.add_argument("--meetings-per-day", type=float, default=Settings.meetings_per_day)
    parser.add_argument("--arrivals-per-request", type=int, default=Settings.arrivals_per_request)
    parser.add_argument("--max-delay", type=float, default=Settings.max_delay)
    parser.add_argument("--json", action="store_true", help="print the summary as JSON on stdout")
    parser.add_argument("--verbose", action="store_true", help="one line per run on stderr")
    args = parser.parse_args(argv)
    s = Settings(
        kills=args.runs,
        seed=args.seed,
        days=args.days,
        activity_per_day=args.activity_per_day,
        operation_per_day=args.operation_per_day,
        meetings_per_day=args.meetings_per_day,
        arrivals_per_request=args.arrivals_per_request,
        max_delay=args.max_delay,
    )
    workdir = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="zoom-crash-"))
    log = (lambda text: print(text, file=sys.stderr, flush=True)) if args.verbose else (lambda text: None)
    outcome = campaign(s, workdir, log)
    summary = outcome.summary()
    if args.workdir is None and not summary["violations"]:
        shutil.rmtree(workdir, ignore_errors=True)
        summary["workdir"] = None
    if args.json:
        summary["runs_detail"] = [
            {k: v for k, v in r.brief().items() if k not in ("stderr", "digest")} for r in outcome.runs
        ]
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"seed {summary['seed']}: {summary['runs']} runs ({summary['kills']} killed with SIGKILL, "
            f"{summary['clean_exits']} ended by themselves incl. the final one), {summary['seconds']} s"
        )
        print(f"kills by trigger: {summary['kills_by_trigger']}; by mode: {summary['kills_by_mode']}")
        print(
            f"kills that left an uncommitted batch: {summary['kills_with_uncommitted_batch']}; "
            f"partial last lines cut on start: {summary['partial_lines_cut']}"
        )
        print(
            f"records: {summary['records']} unique (truth {summary['truth']}), {summary['lines']} lines; "
            f"duplicate lines: {summary['duplicate_lines']} total, at most {summary['max_duplicates_per_kill']} "
            f"per kill (bound {MAX_BATCH}), {summary['kills_with_duplicates']} kills repeated something"
        )
        print(f"self-check (violations verify() finds in broken copies): {summary['self_check']}")
        print(f"machine: {summary['machine']['nproc']} cores, Python {summary['machine']['python']}")
        if summary["workdir"]:
            print(f"workdir: {summary['workdir']}")
        for v in summary["violations"]:
            print(f"VIOLATION: {v}")
        print("OK" if not summary["violations"] else f"FAILED: {len(summary['violations'])} violations")
    return 1 if summary["violations"] else 0


if __name__ == "__main__":
    sys.exit(main())
