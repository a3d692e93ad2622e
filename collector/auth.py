"""OAuth for Zoom: Server-to-Server (account_credentials) and authorization-code apps.

authlib supplies the OAuth pieces (client authentication, token object with
expiry); we drive HTTP with our own httpx client rather than authlib's httpx
integration, which now warns and prefers httpx2: one HTTP stack, the one our
cassette tests replay. Tokens are never logged.
"""

from __future__ import annotations

import logging
import threading

import httpx
from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749 import OAuth2Token

from . import bounded
from .errors import ApiError, AuthError
from .redact import redact_url
from .retry import Backoff, Waiter, rate_limit_delay

log = logging.getLogger("zoom-activity-logs")

# Renew this long before expiry so no request carries a token about to die.
RENEW_LEEWAY = 300


class _TokenAuth:
    """What both app kinds share: one token at a time, renewed in time, and a
    token endpoint driven with retries on outages and rate limits."""

    def __init__(
        self,
        http: httpx.Client,
        token_url: str,
        client_id: str,
        client_secret: str,
        waiter: Waiter | None,
        attempts: int,
        names: dict | None = None,
    ):
        self._http = http
        # where the user set each credential, for error messages (env vars or config fields)
        self._names = {"client": "ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET", "account": "ZOOM_ACCOUNT_ID", **(names or {})}
        self._token_url = token_url
        self._client_id = client_id
        self._client_auth = ClientAuth(client_id, client_secret, "client_secret_basic")
        self._waiter = waiter or Waiter()
        self._attempts = attempts
        self._backoff = Backoff()
        self._lock = threading.Lock()
        self._token: OAuth2Token | None = None
        self.renewals = 0

    def access_token(self) -> str:
        """A valid access token; renews it when missing or close to expiry."""
        with self._lock:
            if self._token is None or self._token.is_expired(leeway=RENEW_LEEWAY):
                self._token = self._fetch()
            return self._token["access_token"]

    def reject(self, token: str) -> None:
        """Zoom answered 401/124 to `token`: the next caller renews, once for all callers."""
        with self._lock:
            if self._token is not None and self._token.get("access_token") == token:
                self._token = None

    def _fetch(self) -> OAuth2Token:
        raise NotImplementedError

    def _post(self, params: dict, on_refusal) -> dict:
        """POST the token endpoint; the JSON of a 200, or `on_refusal(status, error, reason)` raises."""
        last = ""
        for attempt in range(self._attempts):
            if attempt and not last.startswith("rate limited"):
                self._waiter.sleep(self._backoff.delay(attempt - 1))
            url = str(httpx.URL(self._token_url, params=params))
            _, headers, _ = self._client_auth.prepare("POST", url, {}, "")
            try:
                response, content = bounded.request(self._http, "POST", url, headers=headers)
            except httpx.TransportError as exc:
                last = f"cannot reach {redact_url(self._token_url)}: {type(exc).__name__}"
                continue
            except bounded.TooMuch as exc:
                last = f"token endpoint sent {exc}"
                continue
            status = response.status_code
            body = bounded.json_or_none(content)
            if status == 200:
                problem = token_problem(body)
                if problem is None:
                    self.renewals += 1
                    log.debug("access token renewed (expires_in=%s)", body.get("expires_in"))
                    return body
                last = f"token endpoint answered HTTP 200 that is not a token ({problem})"
                continue
            if status in (400, 401, 403) and isinstance(body, dict):
                error = str(body.get("error", ""))
                reason = str(body.get("reason", body.get("message", "")))
                if error == "invalid_client" or status == 401:
                    raise AuthError(
                        f"Zoom refused the client credentials ({error or status}: {reason}); "
                        f"check {self._names['client']}, and that the app is activated"
                    )
                on_refusal(status, error, reason)
                raise AuthError(f"Zoom refused the token request ({status} {error}: {reason})")
            last = f"token endpoint answered HTTP {status}"
            if status == 429:
                last = "rate limited on the token endpoint"
                self._waiter.sleep(rate_limit_delay(response.headers, attempt, self._backoff)[0])
        raise ApiError(f"could not get an access token after {self._attempts} attempts: {last}")


def token_problem(body) -> str | None:
    """What makes a 200 from the token endpoint not a usable token answer, or None.
    (Never the values: they are secrets.)"""
    if not isinstance(body, dict):
        return "not a JSON object"
    if not isinstance(body.get("access_token"), str) or not body["access_token"].strip():
        return "no access_token string"
    expires_in = body.get("expires_in")
    if expires_in is not None and (
        isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)) or not 0 < expires_in < 10**7
    ):
        return "expires_in is not a number of seconds"
    if body.get("refresh_token") is not None and not isinstance(body["refresh_token"], str):
        return "refresh_token is not a string"
    return None


def _as_token(body: dict) -> OAuth2Token:
    body = dict(body)
    body.pop("expires_at", None)
    if not body.get("expires_in"):
        body["expires_in"] = 3599
    return OAuth2Token(body)


class ServerToServerAuth(_TokenAuth):
    """Server-to-Server OAuth app: account_credentials tokens, no refresh token."""

    def __init__(
        self,
        http: httpx.Client,
        token_url: str,
        account_id: str,
        client_id: str,
        client_secret: str,
        waiter: Waiter | None = None,
        attempts: int = 6,
        names: dict | None = None,
    ):
        super().__init__(http, token_url, client_id, client_secret, waiter, attempts, names)
        self._account_id = account_id

    def _fetch(self) -> OAuth2Token:
        def refused(status, error, reason):
            if "account" in reason.lower():
                raise AuthError(f"Zoom refused {self._names['account']} ({error}: {reason})")

        params = {"grant_type": "account_credentials", "account_id": self._account_id}
        return _as_token(self._post(params, refused))


class AuthorizationCodeAuth(_TokenAuth):
    """User-authorized (General) OAuth app: tokens from `zoom-activity-logs authorize`,
    refreshed with Zoom's rotating refresh tokens.

    Order of a refresh: lock the token file; re-read it (another process may have
    rotated already); POST the refresh; write the new pair to a temporary file and
    rename it into place (a kill between the two is finished by the next load);
    only then hand out the access token. Signals only set the stop flag, so Ctrl-C
    cannot cut the step between Zoom's answer and the temporary file; only SIGKILL
    or a power loss can, a window of microseconds that Zoom's protocol leaves open
    (docs/reliability.md).
    """

    def __init__(
        self,
        http: httpx.Client,
        token_url: str,
        client_id: str,
        client_secret: str,
        store,
        waiter: Waiter | None = None,
        attempts: int = 6,
        crash_hook=None,
        names: dict | None = None,
    ):
        super().__init__(http, token_url, client_id, client_secret, waiter, attempts, names)
        self._store = store
        self._crash = crash_hook or (lambda point: None)
        self._rejected: set[str] = set()  # access tokens Zoom refused: never adopt them again from the file

    def reject(self, token: str) -> None:
        with self._lock:
            self._rejected.add(token)
        super().reject(token)

    def _record(self, body: dict, previous: dict | None = None) -> tuple[OAuth2Token, dict]:
        """The token of Zoom's answer, and what the token file keeps of it."""
        previous = previous or {}
        token = _as_token(body)
        return token, {
            "client_id": self._client_id,
            # Zoom always rotates; keep the old one only if an answer ever omits it
            "refresh_token": body.get("refresh_token") or previous["refresh_token"],
            "access_token": token["access_token"],
            "expires_at": int(token["expires_at"]),
            "token_type": token.get("token_type", "bearer"),
            "scope": token.get("scope", previous.get("scope", "")),
        }

    def exchange_code(self, code: str, redirect_uri: str, verifier: str) -> None:
        """Trade the browser's authorization code (PKCE) for the first pair, and store it."""

        def refused(status, error, reason):
            raise AuthError(f"Zoom refused the authorization code ({error}: {reason}); run authorize again")

        with self._store.locked():
            body = self._post(
                {
                    "grant_type": "authorization_code",
                    "code": code,
                    "redirect_uri": redirect_uri,
                    "code_verifier": verifier,
                },
                refused,
            )
            if not body.get("refresh_token"):
                raise AuthError("Zoom's answer carried no refresh token; is this a user-managed (General) OAuth app?")
            token, record = self._record(body)
            self._store.save(record)
        with self._lock:
            self._token = token

    def _stored(self) -> dict:
        data = self._store.load()
        if data.get("client_id") != self._client_id:
            raise AuthError(
                f"{self._store.path}: tokens were issued to another client ID; "
                "run `zoom-activity-logs authorize` with this app"
            )
        return data

    def _fetch(self) -> OAuth2Token:
        with self._store.locked():
            data = self._stored()
            held = self._token.get("access_token") if self._token else None
            stored = data.get("access_token")
            if stored and stored != held and stored not in self._rejected:
                # the file has a token we have not used (a restart, or another process refreshed)
                token = _as_token(
                    {k: data[k] for k in ("access_token", "expires_at", "token_type", "scope") if k in data}
                )
                token["expires_at"] = int(data.get("expires_at", 0))
                if not token.is_expired(leeway=RENEW_LEEWAY):
                    return token
            self._crash("before_refresh")

            def refused(status, error, reason):
                if error == "invalid_grant":
                    raise AuthError(
                        f"Zoom refused the refresh token in {self._store.path} ({reason or error}): it was revoked, "
                        "or superseded by a refresh whose answer never arrived; run `zoom-activity-logs authorize` "
                        "again (collection resumes where it stopped)"
                    )

            body = self._post({"grant_type": "refresh_token", "refresh_token": data["refresh_token"]}, refused)
            self._crash("answered")
            token, record = self._record(body, data)
            self._store.save(record, _crash=self._crash)
            self._crash("saved")
            return token
