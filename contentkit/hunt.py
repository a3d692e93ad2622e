"""Hunt: replay collected NDJSON through the pipeline and the detection rules, locally.

Two passes, so months of logs fit in little memory: the first reads every line
once, keeps only (time, file, offset, length) of each usable record and counts the
malformed ones; the second visits the records in time order (rules need it; Zoom
serves pages newest first), parses each again, runs the pipeline and pushes the
event into every rule's streaming evaluation (contentkit.detect.Evaluation).
Standard input is spooled to a temporary file first, for the second pass.

Hostile input never makes it lie or hang: lines repeating a record_id already seen
are dropped (counted), a record whose Zoom fields have the wrong type is malformed
(counted, skipped), a gzip or binary file is refused by name, and a `stop` event (the
command's SIGTERM / Ctrl-C) ends any phase within a fraction of a second.
"""

from __future__ import annotations

import codecs
import fnmatch
import mmap
import os
import re
import select
import shutil
import signal
import sys
import tempfile
from array import array
from collections.abc import Callable, Generator, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

import orjson

from .detect import Signal, compile_correlation, compile_rule
from .errors import ContentError
from .event import ZOOM_FIELDS, from_ndjson_line, get_path, time_field
from .load import load_pipelines, load_rules, rule_body
from .model import SEVERITIES
from .processors import compile_pipeline, parse_date
from .search import Query
from .search import _text as scalar_text

Buffer = bytes | mmap.mmap  # a file's bytes: mapped, or empty
SKIPPED_LOG_TYPES = {"health"}  # the collector's own lines, not Zoom records
CHUNK = 2000  # lines per task sent to a pipeline worker
PARALLEL_FROM = 20_000  # below this, worker start-up costs more than it saves
SAMPLES = 3  # events kept per signal: enough to triage, small enough for months of signals
POLL = 0.1  # seconds between looks at the stop event while waiting on a worker or stdin
# contentkit.event.ZOOM_FIELDS are text when present (null is tolerated as absent).
# Another type ("email": {"x": 1}) makes the record malformed, not a crash.


class Stopped(Exception):
    """The run was asked to stop (the command's SIGTERM / Ctrl-C)."""

    def __init__(self):
        super().__init__("hunt stopped on request (SIGTERM / Ctrl-C); no signals written")


def _check_stop(stop) -> None:
    if stop is not None and stop.is_set():
        raise Stopped()


def record_problem(record) -> str | None:
    """Why a parsed line is not a usable record, or None."""
    if not isinstance(record, dict):
        return "not a JSON object"
    for key in ZOOM_FIELDS:
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            return f"{key} is not text"
    return None


@dataclass
class HuntStats:
    lines: int = 0
    records: int = 0
    malformed: int = 0
    skipped: int = 0  # health lines, and records outside --since/--until
    duplicates: int = 0  # lines repeating a record_id already read (overlapping files, a re-run)
    first_malformed: str | None = None
    events_processed: int = 0


@dataclass
class Finding:
    rule_id: str
    signal: Signal
    severity: str = field(init=False)

    def __post_init__(self):
        self.severity = self.signal.status

    def as_json(self, samples: int = 3) -> dict:
        s = self.signal
        return {
            "rule": self.rule_id,
            "name": s.rule_name,
            "severity": s.status,
            "case": s.case,
            "group": s.group,
            "first_seen": iso_ms(s.first_seen),
            "last_seen": iso_ms(s.last_seen),
            "events": s.count,
            "samples": s.samples[:samples],
        }


_ACTIVITY_TIME = re.compile(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d):(\d{3})")


def record_ms(record: dict) -> int | None:
    """A record's time in ms: its `time` (ISO 8601, as Zoom and the collector write it; a
    number there is another shape of record, whose epoch unit would be a guess), or the
    meeting report's `activity_time` (`2024-03-21 07:09:03:216`, UTC)."""
    field = time_field(record)
    value = record.get(field)
    if not isinstance(value, str):
        return None
    if field != "time":
        match = _ACTIVITY_TIME.fullmatch(value.strip())
        if match is None:
            return None
        value = f"{match[1]}T{match[2]}.{match[3]}Z"
    return parse_date(value)


# What a sample shows besides time, record_id and message: who, from where, and the kind
# of event (OCSF's readable type, with the entity for Entity Management: "Setting", ...).
SAMPLE_KEYS = ("usr.email", "network.client.ip", "ocsf.type_name", "ocsf.entity.type")


def _sample(event: dict) -> dict:
    when = get_path(event, time_field(event))
    out = {"time": when, "record_id": event.get("record_id"), "message": event.get("message")}
    for key in SAMPLE_KEYS:
        value = get_path(event, key)
        if value is not None:
            out[key] = value
    return out


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def select_rules(rules, patterns: list[str] | None):
    """Rules whose id matches one of the patterns (ids or shell globs); all without patterns."""
    if not patterns:
        return list(rules)
    chosen, unmatched = [], []
    for pattern in patterns:
        hits = [r for r in rules if fnmatch.fnmatchcase(r.id, pattern)]
        if not hits:
            unmatched.append(pattern)
        chosen += [r for r in hits if r not in chosen]
    if unmatched:
        raise ContentError(f"--rules: no rule matches {', '.join(unmatched)} (see siem_rules/)")
    return chosen


# The event's report and its OCSF type (the rules' `@ocsf.type_uid:300201`): both take a
# few values, so the routes cached per (log_type, type_uid) stay few. Not `evt.name`: it is
# Zoom's own action or type text now, verbatim, which no rule gates on and input can vary.
GATED = ("log_type", "ocsf.type_uid")


def query_gates(query: Query) -> dict[str, frozenset] | None:
    """The exact values a query requires of log_type / ocsf.type_uid (necessary conditions,
    derived from its parse, so right under NOT, OR and groups), or None."""
    needs = query.requires()
    gates = {attr: needs[attr] for attr in GATED if attr in needs}
    return gates or None


def _process(record: dict, pipelines) -> dict:
    event = from_ndjson_line(record)
    for pipeline in pipelines:
        pipeline.process(event)
    return event


def _query_table(rules) -> list[tuple]:
    """(rule index, query name, matcher, gates) of every query of the compiled rules."""
    return [(n, q.name, q.match, query_gates(q.search)) for n, rule in enumerate(rules) for q in rule.queries]


def _matches(queries, routes: dict, event: dict, gate: bool) -> list:
    """[(rule index, query name)] of the queries the event matches. Matching is a pure
    function of the finished event, so it can run anywhere (the workers) before the
    time-ordered, stateful part of the rules."""
    return [(n, name) for n, name, match, _ in _gated(queries, routes, event, gate) if match(event)]


def _worker_main(conn, chunk_lines, pipelines, queries, gate) -> None:
    """A pipeline worker (a forked child: it has the parent's mapped input, index and
    compiled content). Each request names a range of `chunk_lines`; the answer is one
    line per event: [event after the pipeline, [[rule index, query name], ...]]."""
    # the parent's handlers only set a stop event: a worker keeping them would survive
    # the SIGTERM that ends it (the old Pool's hang); Ctrl-C is the parent's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    code = 0
    try:
        routes: dict = {}
        while True:
            request = conn.recv_bytes()
            if not request:
                break
            first, last = map(int, request.split())
            out = []
            for raw in chunk_lines(first, last):
                event = _process(orjson.loads(raw), pipelines)
                out.append(orjson.dumps([event, _matches(queries, routes, event, gate)]))
            conn.send_bytes(b"\n".join(out))
    except (EOFError, OSError):
        pass  # the parent is gone or stopped us: nothing to report to
    except BaseException:  # a bug: the parent reports it (its wait sees the pipe close)
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)  # no exit-time flush of buffers inherited from the parent


class _Workers:
    """Pipeline workers, each with its own pipe: requests are a few bytes (a range of
    the time-ordered index, which the forked worker reads from the inherited mapping)
    and at most IN_FLIGHT per worker, so a send never blocks on a worker that is itself
    blocked sending; there is no shared queue, lock or helper thread to deadlock on
    (multiprocessing.Pool had all three). Every wait polls `stop`; closing always ends
    the workers (SIGTERM, then SIGKILL), even while they are busy."""

    IN_FLIGHT = 2

    def __init__(self, ctx, count: int, target_args: tuple):
        self.procs, self.conns = [], []
        try:
            for _ in range(count):
                parent, child = ctx.Pipe(duplex=True)
                proc = ctx.Process(target=_worker_main, args=(child, *target_args), daemon=True)
                proc.start()
                child.close()
                self.procs.append(proc)
                self.conns.append(parent)
        except BaseException:
            self.close()
            raise

    def send(self, n: int, first: int, last: int) -> None:
        self.conns[n].send_bytes(b"%d %d" % (first, last))

    def receive(self, n: int, stop) -> bytes:
        conn, proc = self.conns[n], self.procs[n]
        while not conn.poll(POLL):
            _check_stop(stop)
            if not proc.is_alive() and not conn.poll(0):
                raise RuntimeError(f"hunt: pipeline worker {proc.pid} died (exit code {proc.exitcode})")
        try:
            return conn.recv_bytes()
        except EOFError:
            raise RuntimeError(f"hunt: pipeline worker {proc.pid} ended without its answer") from None

    def close(self, graceful: bool = False) -> None:
        for conn in self.conns:
            conn.close()  # an idle worker reads EOF and exits
        for proc in self.procs:
            if graceful:
                proc.join(0.2)
            if proc.exitcode is None:
                proc.terminate()
        for proc in self.procs:
            proc.join(1.0)
            if proc.exitcode is None:
                proc.kill()
                proc.join(1.0)


def _gate_key(event: dict) -> tuple | None:
    """The event's gated values as the search compares them (a number or boolean as its
    JSON text: `@ocsf.type_uid:300201` matches 300201), or None when one is an array or an
    object there, where plain equality is not how the search matches."""
    key = []
    for attr in GATED:
        value = get_path(event, attr)
        if value is not None and not isinstance(value, str):
            if isinstance(value, (list, dict)):
                return None
            value = scalar_text(value)
        key.append(value)
    return tuple(key)


def _gated(queries, routes: dict, event: dict, gate: bool = True):
    """The queries whose log_type / ocsf.type_uid gates the event passes (all when it has
    an array or an object there)."""
    key = _gate_key(event) if gate else None
    if key is None:
        return queries
    route = routes.get(key)
    if route is None:
        values = dict(zip(GATED, key))
        route = routes[key] = [q for q in queries if q[3] is None or all(values.get(a) in v for a, v in q[3].items())]
    return route


class Hunt:
    def __init__(
        self,
        rule_patterns: list[str] | None = None,
        geoip=None,
        since_ms: int | None = None,
        until_ms: int | None = None,
        root: Path | None = None,
        gate: bool = True,
        workers: int | None = None,
        geoip_path: str | None = None,
        stop=None,
        suppressions=None,
    ):
        problems: list = []
        kwargs = {"problems": problems} if root is None else {"root": root, "problems": problems}
        packs = load_pipelines(**kwargs)
        rules = load_rules(**kwargs)
        if problems:
            raise ContentError(f"content has {len(problems)} problems; run scripts/validate.py ({problems[0]})")
        self.pipelines = [compile_pipeline(pack.definition, geoip) for pack in packs]
        self.rules = select_rules(rules, rule_patterns)
        # base rules first (with those a chosen correlation rule needs), then correlation
        # rules over their signals: only the chosen rules' signals are reported
        by_id = {r.id: r for r in rules}
        needed = [r.id for r in self.rules if not r.is_correlation]
        needed += [rid for r in self.rules for rid in r.referenced if rid in by_id and rid not in needed]
        self.compiled = [(rid, compile_rule(rule_body(by_id[rid]))) for rid in needed]
        self.correlations = [(r.id, compile_correlation(rule_body(r))) for r in self.rules if r.is_correlation]
        self._reported = {r.id for r in self.rules}
        self.since_ms = since_ms
        self.until_ms = until_ms
        self.stats = HuntStats()
        self.gate = gate
        # pipeline workers: the other cores (the rules run here, in time order)
        self.workers = max(1, (os.cpu_count() or 1)) if workers is None else workers
        self._geoip_path = geoip_path
        self._root = root
        self.stop = stop  # a threading.Event: set, the run raises Stopped at the next look
        # contentkit.tuning.Suppressions: the deployment's suppression rules, applied as Datadog does
        self.suppressions = suppressions

    # -- pass 1 -----------------------------------------------------------------------
    def _index(self, buffers: list[tuple[str, Buffer]]):
        times, where, offsets, lengths = array("q"), array("i"), array("q"), array("i")
        stats, stop = self.stats, self.stop
        seen: set[str] = set()  # record_ids read: the collector's exactly-once id
        for n, (name, buf) in enumerate(buffers):
            pos, size, lineno = 0, len(buf), 0
            while pos < size:
                end = buf.find(b"\n", pos)
                end = size if end < 0 else end
                lineno += 1
                if not lineno & 0xFFF:
                    _check_stop(stop)
                raw = buf[pos:end]
                start, pos = pos, end + 1
                if not raw.strip():
                    continue
                stats.lines += 1
                try:
                    record = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    record = None
                problem = record_problem(record)
                ms = record_ms(record) if problem is None else None
                if problem is not None or (ms is None and record.get("log_type") not in SKIPPED_LOG_TYPES):
                    stats.malformed += 1
                    if stats.first_malformed is None:
                        stats.first_malformed = f"{name}:{lineno}"
                    continue
                if record.get("log_type") in SKIPPED_LOG_TYPES:
                    stats.skipped += 1
                    continue
                assert ms is not None  # a record without a time was counted as malformed above
                rid = record.get("record_id")
                if rid is not None:
                    if rid in seen:
                        stats.duplicates += 1
                        continue
                    seen.add(rid)
                if (self.since_ms is not None and ms < self.since_ms) or (
                    self.until_ms is not None and ms > self.until_ms
                ):
                    stats.skipped += 1
                    continue
                stats.records += 1
                times.append(ms)
                where.append(n)
                offsets.append(start)
                lengths.append(end - start)
        return times, where, offsets, lengths

    # -- pass 2 -----------------------------------------------------------------------
    def events(self, buffers: list[tuple[str, Buffer]]) -> Generator[tuple[dict, list], None, None]:
        """(event after the pipeline, [(rule index, query name)] it matches) in time order
        (stable for equal times: input order)."""
        times, where, offsets, lengths = self._index(buffers)
        order = sorted(range(len(times)), key=times.__getitem__)

        def raw(i):
            return buffers[where[i]][1][offsets[i] : offsets[i] + lengths[i]]

        if self.workers > 1 and len(order) >= PARALLEL_FROM and hasattr(os, "fork"):
            yield from self._parallel_events(order, raw)
            return
        pipelines, queries = self.pipelines, _query_table([r for _, r in self.compiled])
        routes: dict = {}
        stop = self.stop
        for k, i in enumerate(order):
            if not k & 0x3FF:
                _check_stop(stop)
            event = _process(orjson.loads(raw(i)), pipelines)
            yield event, _matches(queries, routes, event, self.gate)

    def _parallel_events(self, order, raw):
        """The pipeline and the rules' query matching in forked worker processes, chunk
        by chunk, results in order: matching is a pure function of the finished event, so
        only the stateful part of the rules (windows, groups, signals) stays here, in
        time order. Chunk k goes to worker k % workers; each keeps IN_FLIGHT chunks."""
        import multiprocessing

        def chunk_lines(first, last):
            return (raw(i) for i in order[first:last])

        ctx = multiprocessing.get_context("fork")
        starts = range(0, len(order), CHUNK)
        count = min(self.workers, len(starts))
        queries = _query_table([r for _, r in self.compiled])
        workers = _Workers(ctx, count, (chunk_lines, self.pipelines, queries, self.gate))
        done = False
        try:
            sent = 0
            for k in range(len(starts)):
                _check_stop(self.stop)
                while sent < len(starts) and sent < k + count * _Workers.IN_FLIGHT:
                    workers.send(sent % count, starts[sent], starts[sent] + CHUNK)
                    sent += 1
                for item in workers.receive(k % count, self.stop).split(b"\n"):
                    yield orjson.loads(item)
            done = True
        finally:
            workers.close(graceful=done)

    def run(self, buffers: list[tuple[str, Buffer]], on_event: Callable[[dict], None] | None = None) -> list[Finding]:
        runs = [(rule_id, rule.start(max_samples=SAMPLES, sample=_sample)) for rule_id, rule in self.compiled]
        # Only the rules with a matching query see an event: one no query matches changes
        # no rule state, so skipping is exact (tested against pushing every event).
        events = self.events(buffers)
        try:
            signals = self._evaluate(runs, events, on_event)
        finally:
            events.close()  # now, not when garbage collected: a failed write ends the workers at once
        findings = [
            Finding(rule_id, s) for rule_id, found in signals.items() if rule_id in self._reported for s in found
        ]
        for rule_id, correlation in self.correlations:  # over signals only: cheap next to the logs
            findings += [Finding(rule_id, s) for s in correlation.correlate(signals, max_samples=SAMPLES)]
        findings.sort(key=lambda f: (-SEVERITIES.index(f.severity), f.signal.first_seen, f.rule_id))
        return findings

    def _evaluate(self, runs, events, on_event) -> dict[str, list[Signal]]:
        created = False
        for event, matches in events:
            if not created:
                # the rules exist from the first record on: new_value learns from there
                created = True
                for _, run in runs:
                    run.created(event.get("timestamp", 0))
            self.stats.events_processed += 1
            if on_event:
                on_event(event)
            by_rule: dict[int, set] = {}
            for n, name in matches:
                by_rule.setdefault(n, set()).add(name)
            sup = self.suppressions
            for n, names in by_rule.items():
                rule_id, run = runs[n]
                if sup is None:
                    run.push(event, names)
                    continue
                # data_exclusion_query: the rule never sees the log; suppression_query: a signal this
                # log opens is not generated (CHOICE: it still holds the group's signal open, so the
                # logs it would have absorbed stay quiet too)
                if sup.excluded(rule_id, event):
                    continue
                before = len(run.signals)
                run.push(event, names)
                if len(run.signals) > before and sup.suppressed(rule_id, event, event.get("timestamp", 0)):
                    del run.signals[before:]
        return {rule_id: run.signals for rule_id, run in runs}


SNIFF = 1 << 16  # bytes of each input checked for text


def not_text(head: bytes) -> str | None:
    """What an input is when it is not NDJSON text (from its first bytes), or None."""
    if head[:2] == b"\x1f\x8b":
        return "gzip-compressed"
    if b"\x00" in head:
        return "binary (it has NUL bytes)"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return "binary (not UTF-8 text)"
    return None


def _spool(source: BinaryIO, into, stop) -> None:
    """Copy stdin to a file, looking at `stop` while no data comes."""
    try:
        fd = source.fileno()
    except (AttributeError, OSError, ValueError):  # an in-memory stream: it cannot block
        shutil.copyfileobj(source, into, 1 << 20)
        return
    while True:
        if stop is not None:
            while not select.select([fd], [], [], POLL)[0]:
                _check_stop(stop)
        data = os.read(fd, 1 << 20)
        if not data:
            return
        into.write(data)


class Inputs:
    """Files (or '-' for stdin) mapped read-only; stdin spooled to a temporary file.
    A gzip or binary input is refused by name (ContentError)."""

    def __init__(self, paths: Iterable[str], stdin: BinaryIO | None = None, stop=None):
        self.buffers: list[tuple[str, Buffer]] = []
        self._maps: list[mmap.mmap] = []
        self._files: list = []
        self._tmp = None
        for path in paths:
            if path == "-":
                self._tmp = tempfile.TemporaryFile(prefix="zoom-hunt-")
                try:
                    _spool(stdin if stdin is not None else sys.stdin.buffer, self._tmp, stop)
                except BaseException:
                    self.close()
                    raise
                self._add("<stdin>", self._tmp)
                continue
            try:
                f = open(path, "rb")
            except OSError as exc:
                self.close()
                raise ContentError(f"{path}: cannot read: {exc.strerror}") from None
            self._files.append(f)
            self._add(path, f)
        for name, buf in self.buffers:
            what = not_text(buf[:SNIFF])
            if what:
                self.close()
                hint = (
                    f"; decompress it first: zcat {name} | zoom-activity-logs hunt -" if what.startswith("gzip") else ""
                )
                raise ContentError(f"{name}: {what}, not NDJSON{hint}")

    def _add(self, name: str, f) -> None:
        f.flush()
        if os.fstat(f.fileno()).st_size == 0:
            self.buffers.append((name, b""))
            return
        m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self._maps.append(m)
        self.buffers.append((name, m))

    def close(self) -> None:
        self.buffers = []
        for m in self._maps:
            m.close()
        for f in self._files:
            f.close()
        if self._tmp:
            self._tmp.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def parse_bound(text: str, field: str, end_of_day: bool = False) -> int:
    """--since/--until: a UTC day (YYYY-MM-DD) or an ISO 8601 time -> epoch ms."""
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
            ms = int(day.timestamp() * 1000)
            return ms + 86_399_999 if end_of_day else ms
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return int(value.timestamp() * 1000)
    except ValueError:
        raise ContentError(f"{field}: {text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None


def render_table(findings: list[Finding], width: int | None = None) -> str:
    """The findings as a table no wider than `width`: the widest columns are cut, with
    an ellipsis, until it fits. Default: the terminal's width ($COLUMNS, else stdout's
    terminal); when stdout is a file or a pipe and $COLUMNS is unset, no limit."""
    if width is None:
        tty = sys.stdout is not None and sys.stdout.isatty()
        width = shutil.get_terminal_size().columns if tty or os.environ.get("COLUMNS") else 1 << 16
    if not findings:
        return "no signals"
    rows: list[tuple[str, ...]] = [("SEVERITY", "RULE", "USER / GROUP", "FIRST SEEN", "LAST SEEN", "EVENTS")]
    for f in findings:
        j = f.as_json()
        group = ", ".join(str(v) for v in j["group"].values()) or "-"
        rows.append(
            (
                j["severity"],
                j["rule"],
                group,
                j["first_seen"].replace("T", " ")[:-1],
                j["last_seen"].replace("T", " ")[:-1],
                str(j["events"]),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    widths[2] = min(widths[2], 40)
    widths[1] = min(widths[1], 48)
    if sum(widths) + 2 * (len(widths) - 1) > width:
        # narrow: LAST SEEN goes first (FIRST SEEN and EVENTS bound it), then cut
        rows, widths = [r[:4] + r[5:] for r in rows], widths[:4] + widths[5:]
    gaps = 2 * (len(widths) - 1)
    while sum(widths) + gaps > width and max(widths) > 1:
        widest = max(range(len(widths)), key=lambda i: (widths[i], i))  # ties: the rightmost
        widths[widest] -= 1
    lines = []
    for r in rows:
        cells = [c if len(c) <= w else c[: w - 1] + "…" for c, w in zip(r, widths)]
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
    return "\n".join(lines)
