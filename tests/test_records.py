import pytest

from collector.records import fingerprint, record_id, utc_day, utc_time


def test_fingerprint_ignores_key_order_but_not_values():
    a = {"email": "a@example.com", "time": "2026-11-01T10:00:00Z", "type": "Sign in"}
    b = {"type": "Sign in", "time": "2026-11-01T10:00:00Z", "email": "a@example.com"}
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint({**a, "type": "Sign out"})
    assert len(fingerprint(a)) == 16


def test_record_id_is_deterministic_per_occurrence_account_and_type():
    fp = fingerprint({"time": "2026-11-01T10:00:00Z"})
    first = record_id("default", "activity", fp, 1)
    assert first == record_id("default", "activity", fp, 1)
    assert first != record_id("default", "activity", fp, 2)
    assert first != record_id("other", "activity", fp, 1)
    assert first != record_id("default", "operation", fp, 1)


def test_utc_day_handles_zulu_offsets_and_missing_time():
    assert utc_time({"time": "2026-11-01T10:00:00Z"}) == "2026-11-01T10:00:00Z"
    assert utc_day({"time": "2026-11-01T23:30:00-02:00"}) == "2026-11-02"
    assert utc_day({"time": "2026-11-01T00:30:00"}) == "2026-11-01"
    assert utc_day({}) == "undated"
    assert utc_day({"time": "yesterday"}) == "undated"
    assert utc_day({"time": 12}) == "undated"


@pytest.mark.parametrize(
    "value,expected",
    [
        ("2024-03-21 07:09:03:216", "2024-03-21T07:09:03.216Z"),  # Zoom's documented shape, UTC
        ("2024-03-21 07:09:03", "2024-03-21T07:09:03.000Z"),  # no milliseconds
        ("2024-03-21 07:09:03.216", "2024-03-21T07:09:03.216Z"),  # a dot
        ("2024-03-21 07:09:03.2", "2024-03-21T07:09:03.200Z"),  # a dot: a fraction of a second
        ("2024-03-21 07:09:03:5", "2024-03-21T07:09:03.005Z"),  # a colon: a count of milliseconds
        ("2024-03-21 23:59:59:999", "2024-03-21T23:59:59.999Z"),  # the last millisecond of its day
        ("2024-03-21T07:09:03.216+01:00", "2024-03-21T06:09:03.216Z"),  # an offset is honoured
        ("2024-03-21 07:09:03:2166", None),
        ("2024-03-21 07:09:03:", None),
        ("21/03/2024 07:09", None),
        ("", None),
    ],
)
def test_activity_time_is_utc_to_the_millisecond(value, expected):
    assert utc_time({"activity_time": value}) == expected
    assert utc_day({"activity_time": value}) == (expected[:10] if expected else "undated")


def test_activity_time_order_is_string_order_and_other_reports_keep_their_shape():
    times = ["2024-03-21 07:09:03:216", "2024-03-21 07:09:03:5", "2024-03-21 07:09:03", "2024-03-21 07:09:04.1"]
    normalised = [utc_time({"activity_time": t}) for t in times]
    assert sorted(normalised) == [normalised[2], normalised[1], normalised[0], normalised[3]]
    assert utc_time({"activity_time": 12}) is None and utc_day({"meeting_number": "982 610 0285"}) == "undated"
    assert utc_time({"time": "2026-11-01T10:00:00Z", "activity_time": "2024-03-21 07:09:03:216"}).endswith(":00Z")
