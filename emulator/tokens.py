"""Access tokens (opaque, several live at once) and tamper-proof page tokens."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass


@dataclass
class _Grant:
    expires_at: float
    scopes: tuple
    serial: int
    used: bool = False  # has passed a report request's token check
    expired: bool = False  # forced expiry (fault injection)


class AccessTokens:
    def __init__(self, cfg) -> None:
        self._cfg = cfg  # token_ttl and scopes are read at issue time
        self._grants: dict[str, _Grant] = {}
        self._serial = 0
        self._last_forced = 0  # serial of the newest token when a token was last force-expired
        self._lock = threading.Lock()

    def issue(self, now: float) -> str:
        token = secrets.token_urlsafe(48)
        with self._lock:
            if len(self._grants) > 10_000:
                # Forget tokens long dead; a collector never needs them again.
                self._grants = {k: g for k, g in self._grants.items() if g.expires_at > now - 86400}
            self._serial += 1
            self._grants[token] = _Grant(now + self._cfg.token_ttl, tuple(self._cfg.scopes), self._serial)
        return token

    def is_replacement(self, token: str | None) -> bool:
        """True for a token fetched after a forced expiry and not used yet.

        Zoom never expires a token at its first use; sparing such a token lets a
        queue of several expiries hit one token after another, as hours would.
        """
        with self._lock:
            grant = self._grants.get(token or "")
            return grant is not None and not grant.used and grant.serial > self._last_forced > 0

    def check(self, token: str | None, now: float) -> tuple[str, tuple]:
        """('ok' | 'invalid' | 'expired', scopes)."""
        if not token:
            return "invalid", ()
        with self._lock:
            grant = self._grants.get(token)
        if grant is None:
            return "invalid", ()
        if grant.expired or now >= grant.expires_at:
            return "expired", grant.scopes
        grant.used = True
        return "ok", grant.scopes

    def issued(self) -> list[str]:
        with self._lock:
            return list(self._grants)

    def revoke(self, tokens) -> None:
        """Forget these tokens: they answer "Invalid access token." from now on."""
        with self._lock:
            for token in tokens:
                self._grants.pop(token, None)

    def expire(self, token: str | None) -> None:
        with self._lock:
            grant = self._grants.get(token or "")
            if grant is not None:
                grant.expired = True
            self._last_forced = self._serial


_SIG = 12  # bytes of HMAC kept: enough that guessing is hopeless, short enough to stay URL-friendly


class PageTokens:
    """Stateless cursors: (path, from, to, category, offset, issued_at) signed with HMAC.

    Nothing is snapshotted, so the next page is cut from the list as it is when
    the token comes back, the way an offset cursor behaves.
    """

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def encode(self, path: str, since: str, until: str, category: str, offset: int, issued_at: float) -> str:
        payload = f"{path}|{since}|{until}|{category}|{offset}|{issued_at:.3f}".encode()
        sig = hmac.new(self._key, payload, hashlib.sha256).digest()[:_SIG]
        return base64.urlsafe_b64encode(payload + sig).decode().rstrip("=")

    def decode(self, token: str) -> tuple[str, str, str, str, int, float] | None:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError):
            return None
        payload, sig = raw[:-_SIG], raw[-_SIG:]
        expected = hmac.new(self._key, payload, hashlib.sha256).digest()[:_SIG]
        if len(raw) <= _SIG or not hmac.compare_digest(sig, expected):
            return None
        try:
            path, since, until, category, offset, issued = payload.decode().split("|")
            return path, since, until, category, int(offset), float(issued)
        except ValueError:
            return None
