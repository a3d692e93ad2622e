"""`zoom-activity-logs authorize`: the browser flow of an authorization-code app.

A listener on 127.0.0.1 receives Zoom's redirect; PKCE (S256) binds the code to
this process and the `state` check refuses a redirect we did not start. The
tokens go to the account's token file (atomic, mode 0600) and are never printed.
authlib builds the authorization URL, the PKCE challenge and checks the
redirect's state; our httpx client does the exchange (one HTTP stack).
"""

from __future__ import annotations

import logging
import threading
import webbrowser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import httpx
from authlib.common.security import generate_token
from authlib.oauth2.rfc6749 import parameters
from authlib.oauth2.rfc6749.errors import MismatchingStateException, MissingCodeException
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from .auth import AuthorizationCodeAuth
from .config import AccountConfig
from .errors import AuthError, UsageError
from .retry import Waiter
from .tokenstore import TokenStore, default_token_path

log = logging.getLogger("zoom-activity-logs")

DEFAULT_REDIRECT = "http://127.0.0.1:8765/callback"
PAGE_OK = b"<html><body><h1>zoom-activity-logs is authorized.</h1><p>You can close this tab.</p></body></html>"
PAGE_BAD = b"<html><body><h1>Authorization failed.</h1><p>See the terminal.</p></body></html>"


def _listener_address(redirect_uri: str) -> tuple[str, int, str]:
    parts = urlsplit(redirect_uri)
    if parts.scheme != "http" or parts.hostname not in ("127.0.0.1", "localhost") or not parts.port:
        raise UsageError(
            f"redirect URI {redirect_uri!r}: must be http://127.0.0.1:PORT/PATH (or localhost), "
            "as registered in the Zoom app"
        )
    return "127.0.0.1", parts.port, parts.path or "/"


class _Callback:
    """The first redirect that reaches the listener's path."""

    def __init__(self, path: str):
        self.path = path
        self.url: str | None = None
        self.arrived = threading.Event()


class _Outcome(threading.Event):
    """Set when the code exchange is over; `good` if it succeeded (the browser's page says
    which). `answered` is set once the browser has its page."""

    good = False

    def __init__(self) -> None:
        super().__init__()
        self.answered = threading.Event()


def _handler(callback: _Callback, ok: _Outcome):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's naming)
            if urlsplit(self.path).path != callback.path or callback.arrived.is_set():
                self.send_response(404)
                self.end_headers()
                return
            callback.url = "http://127.0.0.1" + self.path
            callback.arrived.set()
            ok.wait(30)  # answer the browser once the exchange is done
            body = PAGE_OK if ok.is_set() and ok.good else PAGE_BAD
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            finally:
                ok.answered.set()

        def log_message(self, *args):  # the query holds the code: keep it out of stderr
            pass

    return Handler


def authorize(
    acct: AccountConfig,
    *,
    open_browser: bool = True,
    timeout: float = 300.0,
    stop: threading.Event | None = None,
    http: httpx.Client | None = None,
) -> TokenStore:
    if acct.auth != "authorization_code":
        raise UsageError(f"{acct.name}: authorize is for auth: authorization_code accounts")
    redirect_uri = acct.redirect_uri or DEFAULT_REDIRECT
    host, port, path = _listener_address(redirect_uri)
    store = TokenStore(acct.token_file or default_token_path(acct.name))
    verifier = generate_token(64)
    state = generate_token(32)
    url = parameters.prepare_grant_uri(
        acct.authorize_url,
        acct.client_id,
        "code",
        redirect_uri=redirect_uri,
        state=state,
        code_challenge=create_s256_code_challenge(verifier),
        code_challenge_method="S256",
    )
    callback = _Callback(path)
    done = _Outcome()
    try:
        server = ThreadingHTTPServer((host, port), _handler(callback, done))
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port} for the redirect: {exc.strerror}") from None
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="authorize-listener", daemon=True)
    thread.start()
    try:
        log.info("open this URL in a browser signed in as a Zoom admin, and allow access:\n%s", url)
        if open_browser:
            # in a thread: a terminal browser ($BROWSER) blocks until it exits, and it
            # waits for our listener's answer
            threading.Thread(target=_open_browser, args=(url,), name="authorize-browser", daemon=True).start()
        waiter = Waiter(stop)
        deadline = timeout
        while not callback.arrived.wait(0.2):
            waiter.check()
            deadline -= 0.2
            if deadline <= 0:
                raise AuthError(f"no redirect reached {redirect_uri} within {timeout:.0f}s; run authorize again")
        code = _code_from(callback.url or "", state)
        own = http is None
        http = http or httpx.Client(timeout=httpx.Timeout(30.0, connect=10.0))
        try:
            AuthorizationCodeAuth(
                http, acct.token_url, acct.client_id, acct.client_secret, store, names=acct.names
            ).exchange_code(code, redirect_uri, verifier)
        finally:
            if own:
                http.close()
        done.good = True
        log.info("authorized: tokens saved to %s (mode 0600)", store.path)
        return store
    finally:
        done.set()
        if callback.arrived.is_set():
            # a failed exchange raises at once: let the handler thread (a daemon, killed at
            # exit) give the browser its page first
            done.answered.wait(5)
        server.shutdown()
        server.server_close()


def _open_browser(url: str) -> None:
    try:
        webbrowser.open(url)
    except Exception as exc:  # a broken $BROWSER must not end the flow: the URL is printed
        log.warning("could not open a browser (%s); open the URL above yourself", type(exc).__name__)


def _code_from(url: str, state: str) -> str:
    query = dict(httpx.URL(url).params)
    if query.get("error"):
        raise AuthError(f"Zoom did not authorize the app: {query['error']}")
    try:
        return parameters.parse_authorization_code_response(url, state=state)["code"]
    except MismatchingStateException:
        raise AuthError(
            "the redirect's state does not match this authorization (a forged or stale redirect); run authorize again"
        ) from None
    except MissingCodeException:
        raise AuthError("the redirect carried no authorization code") from None
