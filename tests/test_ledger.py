import stat
from datetime import date

import pytest

from collector.errors import StateError
from collector.ledger import Ledger

TODAY = date(2026, 11, 26)


def test_state_file_is_private_and_counts_survive_reopen(tmp_path):
    path = tmp_path / "nested" / "state.sqlite3"
    ledger = Ledger(path, "default", TODAY)
    ledger.set_count("activity", "2026-11-25", b"x" * 16, 2)
    ledger.commit()
    ledger.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = Ledger(path, "default", TODAY)
    assert again.day_counts("activity", "2026-11-25") == {b"x" * 16: 2}
    assert again.day_counts("operation", "2026-11-25") == {}
    again.close()


def test_uncommitted_counts_are_not_persisted(tmp_path):
    path = tmp_path / "state.sqlite3"
    ledger = Ledger(path, "default", TODAY)
    ledger.set_count("activity", "2026-11-25", b"a" * 16, 1)
    ledger.commit()
    ledger.set_count("activity", "2026-11-25", b"b" * 16, 1)
    ledger.discard_pending()
    assert ledger.day_counts("activity", "2026-11-25") == {b"a" * 16: 1}
    ledger.set_count("activity", "2026-11-25", b"c" * 16, 1)
    ledger.close()  # a crash before commit
    again = Ledger(path, "default", TODAY)
    assert again.day_counts("activity", "2026-11-25") == {b"a" * 16: 1}
    again.close()


def test_second_collector_on_same_state_is_refused(tmp_path):
    path = tmp_path / "state.sqlite3"
    first = Ledger(path, "default", TODAY)
    with pytest.raises(StateError, match="in use by another collector"):
        Ledger(path, "default", TODAY)
    first.close()
    Ledger(path, "default", TODAY).close()


def test_state_of_another_account_or_garbage_is_refused(tmp_path):
    path = tmp_path / "state.sqlite3"
    Ledger(path, "acme", TODAY).close()
    with pytest.raises(StateError, match="belongs to account 'acme', not 'default'"):
        Ledger(path, "default", TODAY)
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StateError, match="junk.sqlite3: not a readable state database"):
        Ledger(junk, "default", TODAY)


def test_prune_drops_days_zoom_no_longer_serves(tmp_path):
    ledger = Ledger(tmp_path / "s.sqlite3", "default", TODAY)
    for day in ("2026-05-25", "2026-05-26", "2026-11-01"):
        ledger.set_count("operation", day, day.encode().ljust(16, b"_"), 1)
    ledger.commit()
    ledger.mark_settled("operation", ["2026-05-25", "2026-05-26"])
    assert ledger.prune(date(2026, 5, 26)) == 1
    assert ledger.day_counts("operation", "2026-05-25") == {}
    assert ledger.day_counts("operation", "2026-05-26") != {}
    assert ledger.settled_days("operation") == {"2026-05-26"}
    ledger.close()


def test_last_poll_day_only_moves_forward(tmp_path):
    ledger = Ledger(tmp_path / "s.sqlite3", "default", TODAY)
    assert ledger.last_poll_day("activity") is None
    ledger.set_last_poll_day("activity", date(2026, 11, 20))
    ledger.set_last_poll_day("activity", date(2026, 11, 10))
    assert ledger.last_poll_day("activity") == date(2026, 11, 20)
    ledger.close()
