from datetime import date

import pytest

from collector.errors import UsageError
from collector.windows import add_months, check_backfill_range, month_windows, oldest_readable, parse_day


def test_parse_day_accepts_iso_and_names_the_field_on_error():
    assert parse_day("2026-02-28", "--since") == date(2026, 2, 28)
    with pytest.raises(UsageError, match=r"--since: '2026-02-30' is not a valid calendar date"):
        parse_day("2026-02-30", "--since")
    with pytest.raises(UsageError, match=r"--until: '26-1-1' is not a date \(expected YYYY-MM-DD\)"):
        parse_day("26-1-1", "--until")


def test_add_months_clamps_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 8, 31), -6) == date(2026, 2, 28)
    assert add_months(date(2026, 1, 15), -1) == date(2025, 12, 15)


def test_month_windows_cover_range_without_gap_or_overlap_and_stay_under_a_month():
    since, until = date(2026, 1, 31), date(2026, 7, 3)
    windows = month_windows(since, until)
    assert windows[0][0] == since and windows[-1][1] == until
    for (_a, b), (c, _d) in zip(windows, windows[1:]):
        assert (c - b).days == 1
    for a, b in windows:
        assert a <= b < add_months(a, 1)
    assert month_windows(date(2026, 3, 5), date(2026, 3, 5)) == [(date(2026, 3, 5), date(2026, 3, 5))]


def test_backfill_range_refuses_future_and_older_than_six_months():
    today = date(2026, 11, 26)
    assert oldest_readable(today) == date(2026, 5, 26)
    check_backfill_range(date(2026, 5, 26), today, today)
    with pytest.raises(UsageError, match="older than Zoom keeps reports.*2026-05-26"):
        check_backfill_range(date(2026, 5, 25), today, today)
    with pytest.raises(UsageError, match="--since: 2026-11-27 is in the future"):
        check_backfill_range(date(2026, 11, 27), date(2026, 11, 27), today)
    with pytest.raises(UsageError, match="--until: 2026-11-27 is in the future"):
        check_backfill_range(date(2026, 11, 1), date(2026, 11, 27), today)
    with pytest.raises(UsageError, match="before --since"):
        check_backfill_range(date(2026, 11, 10), date(2026, 11, 1), today)
