"""Hunt: replay collected NDJSON through the pipeline and the detection rules, locally.

Two passes, so months of logs fit in little memory: the first reads every line
once, keeps only (time, file, offset, length) of each usable record and counts the
malformed ones; the second visits the records in time order (rules need it; Zoom
serves pages newest first), parses each again, runs the pipeline and pushes the
event into every rule's streaming evaluation (contentkit.detect.Evaluation).
Standard input is spooled to a temporary file first, for the second pass.
"""

from __future__ import annotations

import fnmatch
import mmap
import os
import shutil
import sys
import tempfile
from array import array
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

import orjson

from .detect import Signal, compile_rule
from .errors import ContentError
from .event import from_ndjson_line, get_path
from .load import load_pipelines, load_rules, rule_body
from .model import SEVERITIES
from .processors import compile_pipeline, parse_date
from .search import Query

Buffer = bytes | mmap.mmap  # a file's bytes: mapped, or empty
SKIPPED_LOG_TYPES = {"health"}  # the collector's own lines, not Zoom records
CHUNK = 2000  # lines per task sent to a pipeline worker
PARALLEL_FROM = 20_000  # below this, worker start-up costs more than it saves
SAMPLES = 3  # events kept per signal: enough to triage, small enough for months of signals


@dataclass
class HuntStats:
    lines: int = 0
    records: int = 0
    malformed: int = 0
    skipped: int = 0  # health lines, and records outside --since/--until
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


def _sample(event: dict) -> dict:
    out = {"time": get_path(event, "time"), "record_id": event.get("record_id"), "message": event.get("message")}
    for key in ("usr.email", "network.client.ip", "evt.name"):
        value = get_path(event, key)
        if value is not None:
            out[key] = value
    return out


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


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


GATED = ("log_type", "evt.name")


def query_gates(query: Query) -> dict[str, frozenset] | None:
    """The exact values a query requires of log_type / evt.name (necessary conditions,
    derived from its parse, so right under NOT, OR and groups), or None."""
    needs = query.requires()
    gates = {attr: needs[attr] for attr in GATED if attr in needs}
    return gates or None


def _process(record: dict, pipelines) -> dict:
    event = from_ndjson_line(record)
    for pipeline in pipelines:
        pipeline.process(event)
    return event


_WORKER: dict = {}


def _query_table(rules) -> list[tuple]:
    """(rule index, query name, matcher, gates) of every query of the compiled rules."""
    return [(n, q.name, q.match, query_gates(q.search)) for n, rule in enumerate(rules) for q in rule.queries]


def _matches(queries, routes: dict, event: dict, gate: bool) -> list:
    """[(rule index, query name)] of the queries the event matches. Matching is a pure
    function of the finished event, so it can run anywhere (the workers) before the
    time-ordered, stateful part of the rules."""
    return [(n, name) for n, name, match, _ in _gated(queries, routes, event, gate) if match(event)]


def _worker_init(geoip_path, root, bodies, gate) -> None:
    from .geoip import GeoIP

    geoip = GeoIP.from_mmdb(geoip_path) if geoip_path else None
    packs = load_pipelines(root) if root else load_pipelines()
    _WORKER.update(pipelines=[compile_pipeline(pack.definition, geoip) for pack in packs],
                   queries=_query_table([compile_rule(body) for body in bodies]), routes={}, gate=gate)


def _worker_process(chunk: bytes) -> bytes:
    """Each line: [event after the pipeline, [[rule index, query name], ...] that match it]."""
    w = _WORKER
    out = []
    for line in chunk.split(b"\n"):
        event = _process(orjson.loads(line), w["pipelines"])
        out.append(orjson.dumps([event, _matches(w["queries"], w["routes"], event, w["gate"])]))
    return b"\n".join(out)


def _gated(queries, routes: dict, event: dict, gate: bool = True):
    """The queries whose log_type / evt.name gates the event passes (all when it has an
    array or a number there, where plain equality is not how the search matches)."""
    key = tuple(get_path(event, attr) for attr in GATED)
    if not gate or any(v is not None and not isinstance(v, str) for v in key):
        return queries
    route = routes.get(key)
    if route is None:
        values = dict(zip(GATED, key))
        route = routes[key] = [q for q in queries if q[3] is None or all(values.get(a) in v for a, v in q[3].items())]
    return route


class Hunt:
    def __init__(self, rule_patterns: list[str] | None = None, geoip=None,
                 since_ms: int | None = None, until_ms: int | None = None, root: Path | None = None,
                 gate: bool = True, workers: int | None = None, geoip_path: str | None = None):
        problems: list = []
        kwargs = {"problems": problems} if root is None else {"root": root, "problems": problems}
        packs = load_pipelines(**kwargs)
        rules = load_rules(**kwargs)
        if problems:
            raise ContentError(f"content has {len(problems)} problems; run scripts/validate.py ({problems[0]})")
        self.pipelines = [compile_pipeline(pack.definition, geoip) for pack in packs]
        self.rules = select_rules(rules, rule_patterns)
        self.compiled = [(r.id, compile_rule(rule_body(r))) for r in self.rules]
        self.since_ms = since_ms
        self.until_ms = until_ms
        self.stats = HuntStats()
        self.gate = gate
        # pipeline workers: the other cores (the rules run here, in time order)
        self.workers = max(1, (os.cpu_count() or 1)) if workers is None else workers
        self._geoip_path = geoip_path
        self._root = root

    # -- pass 1 -----------------------------------------------------------------------
    def _index(self, buffers: list[tuple[str, Buffer]]):
        times, where, offsets, lengths = array("q"), array("i"), array("q"), array("i")
        stats = self.stats
        for n, (name, buf) in enumerate(buffers):
            pos, size, lineno = 0, len(buf), 0
            while pos < size:
                end = buf.find(b"\n", pos)
                end = size if end < 0 else end
                lineno += 1
                raw = buf[pos:end]
                start, pos = pos, end + 1
                if not raw.strip():
                    continue
                stats.lines += 1
                try:
                    record = orjson.loads(raw)
                    ms = parse_date(record.get("time")) if isinstance(record, dict) else None
                except orjson.JSONDecodeError:
                    record, ms = None, None
                if not isinstance(record, dict) or (ms is None and record.get("log_type") not in SKIPPED_LOG_TYPES):
                    stats.malformed += 1
                    if stats.first_malformed is None:
                        stats.first_malformed = f"{name}:{lineno}"
                    continue
                if record.get("log_type") in SKIPPED_LOG_TYPES:
                    stats.skipped += 1
                    continue
                assert ms is not None  # a record without a time was counted as malformed above
                if (self.since_ms is not None and ms < self.since_ms) or \
                        (self.until_ms is not None and ms > self.until_ms):
                    stats.skipped += 1
                    continue
                stats.records += 1
                times.append(ms)
                where.append(n)
                offsets.append(start)
                lengths.append(end - start)
        return times, where, offsets, lengths

    # -- pass 2 -----------------------------------------------------------------------
    def events(self, buffers: list[tuple[str, Buffer]]) -> Iterable[tuple[dict, list]]:
        """(event after the pipeline, [(rule index, query name)] it matches) in time order
        (stable for equal times: input order)."""
        times, where, offsets, lengths = self._index(buffers)
        order = sorted(range(len(times)), key=times.__getitem__)

        def raw(i):
            return buffers[where[i]][1][offsets[i]:offsets[i] + lengths[i]]

        if self.workers > 1 and len(order) >= PARALLEL_FROM:
            yield from self._parallel_events(order, raw)
            return
        pipelines, queries = self.pipelines, _query_table([r for _, r in self.compiled])
        routes: dict = {}
        for i in order:
            event = _process(orjson.loads(raw(i)), pipelines)
            yield event, _matches(queries, routes, event, self.gate)

    def _parallel_events(self, order, raw):
        """The pipeline and the rules' query matching in worker processes, chunk by chunk,
        results in order: matching is a pure function of the finished event, so only the
        stateful part of the rules (windows, groups, signals) stays here, in time order."""
        import multiprocessing

        ctx = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
        from collections import deque

        chunks = (b"\n".join(raw(i) for i in order[k:k + CHUNK]) for k in range(0, len(order), CHUNK))
        with ctx.Pool(self.workers, initializer=_worker_init,
                      initargs=(self._geoip_path, self._root, [r.body for _, r in self.compiled],
                                self.gate)) as pool:
            # a few chunks in flight, not all: Pool.imap would read the whole input ahead
            pending = deque()
            for chunk in chunks:
                pending.append(pool.apply_async(_worker_process, (chunk,)))
                if len(pending) >= 3 * self.workers:
                    yield from map(orjson.loads, pending.popleft().get().split(b"\n"))
            while pending:
                yield from map(orjson.loads, pending.popleft().get().split(b"\n"))

    def run(self, buffers: list[tuple[str, Buffer]], on_event: Callable[[dict], None] | None = None) \
            -> list[Finding]:
        runs = [(rule_id, rule.start(max_samples=SAMPLES, sample=_sample)) for rule_id, rule in self.compiled]
        # Only the rules with a matching query see an event: one no query matches changes
        # no rule state, so skipping is exact (tested against pushing every event).
        for event, matches in self.events(buffers):
            self.stats.events_processed += 1
            if on_event:
                on_event(event)
            by_rule: dict[int, set] = {}
            for n, name in matches:
                by_rule.setdefault(n, set()).add(name)
            for n, names in by_rule.items():
                runs[n][1].push(event, names)
        findings = [Finding(rule_id, s) for rule_id, run in runs for s in run.signals]
        findings.sort(key=lambda f: (-SEVERITIES.index(f.severity), f.signal.first_seen, f.rule_id))
        return findings


class Inputs:
    """Files (or '-' for stdin) mapped read-only; stdin spooled to a temporary file."""

    def __init__(self, paths: Iterable[str], stdin: BinaryIO | None = None):
        self.buffers: list[tuple[str, Buffer]] = []
        self._maps: list[mmap.mmap] = []
        self._files: list = []
        self._tmp = None
        for path in paths:
            if path == "-":
                self._tmp = tempfile.TemporaryFile(prefix="zoom-hunt-")
                shutil.copyfileobj(stdin if stdin is not None else sys.stdin.buffer, self._tmp, 1 << 20)
                self._add("<stdin>", self._tmp)
                continue
            try:
                f = open(path, "rb")
            except OSError as exc:
                self.close()
                raise ContentError(f"{path}: cannot read: {exc.strerror}") from None
            self._files.append(f)
            self._add(path, f)

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
            day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
            ms = int(day.timestamp() * 1000)
            return ms + 86_399_999 if end_of_day else ms
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return int(value.timestamp() * 1000)
    except ValueError:
        raise ContentError(f"{field}: {text!r} is not a date (YYYY-MM-DD) or an ISO 8601 time") from None


def render_table(findings: list[Finding], width: int = 120) -> str:
    if not findings:
        return "no signals"
    rows = [("SEVERITY", "RULE", "USER / GROUP", "FIRST SEEN", "LAST SEEN", "EVENTS")]
    for f in findings:
        j = f.as_json()
        group = ", ".join(str(v) for v in j["group"].values()) or "-"
        rows.append((j["severity"], j["rule"], group, j["first_seen"].replace("T", " ")[:-1],
                     j["last_seen"].replace("T", " ")[:-1], str(j["events"])))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    widths[2] = min(widths[2], 40)
    widths[1] = min(widths[1], 48)
    lines = []
    for r in rows:
        cells = [c if len(c) <= w else c[: w - 1] + "…" for c, w in zip(r, widths)]
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip())
    return "\n".join(lines)
