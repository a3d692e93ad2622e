"""User-managed (General app) OAuth: authorization codes with PKCE and rotating refresh tokens.

Zoom's rules, as emulated here:
- /oauth/authorize plays the user who clicks Allow (or Deny, with cfg.authorize_deny) and
  redirects to redirect_uri with a one-time code and the caller's state, unchanged.
- A code lives cfg.code_ttl seconds (5 minutes), is good for one successful exchange, only
  with the redirect_uri of its authorize request and, when a code_challenge was sent, with a
  code_verifier that matches it (S256, or plain when the method was absent or "plain").
- Every refresh returns a new access token AND a new refresh token; the refresh token just
  used stops working at once ("Invalid Token!"). A refresh token also dies after
  cfg.refresh_token_ttl seconds and when the app is revoked (uninstalled).

Token values never leave this module except in HTTP answers and through `snapshot()`, which
only the in-process test API calls: nothing here logs, and stats carry counts only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit, urlunsplit

from .tokens import AccessTokens

INVALID_CODE = {"reason": "Invalid authorization code", "error": "invalid_grant"}
EXPIRED_CODE = {"reason": "Code is expired", "error": "invalid_grant"}
REDIRECT_MISMATCH = {"reason": "Redirect URI mismatch.", "error": "invalid_grant"}
INVALID_REFRESH = {"reason": "Invalid Token!", "error": "invalid_grant"}

AUTHORIZE_BAD_CLIENT = {"reason": "Invalid client_id", "error": "invalid_client"}
AUTHORIZE_BAD_REDIRECT = {"reason": "Redirect URI mismatch.", "error": "invalid_request"}
AUTHORIZE_BAD_RESPONSE_TYPE = {"reason": "Unsupported response type", "error": "unsupported_response_type"}
AUTHORIZE_BAD_CHALLENGE = {"reason": "Invalid code_challenge_method", "error": "invalid_request"}

_METHODS = ("S256", "plain")


@dataclass
class _Code:
    redirect_uri: str
    challenge: str  # "" when the authorize request carried no code_challenge
    method: str  # "S256" | "plain"
    issued_at: float
    used: bool = False


@dataclass
class _Refresh:
    expires_at: float
    state: str = "live"  # live | rotated | revoked
    serial: int = 0


def s256(verifier: str) -> str:
    """PKCE S256: base64url(sha256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8", "replace"), b.encode("utf-8", "replace"))


def _with_query(uri: str, params: list[tuple[str, str]]) -> str:
    parts = urlsplit(uri)
    extra = urlencode(params)
    return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))


class UserOAuth:
    def __init__(self, cfg, tokens: AccessTokens) -> None:
        self._cfg = cfg
        self._tokens = tokens
        self._codes: dict[str, _Code] = {}
        self._refresh: dict[str, _Refresh] = {}
        self._user_access: list[str] = []  # access tokens this flow issued (revoked with the app)
        self._serial = 0
        self._lock = threading.Lock()
        self._counts = {
            "authorize_allowed": 0,
            "authorize_denied": 0,
            "authorize_rejected": 0,
            "codes_issued": 0,
            "codes_exchanged": 0,
            "codes_rejected": 0,
            "refresh_issued": 0,
            "refresh_rotated": 0,
            "refresh_rejected_superseded": 0,
            "refresh_rejected_unknown": 0,
            "refresh_rejected_expired": 0,
            "refresh_rejected_revoked": 0,
            "revocations": 0,
        }

    # ---- /oauth/authorize ------------------------------------------------------------
    def authorize(self, params: dict, now: float) -> tuple[int, object]:
        """(302, Location) or (400, error body)."""
        cfg = self._cfg
        client_id = params.get("client_id") or ""
        if not client_id or not _same(client_id, cfg.client_id):
            return self._reject(AUTHORIZE_BAD_CLIENT)
        redirect_uri = params.get("redirect_uri") or ""
        parts = urlsplit(redirect_uri)
        if (
            parts.scheme not in ("http", "https")
            or not parts.netloc
            or parts.fragment
            or (cfg.redirect_uris and redirect_uri not in cfg.redirect_uris)
        ):
            return self._reject(AUTHORIZE_BAD_REDIRECT)
        if params.get("response_type") != "code":
            return self._reject(AUTHORIZE_BAD_RESPONSE_TYPE)
        challenge = params.get("code_challenge") or ""
        method = params.get("code_challenge_method") or "plain"
        if method not in _METHODS or ("code_challenge_method" in params and not challenge):
            return self._reject(AUTHORIZE_BAD_CHALLENGE)
        state = [("state", params["state"])] if "state" in params else []
        if cfg.authorize_deny:
            with self._lock:
                self._counts["authorize_denied"] += 1
            return 302, _with_query(redirect_uri, [("error", "access_denied")] + state)
        code = secrets.token_urlsafe(24)
        with self._lock:
            self._prune_codes(now)
            self._codes[code] = _Code(redirect_uri, challenge, method, now)
            self._counts["authorize_allowed"] += 1
            self._counts["codes_issued"] += 1
        return 302, _with_query(redirect_uri, [("code", code)] + state)

    def _reject(self, body: dict) -> tuple[int, object]:
        with self._lock:
            self._counts["authorize_rejected"] += 1
        return 400, body

    def _prune_codes(self, now: float) -> None:
        if len(self._codes) > 1000:
            self._codes = {
                k: c for k, c in self._codes.items() if not c.used and now - c.issued_at <= self._cfg.code_ttl
            }

    # ---- grant_type=authorization_code --------------------------------------------------
    def exchange(self, params: dict, now: float, revoked: bool, api_url: str) -> tuple[int, dict]:
        code = params.get("code") or ""
        with self._lock:
            grant = self._codes.get(code)
            error = None
            if grant is None or grant.used or revoked:
                error = INVALID_CODE
            elif now - grant.issued_at > self._cfg.code_ttl:
                error = EXPIRED_CODE
            elif not _same(params.get("redirect_uri") or "", grant.redirect_uri):
                error = REDIRECT_MISMATCH
            elif grant.challenge:
                verifier = params.get("code_verifier") or ""
                derived = s256(verifier) if grant.method == "S256" else verifier
                if not verifier or not _same(derived, grant.challenge):
                    error = INVALID_CODE
            if error is not None:
                self._counts["codes_rejected"] += 1
                return 400, error
            assert grant is not None  # error is set whenever there is no grant
            grant.used = True
            self._counts["codes_exchanged"] += 1
            return 200, self._issue_pair(now, api_url)

    # ---- grant_type=refresh_token ---------------------------------------------------------
    def refresh(self, params: dict, now: float, revoked: bool, api_url: str) -> tuple[int, dict]:
        token = params.get("refresh_token") or ""
        with self._lock:
            grant = self._refresh.get(token)
            if grant is None:
                reason = "unknown"
            elif revoked or grant.state == "revoked":
                reason = "revoked"
            elif grant.state == "rotated":
                reason = "superseded"
            elif now >= grant.expires_at:
                reason = "expired"
            else:
                reason = None
            if reason is not None:
                self._counts[f"refresh_rejected_{reason}"] += 1
                return 400, INVALID_REFRESH
            # Rotate: the token just presented is dead from this instant, whatever happens
            # to the answer on its way back.
            assert grant is not None  # refused above when there is none
            grant.state = "rotated"
            self._counts["refresh_rotated"] += 1
            return 200, self._issue_pair(now, api_url)

    def _issue_pair(self, now: float, api_url: str) -> dict:
        """New access + refresh token; the caller holds the lock."""
        access = self._tokens.issue(now)
        refresh = secrets.token_urlsafe(48)
        self._serial += 1
        self._refresh[refresh] = _Refresh(now + self._cfg.refresh_token_ttl, serial=self._serial)
        self._user_access.append(access)
        self._counts["refresh_issued"] += 1
        if len(self._refresh) > 10_000:
            # Forget long-dead tokens (a rejection then counts as "unknown" instead).
            self._refresh = {k: g for k, g in self._refresh.items() if g.state == "live" or g.expires_at > now - 86400}
        return {
            "access_token": access,
            "token_type": "bearer",
            "refresh_token": refresh,
            "expires_in": self._cfg.token_ttl,
            "scope": " ".join(self._cfg.scopes),
            "api_url": api_url,
        }

    # ---- app revoked / uninstalled ---------------------------------------------------------
    def revoke_all(self) -> None:
        """Kill every refresh token, unused code and user access token issued so far, for good."""
        with self._lock:
            for grant in self._refresh.values():
                if grant.state == "live":
                    grant.state = "revoked"
            for code in self._codes.values():
                code.used = True
            access, self._user_access = self._user_access, []
            self._counts["revocations"] += 1
        self._tokens.revoke(access)

    # ---- introspection (in-process only) --------------------------------------------------
    def counters(self) -> dict:
        with self._lock:
            return dict(self._counts)

    def snapshot(self, now: float) -> dict:
        with self._lock:
            live = sorted((g.serial, t) for t, g in self._refresh.items() if g.state == "live" and now < g.expires_at)
            everything = sorted((g.serial, t) for t, g in self._refresh.items())
            counts = dict(self._counts)
        return {
            "valid": [t for _, t in live],
            "all": [t for _, t in everything],
            "issued": counts["refresh_issued"],
            "rotated": counts["refresh_rotated"],
            "rejected_superseded": counts["refresh_rejected_superseded"],
            "rejected_unknown": counts["refresh_rejected_unknown"],
            "rejected_expired": counts["refresh_rejected_expired"],
            "rejected_revoked": counts["refresh_rejected_revoked"],
        }
