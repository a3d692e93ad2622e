"""Emulator: lifecycle and the Python API tests use (truth, add_records, inject, stats)."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from .api import ZoomApi
from .config import EmulatorConfig
from .dataset import Generator
from .faults import FaultQueue
from .meetings import KIND as MEETING_KIND
from .meetings import MS, record_ms
from .server import EmulatorHTTPServer
from .store import RecordStore

_KINDS = {
    "activity": "activity",
    "activities": "activity",
    "activity_logs": "activity",
    "operation": "operation",
    "operations": "operation",
    "operationlogs": "operation",
    "operation_logs": "operation",
    MEETING_KIND: MEETING_KIND,
    "meeting_activities": MEETING_KIND,
    "meeting_activity_logs": MEETING_KIND,
}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.astimezone(UTC).date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(value)


class Emulator:
    def __init__(self, config: EmulatorConfig | None = None) -> None:
        self.config = cfg = config or EmulatorConfig()
        self._clock = cfg.now or _utc_now
        today = self.now().date()
        # History is anchored when the emulator is built; days after it keep coming as time moves.
        first_day = today - timedelta(days=cfg.history_days - 1)
        self._generator = Generator(cfg)
        make_day = self._generator.day
        if cfg.profile == "realistic":
            from .orgsim.serve import OrgSource  # imported only when asked: the toy account needs none of it

            self.org_source = OrgSource(cfg.seed, cfg.users, first_day, cfg.history_days, cfg.attacks)
            make_day = self.org_source.day
        self._stores = {
            kind: RecordStore(kind, functools.partial(make_day, kind), first_day) for kind in ("activity", "operation")
        }
        self._stores[MEETING_KIND] = RecordStore(
            MEETING_KIND, functools.partial(make_day, MEETING_KIND), first_day, scale=MS, time_of=record_ms
        )
        self._faults = FaultQueue()
        self._stopping = threading.Event()
        self._api = ZoomApi(cfg, self._stores, self._generator, self._faults, self.now, self._stopping)
        self._server: EmulatorHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ---- lifecycle ------------------------------------------------------------
    def now(self) -> datetime:
        now = self._clock()
        if now.tzinfo is None:
            raise ValueError("EmulatorConfig.now must return an aware datetime")
        return now.astimezone(UTC)

    def start(self) -> Emulator:
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = EmulatorHTTPServer((self.config.host, self.config.port), self._api)
        self._api.base_url = self.base_url
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="zoom-emulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # cut short any "slow" fault in progress
        server.shutdown()  # stop accepting
        server.close_connections()  # release keep-alive handler threads
        server.server_close()  # close the listener and join handler threads
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ---- addresses ------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("emulator is not running")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://{self.config.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.base_url + "/v2"

    @property
    def token_url(self) -> str:
        return self.base_url + "/oauth/token"

    @property
    def authorize_url(self) -> str:
        """Base URL of /oauth/authorize (user-managed apps); add the query yourself."""
        return self.base_url + "/oauth/authorize"

    # ---- records --------------------------------------------------------------
    def _store(self, kind: str) -> RecordStore:
        try:
            return self._stores[_KINDS[kind]]
        except KeyError:
            raise ValueError(f"kind must be 'activity', 'operation' or {MEETING_KIND!r}, not {kind!r}") from None

    def truth(self, kind: str, since: date | str, until: date | str) -> list[dict]:
        """Every record visible now whose UTC day is in [since, until], newest first, as served
        (oldest_first serves the same records in the other order)."""
        store = self._store(kind)
        return store.truth(_as_date(since), _as_date(until), store.units(self.now().timestamp()))

    def add_records(self, kind: str, records: Iterable[dict]) -> int:
        """Make records visible at once (late arrivals, same-second records, ...)."""
        return self._store(kind).add(records)

    # ---- faults and counters -----------------------------------------------------
    def inject(self, kind: str, count: int = 1, **params) -> None:
        """Queue a fault for the next `count` report requests (target="token" for the token endpoint).

        "revoke" also uninstalls the user-managed app: every refresh token, unused authorization
        code and user access token issued so far dies for good (clear_faults does not bring them
        back; a new authorization does). "lose_token_response" always targets the token endpoint.
        """
        self._faults.inject(kind, count, **params)
        if kind == "revoke":
            self._api.oauth.revoke_all()

    def clear_faults(self) -> None:
        """Drop queued faults and undo "revoke"."""
        self._faults.clear()

    def refresh_tokens(self) -> dict:
        """User-managed OAuth refresh tokens, for tests (never served over HTTP):
        {"valid": [usable now, oldest first], "all": [every one issued], "issued": n,
        "rotated": n, "rejected_superseded": n, "rejected_unknown": n, "rejected_expired": n,
        "rejected_revoked": n}."""
        return self._api.oauth.snapshot(self.now().timestamp())

    def issued_tokens(self) -> list[str]:
        """Every access token handed out so far (tests check none of them leaks into output)."""
        return self._api.tokens.issued()

    @property
    def stats(self) -> dict:
        return self._api.stats()
