"""Knobs of the local Zoom emulator (one frozen record, shared by every part)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime

DEFAULT_ACCOUNT_ID = "emulator-account"
DEFAULT_CLIENT_ID = "emulator-client"
# Documented on purpose: the emulator is a local test double, not a secret store.
DEFAULT_CLIENT_SECRET = "emulator-secret"
# "toy": the generated account (dataset.py); "realistic": emulator.orgsim's organisation.
PROFILES = ("toy", "realistic")


@dataclasses.dataclass
class EmulatorConfig:
    """Emulator knobs. Rate limits, TTLs, scopes, header style, Retry-After,
    arrivals_per_request, oldest_first and the OAuth knobs are read live, so tests may change
    them on a running emulator (emu.config.arrivals_per_request = 0); the account shape (seed,
    users, volumes, history_days) is fixed when the Emulator is built.

    User-managed OAuth: authorize_deny makes /oauth/authorize answer as a user who clicked
    Deny; redirect_uris, when not empty, is the app's allow list (exact match); code_ttl and
    refresh_token_ttl are the lifetimes of authorization codes and refresh tokens.

    oldest_first serves report pages oldest first (same offset paging and page tokens) instead
    of Zoom's usual newest first, which Zoom does not promise.

    profile "realistic" serves emulator.orgsim's organisation instead of the toy account:
    `users` people over `history_days` days from the first day, seeded by `seed`, with its
    attack set unless `attacks` is False; the per-day volume knobs and repeat_rate do not
    apply to it, and it has no arrivals (docs/orgsim.md).

    meetings_per_day is the mean number of meetings a day (the meeting activity report);
    meeting_audit_trail False is an account where Zoom Support has not switched the meeting
    audit trail on: that report answers 400 "No permission." (read live); remote_control False
    is an account that keeps Zoom's remote control off: its help desk never takes control."""

    seed: int = 7
    users: int = 40
    activity_per_day: float = 120
    operation_per_day: float = 30
    meetings_per_day: float = 15
    meeting_audit_trail: bool = True
    remote_control: bool = True
    history_days: int = 183
    repeat_rate: float = 0.01
    qps_limit: float | None = None
    daily_limit: int | None = None
    page_token_ttl: float = 900.0
    token_ttl: int = 3599
    lowercase_headers: bool = False
    retry_after: bool = True
    scopes: tuple = ("report:read:admin",)
    account_id: str = DEFAULT_ACCOUNT_ID
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = dataclasses.field(default=DEFAULT_CLIENT_SECRET, repr=False)
    arrivals_per_request: int = 0
    oldest_first: bool = False
    authorize_deny: bool = False
    redirect_uris: tuple = ()
    code_ttl: float = 300.0
    refresh_token_ttl: float = 90 * 86400.0
    now: Callable[[], datetime] | None = None
    port: int = 0
    host: str = "127.0.0.1"
    profile: str = "toy"
    attacks: bool = True

    def __post_init__(self) -> None:
        # Accept a list or a space-separated string for scopes.
        if isinstance(self.scopes, str):
            self.scopes = tuple(self.scopes.split())
        self.scopes = tuple(self.scopes)
        if isinstance(self.redirect_uris, str):
            self.redirect_uris = (self.redirect_uris,)
        self.redirect_uris = tuple(self.redirect_uris)
        if self.users < 1:
            raise ValueError("users must be at least 1")
        if self.history_days < 1:
            raise ValueError("history_days must be at least 1")
        if not 0.0 <= self.repeat_rate <= 1.0:
            raise ValueError("repeat_rate must be within [0, 1]")
        if self.meetings_per_day < 0:
            raise ValueError("meetings_per_day must not be negative")
        if self.arrivals_per_request < 0:
            raise ValueError("arrivals_per_request must not be negative")
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {self.profile!r}")
        if self.profile == "realistic" and self.arrivals_per_request:
            raise ValueError("arrivals_per_request is not supported with profile realistic")
