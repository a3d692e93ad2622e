"""The exactly-once core, against a fake Zoom list that shifts while it is paged.

Each scenario checks the invariant after EVERY pass (what was written is a
sub-multiset of the truth: never a duplicate) and, once records stop arriving,
that a few more passes make it equal (never a loss).
"""

import json
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from collector.ledger import Ledger
from collector.records import fingerprint
from collector.window_pass import WindowPass, overlap, settle

PAGE_SIZES = (300, 293, 283, 271, 257)


def _time(base: datetime, seconds: int) -> str:
    return (base + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


class ShiftingZoom:
    """An offset-paged, newest-first list that can grow between page fetches."""

    def __init__(self, records, ascending=False):
        self.ascending = ascending
        self.requests = 0
        self.items = []
        for r in records:
            self.insert(r)

    def insert(self, record, before_equal=True):
        key = record["time"]
        for i, item in enumerate(self.items):
            newer = item["time"] > key if not self.ascending else item["time"] < key
            equal = item["time"] == key
            if not newer and (before_equal or not equal):
                self.items.insert(i, record)
                return
        self.items.append(record)

    def pages(self, size, between=None, start=None, end=None):
        """Offset paging over the records of days [start, end], computed anew per page."""
        lo, hi = (start.isoformat(), end.isoformat()) if start else ("", "9999")
        offset = 0
        while True:
            current = [r for r in self.items if lo <= r["time"][:10] <= hi]
            self.requests += 1
            page = [dict(r) for r in current[offset : offset + size]]
            yield page
            offset += size
            if offset >= len(current):
                return
            if between:
                between()


class Harness:
    def __init__(self, tmp_path, account="default", window=None):
        self.window = window or WINDOW
        self.ledger = Ledger(tmp_path / "state.sqlite3", account, date(2026, 11, 26))
        self.lines = []

    def commit(self, lines):
        self.lines.extend(json.loads(l) for l in lines)
        self.ledger.commit()

    def read(self, zoom, passes=5, between=None, after_each_pass=None):
        results = []

        def on_result(result):
            results.append(result)
            if after_each_pass:
                after_each_pass()

        def make_pass(time_rule):
            return WindowPass(self.ledger, "activity", "default", self.commit, time_rule)

        settle(
            make_pass,
            lambda a, b, size: zoom.pages(size, between, a, b),
            self.window[0],
            self.window[1],
            PAGE_SIZES,
            passes,
            on_result,
        )
        return results

    def written(self):
        strip = ("log_type", "account", "record_id")
        return Counter(fingerprint({k: v for k, v in l.items() if k not in strip}) for l in self.lines)


def truth(zoom):
    return Counter(fingerprint(r) for r in zoom.items)


def make_records(rng, n, base, repeat_every=0, spread=3600 * 40):
    out = []
    for i in range(n):
        r = {
            "email": f"u{rng.randrange(30)}@example.com",
            "time": _time(base, rng.randrange(spread)),
            "type": rng.choice(["Sign in", "Sign out"]),
            "ip_address": "192.0.2.1",
            "client_type": "win",
            "version": "5.17.5",
        }
        out.append(r)
        if repeat_every and i % repeat_every == 0:
            out.append(dict(r))  # a true repeat: same second, same fields, both real
    return out


BASE = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
WINDOW = (date(2026, 11, 24), date(2026, 11, 26))  # the days make_records spreads over


def test_overlap_finds_longest_suffix_prefix():
    assert overlap([b"a", b"b", b"c"], [b"b", b"c", b"d"]) == 2
    assert overlap([b"a", b"b", b"c"], [b"d", b"e"]) == 0
    assert overlap([b"x", b"a", b"a"], [b"a", b"a", b"b"]) == 2
    assert overlap([], [b"a"]) == 0


def test_static_window_with_true_repeats_on_page_boundaries(tmp_path):
    rng = random.Random(1)
    records = make_records(rng, 900, BASE, repeat_every=7)
    zoom = ShiftingZoom(records)
    # Force identical records to straddle the first 300 boundary.
    twin = dict(zoom.items[299])
    zoom.items.insert(300, twin)
    h = Harness(tmp_path)
    results = h.read(zoom)
    assert results[0].clean is False  # the straddling twins are held back at first...
    # ...and re-reading only their day, which comes back unchanged, settles it
    assert len(results) == 2 and results[1].start == results[1].end and results[1].clean
    assert h.written() == truth(zoom)
    assert len({l["record_id"] for l in h.lines}) == len(h.lines)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("mode", ["head", "late", "same_second"])
@pytest.mark.slow
def test_arrivals_while_paging_never_duplicate_and_converge(tmp_path, seed, mode):
    rng = random.Random(seed)
    zoom = ShiftingZoom(make_records(rng, 1500, BASE, repeat_every=11))
    newest = max(r["time"] for r in zoom.items)
    counter = iter(range(10**6))

    def arrive():
        for _ in range(rng.randrange(0, 40)):
            n = next(counter)
            if mode == "head":
                r = {"email": f"new{n}@example.com", "time": _time(BASE, 3600 * 40 + n), "type": "Sign in"}
            elif mode == "late":
                r = {"email": f"late{n}@example.com", "time": _time(BASE, rng.randrange(3600 * 40)), "type": "Sign in"}
            else:
                pick = rng.choice(zoom.items)
                r = dict(pick)  # an identical record of an existing second (true repeat) arriving late
            zoom.insert(r, before_equal=rng.random() < 0.5)

    h = Harness(tmp_path)
    for _poll in range(3):  # polls while records keep arriving

        def no_duplicate():
            assert not (h.written() - truth(zoom)), "a pass wrote a duplicate"

        h.read(zoom, passes=2, between=arrive, after_each_pass=no_duplicate)
    h.read(zoom, passes=5)  # arrivals stopped: the next poll settles
    assert h.written() == truth(zoom)
    assert len({l["record_id"] for l in h.lines}) == len(h.lines)
    assert newest <= max(r["time"] for r in zoom.items)


def test_oldest_first_source_still_converges(tmp_path):
    rng = random.Random(5)
    zoom = ShiftingZoom(make_records(rng, 800, BASE, repeat_every=9), ascending=True)
    h = Harness(tmp_path)
    results = h.read(zoom)
    assert any(r.out_of_order for r in results)
    assert results[-1].clean
    assert h.written() == truth(zoom)


def test_restart_with_same_state_writes_nothing_and_continues_occurrences(tmp_path):
    rng = random.Random(3)
    zoom = ShiftingZoom(make_records(rng, 700, BASE, repeat_every=5))
    h = Harness(tmp_path)
    h.read(zoom)
    first = list(h.lines)
    h.ledger.close()
    h2 = Harness(tmp_path)
    h2.read(zoom)
    assert h2.lines == []
    # one more true repeat appears: only it is written, with the next occurrence's id
    extra = dict(zoom.items[10])
    zoom.insert(extra)
    h2.read(zoom)
    assert len(h2.lines) == 1
    assert h2.lines[0]["record_id"] not in {l["record_id"] for l in first}
    h2.ledger.close()


@pytest.mark.slow
def test_static_window_full_of_twins_rereads_only_the_days_that_held_back(tmp_path):
    # So many identical pairs that page boundaries split several: re-reading just
    # those days, which come back unchanged, proves they are twins, not shifted pages.
    rng = random.Random(9)
    base = datetime(2026, 11, 1, tzinfo=UTC)
    zoom = ShiftingZoom(make_records(rng, 3000, base, repeat_every=2, spread=3600 * 24 * 20))
    h = Harness(tmp_path, window=(date(2026, 11, 1), date(2026, 11, 20)))
    results = h.read(zoom)
    assert results[0].clean is False
    assert len(results) > 1 and all(r.start == r.end for r in results[1:])
    assert h.written() == truth(zoom)
    requests_for_days = sum(r.pages for r in results[1:])
    assert requests_for_days < results[0].pages  # cheaper than reading the window again


def test_static_window_full_of_twins_on_many_days_falls_back_to_whole_rereads(tmp_path):
    rng = random.Random(9)
    zoom = ShiftingZoom(make_records(rng, 2000, BASE, repeat_every=2))
    h = Harness(tmp_path)
    results = h.read(zoom)
    assert results[0].clean is False
    assert h.written() == truth(zoom)
    assert results[-1].clean


def test_ledger_cache_is_freed_after_each_pass(tmp_path):
    rng = random.Random(4)
    zoom = ShiftingZoom(make_records(rng, 900, BASE, repeat_every=3))
    h = Harness(tmp_path)
    h.read(zoom)
    h.read(zoom)
    assert h.ledger._days == {}  # memory stays flat however many windows a run reads
    assert h.written() == truth(zoom)


def test_twins_on_the_boundaries_of_both_the_pass_and_the_day_check(tmp_path):
    # The first pass (300) splits one identical pair, the day check (293) splits
    # another: the day check's own held twin is counted once its sequence matches.
    rng = random.Random(12)
    day = datetime(2026, 11, 20, 1, tzinfo=UTC)
    zoom = ShiftingZoom(make_records(rng, 700, day, spread=3600 * 20))
    zoom.items[300] = dict(zoom.items[299])
    zoom.items[293] = dict(zoom.items[292])
    h = Harness(tmp_path, window=(date(2026, 11, 20), date(2026, 11, 20)))
    results = h.read(zoom)
    assert [r.page_size for r in results] == [300, 293]
    assert results[1].settled_twins == 1
    assert h.written() == truth(zoom)
