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
