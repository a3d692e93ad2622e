"""Server-to-Server OAuth for Zoom: account_credentials tokens, renewed in time.

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

from .errors import ApiError, AuthError
from .retry import Backoff, Waiter, rate_limit_delay

log = logging.getLogger("zoom-activity-logs")

# Renew this long before expiry so no request carries a token about to die.
RENEW_LEEWAY = 300


class ServerToServerAuth:
    def __init__(
        self,
        http: httpx.Client,
        token_url: str,
        account_id: str,
        client_id: str,
        client_secret: str,
        waiter: Waiter | None = None,
        attempts: int = 6,
    ):
        self._http = http
        self._token_url = token_url
        self._account_id = account_id
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
        params = {"grant_type": "account_credentials", "account_id": self._account_id}
        last = ""
        for attempt in range(self._attempts):
            if attempt and not last.startswith("rate limited"):
                self._waiter.sleep(self._backoff.delay(attempt - 1))
            url = str(httpx.URL(self._token_url, params=params))
            _, headers, _ = self._client_auth.prepare("POST", url, {}, "")
            try:
                response = self._http.post(url, headers=headers)
            except httpx.TransportError as exc:
                last = f"cannot reach {self._token_url}: {type(exc).__name__}"
                continue
            status = response.status_code
            body = _json_or_none(response)
            if status == 200 and isinstance(body, dict) and body.get("access_token"):
                self.renewals += 1
                log.debug("access token renewed (expires_in=%s)", body.get("expires_in"))
                body.pop("expires_at", None)
                if not body.get("expires_in"):
                    body["expires_in"] = 3599
                return OAuth2Token(dict(body))
            if status in (400, 401, 403) and isinstance(body, dict):
                error = str(body.get("error", ""))
                reason = str(body.get("reason", body.get("message", "")))
                if error == "invalid_client" or status == 401:
                    raise AuthError(
                        f"Zoom refused the client credentials ({error or status}: {reason}); "
                        "check ZOOM_CLIENT_ID and ZOOM_CLIENT_SECRET, and that the app is activated"
                    )
                if "account" in reason.lower():
                    raise AuthError(f"Zoom refused ZOOM_ACCOUNT_ID ({error}: {reason})")
                raise AuthError(f"Zoom refused the token request ({status} {error}: {reason})")
            last = f"token endpoint answered HTTP {status}"
            if status == 429:
                last = "rate limited on the token endpoint"
                self._waiter.sleep(rate_limit_delay(response.headers, attempt, self._backoff)[0])
        raise ApiError(f"could not get an access token after {self._attempts} attempts: {last}")


def _json_or_none(response: httpx.Response):
    try:
        return response.json()
    except ValueError:
        return None
