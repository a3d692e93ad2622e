"""Authorization-code OAuth end to end against the emulator: `authorize` in a
(scripted) browser, collection with rotating refresh tokens, and a crash at every
point of a refresh."""

from __future__ import annotations

import socket
import stat
import sys
import time
from datetime import timedelta

import httpx
import orjson
import pytest
from helpers import auth_code_config, emulated_truth, multiset, read_ndjson, run_cli, zoom_fields

from collector.auth import AuthorizationCodeAuth
from collector.config import load_config
from collector.errors import AuthError, StateError
from collector.retry import Waiter
from collector.tokenstore import TokenStore
from collector.windows import utc_today
from emulator import Emulator, EmulatorConfig

# A "browser" that follows the authorize URL's redirects, as a user clicking Allow would.


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def emu():
    with Emulator(
        EmulatorConfig(
            seed=41,
            users=10,
            activity_per_day=80,
            operation_per_day=20,
            history_days=10,
            client_id="general-app",
            client_secret="general-secret",
        )
    ) as e:
        yield e


def write_config(tmp_path, emu, port):
    return auth_code_config(tmp_path, emu, port, emu.config.client_id, emu.config.client_secret)


def authorized(tmp_path, emu):
    path, env = write_config(tmp_path, emu, free_port())
    r = run_cli(["authorize", "--config", str(path), "--timeout", "30"], env, timeout=60)
    assert r.returncode == 0, r.stderr
    return path, env, r


@pytest.mark.slow
def test_authorize_then_collect_and_rotate(tmp_path, emu):
    path, env, r = authorized(tmp_path, emu)
    tokens = tmp_path / "tokens.json"
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
    saved = orjson.loads(tokens.read_bytes())
    assert saved["refresh_token"] in emu.refresh_tokens()["valid"]
    err = r.stderr.decode()
    assert "code_challenge_method=S256" in err and "state=" in err  # the URL shown to the user
    # guidance and success are information, not warnings
    assert "WARNING" not in err and ": INFO: authorized: tokens saved to" in err
    assert saved["refresh_token"] not in err and saved["access_token"] not in err and "general-secret" not in err

    since = utc_today() - timedelta(days=5)
    first = run_cli(["collect", "--config", str(path), "--since", since.isoformat()], env)
    assert first.returncode == 0, first.stderr
    # the access token from authorize was still fresh: no refresh yet
    assert orjson.loads(tokens.read_bytes())["refresh_token"] == saved["refresh_token"]

    emu.inject("expire_access_token")  # Zoom says 124: the collector refreshes, rotating the refresh token
    emu.add_records(
        "activity",
        [
            {
                "email": "late@example.com",
                "time": f"{utc_today()}T00:00:01Z",
                "type": "Sign in",
                "ip_address": "203.0.113.9",
                "client_type": "Browser",
                "version": "-",
            }
        ],
    )
    second = run_cli(["collect", "--config", str(path)], env)
    assert second.returncode == 0, second.stderr
    rotated = orjson.loads(tokens.read_bytes())
    assert rotated["refresh_token"] != saved["refresh_token"]
    assert emu.refresh_tokens()["valid"] == [rotated["refresh_token"]]  # the old one is dead at Zoom
    lines = read_ndjson(first.stdout) + read_ndjson(second.stdout)
    today = utc_today()
    assert multiset(zoom_fields(l) for l in lines) == multiset(emulated_truth(emu, since, today))
    assert stat.S_IMODE(tokens.stat().st_mode) == 0o600


@pytest.mark.slow
def test_authorize_refuses_a_forged_redirect_and_a_denial(tmp_path, emu):
    port = free_port()
    path, env = write_config(tmp_path, emu, port)
    # a "browser" that lands on the callback with another state, as a forged link would
    script = tmp_path / "forged_browser.py"
    page = tmp_path / "page.html"
    script.write_text(
        f"import httpx\nr = httpx.get('http://127.0.0.1:{port}/callback?code=x&state=attacker', "
        f"timeout=20)\nopen({str(page)!r}, 'wb').write(b'%d ' % r.status_code + r.content)\n"
    )
    forged = f"{sys.executable} {script} %s"
    r = run_cli(["authorize", "--config", str(path), "--timeout", "30"], {**env, "BROWSER": forged}, timeout=60)
    assert r.returncode == 3 and b"state does not match" in r.stderr, r.stderr.decode()
    assert b"Traceback" not in r.stderr, r.stderr.decode()
    assert not (tmp_path / "tokens.json").exists()
    # the browser always gets its answer, even though the exchange failed at once
    for _ in range(50):
        if page.exists() and page.stat().st_size:
            break
        time.sleep(0.1)
    from collector.authorize import PAGE_BAD

    assert page.read_bytes() == b"200 " + PAGE_BAD
    emu.config.authorize_deny = True
    r = run_cli(["authorize", "--config", str(path), "--timeout", "30"], env, timeout=60)
    assert r.returncode == 3 and b"did not authorize the app: access_denied" in r.stderr


class Died(BaseException):
    """A kill -9 stand-in: nothing after the hook runs, no handler catches it."""


@pytest.fixture
def clients():
    made = []
    yield made
    for http in made:
        http.close()


def make_auth(emu, store, hook=None, clients=None):
    http = httpx.Client(timeout=10)
    clients.append(http)
    return AuthorizationCodeAuth(
        http, emu.token_url, emu.config.client_id, emu.config.client_secret, store, Waiter(), crash_hook=hook
    )


@pytest.mark.parametrize("point", ["before_refresh", "written", "synced", "renamed", "saved"])
@pytest.mark.slow
def test_a_crash_at_any_point_of_a_refresh_leaves_a_working_account(tmp_path, emu, point, clients):
    path, env, _ = authorized(tmp_path, emu)
    store = TokenStore(tmp_path / "tokens.json")
    emu.inject("expire_access_token")
    before = store.load()["refresh_token"]

    def hook(at):
        if at == point:
            raise Died()

    auth = make_auth(emu, store, hook, clients)
    token = auth.access_token()  # the stored access token is fresh: no refresh yet
    auth.reject(token)  # as after Zoom's 401/124
    stored = store.load()
    stored["expires_at"] = 0  # and the stored one is expired too
    store.save(stored)
    with pytest.raises(Died):
        auth.access_token()
    # restart: the file holds the old pair (Zoom never rotated) or, even when the kill
    # came between writing the new pair and renaming it, the new one
    now = store.load()["refresh_token"]
    assert now in emu.refresh_tokens()["valid"]
    assert (now == before) == (point == "before_refresh")
    assert not list(tmp_path.glob(".tokens.json.*.tmp"))
    r = run_cli(["collect", "--config", str(path), "--log-type", "activity"], env)
    assert r.returncode == 0, r.stderr


@pytest.mark.slow
def test_a_lost_refresh_answer_is_named_and_authorize_recovers(tmp_path, emu):
    path, env, _ = authorized(tmp_path, emu)
    store = TokenStore(tmp_path / "tokens.json")
    stored = store.load()
    stored["expires_at"] = 0
    store.save(stored)
    emu.inject("lose_token_response")  # Zoom rotates, the answer never arrives
    r = run_cli(["collect", "--config", str(path), "--log-type", "activity"], env)
    assert r.returncode == 3, r.stderr
    err = r.stderr.decode()
    assert "Invalid Token!" in err and "authorize" in err and "Traceback" not in err
    assert len([l for l in err.splitlines() if "ERROR" in l]) == 1
    # a person authorizes again; collection resumes where the state stopped
    authorized(tmp_path, emu)
    r = run_cli(["collect", "--config", str(path), "--log-type", "activity"], env)
    assert r.returncode == 0, r.stderr


def test_a_torn_temporary_file_is_dropped_and_the_pair_in_place_kept(tmp_path):
    store = TokenStore(tmp_path / "tokens.json")
    store.save({"client_id": "c", "refresh_token": "kept"})
    (tmp_path / ".tokens.json.999.tmp").write_bytes(b'{"client_id": "c", "refresh_tok')  # killed mid-write
    assert store.load()["refresh_token"] == "kept"
    assert not list(tmp_path.glob(".tokens.json.*.tmp"))


def test_token_file_problems_are_one_line(tmp_path, emu, clients):
    store = TokenStore(tmp_path / "tokens.json")
    with pytest.raises(StateError, match="no token file; run `zoom-activity-logs authorize`"):
        store.load()
    store.save({"client_id": "general-app", "refresh_token": "r"})
    (tmp_path / "tokens.json").chmod(0o644)
    with pytest.raises(StateError, match="readable by others"):
        store.load()
    (tmp_path / "tokens.json").chmod(0o600)
    auth = make_auth(emu, TokenStore(tmp_path / "tokens.json"), clients=clients)
    auth._client_id = "another-app"
    with pytest.raises(AuthError, match="issued to another client ID"):
        auth.access_token()
    (tmp_path / "tokens.json").write_text("{not json")
    with pytest.raises(StateError, match="not valid JSON"):
        TokenStore(tmp_path / "tokens.json").load()


def test_the_config_round_trip_names_the_token_file(tmp_path, emu):
    path, env = write_config(tmp_path, emu, 8765)
    [acct] = load_config(path, env)
    assert acct.token_file == tmp_path / "tokens.json" and acct.authorize_url == emu.authorize_url
