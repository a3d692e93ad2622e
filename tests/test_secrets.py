"""No secret ever leaves the collector: planted secrets, every output of every error path scanned.

Each case plants secrets (the client secret, the access tokens the emulator issues, the
refresh tokens of an authorization-code account, user-info / query / fragment of the URLs
in ZOOM_API_URL and ZOOM_OAUTH_TOKEN_URL), drives the collector into one error path with
debug logging (--verbose) and health lines (--health, which carry last_error), then scans
stdout, stderr and every file the run left (state, lock and --output files; not the token
file, whose job is to hold a refresh token) for each secret, case-insensitively, as is
and in the encodings a log line could carry (HTTP Basic credentials).

Nothing here may touch the internet: every run's HTTP proxy is a local trap that accepts
and drops connections (loopback addresses bypass it), and every test asserts nothing
reached it.
"""

from __future__ import annotations

import base64
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import pytest
from helpers import auth_code_config, clean_env, emulator_env, read_ndjson, run_cli

from collector.ledger import Ledger
from collector.records import LOG_TYPES
from collector.windows import utc_today
from emulator import Emulator, EmulatorConfig
from emulator.faults import KINDS as FAULT_KINDS

CLIENT_SECRET = "PLANTED-client-secret-5d1f0c9a"
WRONG_SECRET = "PLANTED-wrong-client-secret-77b2e4"
URL_USER = "planteduser"
URL_PASSWORD = "PLANTEDPASS"
URL_KEY = "PLANTEDKEY"
URL_FRAGMENT = "PLANTEDFRAG"
GARBAGE = "PLANTEDGARBAGE"
REFRESH_TOKEN = "PLANTED-refresh-token-3e9a61c04b"
STALE_ACCESS_TOKEN = "PLANTED-access-token-from-the-file-8c20f7"

# Small account: each run takes about a second.
SMALL = {"users": 5, "activity_per_day": 20, "operation_per_day": 5, "history_days": 3}

# A "browser" that follows the authorize URL's redirects, as a user clicking Allow would.


# ---- the planted secrets --------------------------------------------------------------------


def basic(user: str, password: str) -> str:
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def static_secrets(client_id: str) -> dict[str, str]:
    """label -> value, for everything planted up front."""
    return {
        "client secret": CLIENT_SECRET,
        "client secret (HTTP Basic)": basic(client_id, CLIENT_SECRET),
        "wrong client secret": WRONG_SECRET,
        "wrong client secret (HTTP Basic)": basic(client_id, WRONG_SECRET),
        "URL user": URL_USER,
        "URL password": URL_PASSWORD,
        "URL user-info (HTTP Basic)": basic(URL_USER, URL_PASSWORD),
        "URL query value": URL_KEY,
        "URL fragment": URL_FRAGMENT,
        "garbage URL text": GARBAGE,
        "refresh token from the token file": REFRESH_TOKEN,
        "access token from the token file": STALE_ACCESS_TOKEN,
    }


class Secrets:
    """What no output may carry: the planted values and whatever the emulators issued."""

    def __init__(self, client_id: str):
        self.values = static_secrets(client_id)
        self.emulators: list[Emulator] = []

    def watch(self, emu: Emulator) -> Emulator:
        self.emulators.append(emu)
        return emu

    def snapshot(self) -> None:
        """Remember the tokens issued so far (revoking an app makes the emulator forget its tokens)."""
        for emu in self.emulators:
            for token in emu.issued_tokens():
                self.values.setdefault(f"access token {token[:6]}... issued by the emulator", token)
            for token in emu.refresh_tokens()["all"]:
                self.values.setdefault(f"refresh token {token[:6]}... issued by the emulator", token)

    def all(self) -> dict[str, str]:
        self.snapshot()
        return dict(self.values)


# ---- the internet trap ----------------------------------------------------------------------


class Trap:
    """A local 'proxy' that records and drops every connection: a request to any
    non-loopback host lands here instead of the internet (and without a DNS lookup)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            conn.close()

    def env(self) -> dict:
        out = {}
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
            out[name] = out[name.lower()] = self.url
        out["NO_PROXY"] = out["no_proxy"] = "127.0.0.1,localhost,::1"
        return out

    def close(self):
        self._stop.set()
        self._thread.join()
        self.sock.close()


@pytest.fixture
def trap():
    t = Trap()
    yield t
    t.close()


# ---- runs and the scan ----------------------------------------------------------------------


@contextmanager
def planted_emulator(secrets: Secrets, **knobs):
    cfg = EmulatorConfig(seed=51, client_secret=CLIENT_SECRET, **{**SMALL, **knobs})
    with Emulator(cfg) as emu:
        secrets.watch(emu)
        yield emu


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


@dataclass
class Outcome:
    returncode: int
    stdout: bytes
    stderr: bytes
    output_file: Path | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[dict]:
        data = self.stdout
        if self.output_file is not None and self.output_file.exists():
            data += self.output_file.read_bytes()
        return read_ndjson(data)


def base_env(tmp_path: Path, trap: Trap, extra: dict) -> dict:
    # state and token files by default under tmp_path, so the scan sees them
    return {"XDG_STATE_HOME": str(tmp_path / "xdg"), **trap.env(), **extra}


def collect(
    tmp_path: Path, trap: Trap, env: dict, *args: str, retries: int = 1, state: bool = True, output: bool = False
) -> Outcome:
    argv = ["collect", "--verbose", "--health", "--retries", str(retries), *args]
    if state:
        argv += ["--state", str(tmp_path / "state.sqlite3")]
    out = tmp_path / "out.ndjson" if output else None
    if out is not None:
        argv += ["--output", str(out)]
    r = run_cli(argv, base_env(tmp_path, trap, env), timeout=60, cwd=tmp_path)
    return Outcome(r.returncode, r.stdout, r.stderr, out)


def _text_leaks(where: str, text: str, secrets: dict[str, str]) -> list[str]:
    found = []
    lines = text.splitlines()
    for label, value in secrets.items():
        needle = value.casefold()
        hits = [(n, line) for n, line in enumerate(lines, 1) if needle in line.casefold()]
        if hits:
            n, line = hits[0]
            more = f" (and {len(hits) - 1} more lines)" if len(hits) > 1 else ""
            found.append(f"{where} line {n} carries the {label}{more}: {line}")
    return found


def _binary_leaks(where: str, data: bytes, secrets: dict[str, str]) -> list[str]:
    found = []
    low = data.lower()
    for label, value in secrets.items():
        at = low.find(value.lower().encode())
        if at >= 0:
            snippet = data[max(0, at - 60) : at + len(value) + 60].decode("utf-8", "replace")
            found.append(f"{where} (byte {at}) carries the {label}: ...{snippet!r}...")
    return found


def leaks(outcome: Outcome, root: Path, secrets: Secrets, skip: tuple[Path, ...] = ()) -> list[str]:
    planted = secrets.all()
    found = _text_leaks("stderr", outcome.stderr.decode("utf-8", "replace"), planted)
    found += _text_leaks("stdout", outcome.stdout.decode("utf-8", "replace"), planted)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path in skip:
            continue
        data = path.read_bytes()
        where = str(path.relative_to(root))
        try:
            found += _text_leaks(where, data.decode("utf-8"), planted)
        except UnicodeDecodeError:  # state databases: raw bytes
            found += _binary_leaks(where, data, planted)
    return found


def error_lines(outcome: Outcome) -> list[str]:
    return [line for line in outcome.stderr.decode("utf-8", "replace").splitlines() if ": ERROR: " in line]


def verdict(
    outcome: Outcome,
    code: int,
    root: Path,
    secrets: Secrets,
    trap: Trap,
    *needles: str,
    health: bool = False,
    skip: tuple[Path, ...] = (),
    follow: bool = False,
    expected_errors: int = 1,
) -> None:
    """Every problem at once (leaks first), so a failure shows the whole picture."""
    problems = leaks(outcome, root, secrets, skip)
    err = outcome.stderr.decode("utf-8", "replace")
    if outcome.returncode != code:
        problems.append(f"exit code {outcome.returncode}, expected {code}")
    if "Traceback" in err:
        problems.append("a traceback on stderr")
    errors = error_lines(outcome)
    if follow:
        # a follow run reports each failed poll and keeps going
        if not errors or not all(e.endswith("retrying at the next poll") for e in errors):
            problems.append(f"expected one 'retrying at the next poll' ERROR line per failed poll, got {errors}")
    elif len(errors) != expected_errors:
        problems.append(f"{len(errors)} ': ERROR: ' lines on stderr, expected exactly {expected_errors}")
    else:
        problems += [f"the ERROR line does not name {n!r}" for n in needles if n not in errors[0]]
    if health:
        try:
            healths = [line for line in outcome.lines if line.get("log_type") == "health"]
        except orjson.JSONDecodeError:
            healths = []
            problems.append("output is not NDJSON")
        if not any(h["status"] == "error" and h["last_error"] for h in healths):
            problems.append("no health line with a last_error (nothing of the failed poll was scanned)")
    problems += outcome.notes
    if trap.connections:
        problems.append(
            f"{trap.connections} connections to a non-loopback host (caught by the local proxy trap): "
            "the URL was not refused before any request"
        )
    assert not problems, "\n".join(problems) + "\n--- stderr ---\n" + err


@pytest.fixture
def secrets():
    return Secrets(EmulatorConfig().client_id)


# ---- environment URLs: refused before any request, never echoed ------------------------------

URL_VARIANTS = {
    # name -> the URL, given the emulator's port and the variable's path
    "userinfo": lambda port, path: f"http://{URL_USER}:{URL_PASSWORD}@127.0.0.1:{port}{path}",
    "https_userinfo": lambda port, path: f"https://{URL_USER}:{URL_PASSWORD}@127.0.0.1:{port}{path}",
    "query": lambda port, path: f"http://127.0.0.1:{port}{path}?key={URL_KEY}",
    "fragment": lambda port, path: f"http://127.0.0.1:{port}{path}#{URL_FRAGMENT}",
    "http_non_loopback": lambda port, path: f"http://{URL_USER}:{URL_PASSWORD}@example.invalid{path}",
    "garbage": lambda port, path: f"not a URL {GARBAGE}",
}
URL_VARS = {"ZOOM_API_URL": "/v2", "ZOOM_OAUTH_TOKEN_URL": "/oauth/token"}


@pytest.mark.parametrize("variant", sorted(URL_VARIANTS))
@pytest.mark.parametrize("var", sorted(URL_VARS))
def test_env_url_is_refused_by_name_without_its_value(tmp_path, trap, secrets, var, variant):
    with planted_emulator(secrets) as emu:
        url = URL_VARIANTS[variant](emu.port, URL_VARS[var])
        outcome = collect(tmp_path, trap, {**emulator_env(emu), var: url})
        if emu.stats["requests"]:
            outcome.notes.append(
                f"{emu.stats['requests']} requests reached the emulator: {var} was not refused before any request"
            )
        verdict(outcome, 2, tmp_path, secrets, trap, var)


# ---- the collector's error paths ------------------------------------------------------------


def _wrong_secret(emu, env):
    return {**env, "ZOOM_CLIENT_SECRET": WRONG_SECRET}, {}


def _revoked(emu, env):
    emu.inject("revoke")
    return env, {}


def _api_unreachable(emu, env):
    return {**env, "ZOOM_API_URL": f"http://127.0.0.1:{closed_port()}/v2"}, {}


def _token_unreachable(emu, env):
    return {**env, "ZOOM_OAUTH_TOKEN_URL": f"http://127.0.0.1:{closed_port()}/oauth/token"}, {}


def _http_500(emu, env):
    emu.inject("500", count=50)
    return env, {"retries": 2, "output": True}


def _wrong_shape(emu, env):
    emu.inject("wrong_shape", count=50, shape="data_string")
    return env, {"retries": 2}


# name -> (emulator knobs, setup, exit code, a poll happens: a health line with last_error is expected)
PATHS = {
    "wrong_client_secret": ({}, _wrong_secret, 3, True),
    "revoked_app": ({}, _revoked, 3, True),
    "missing_scope": ({"scopes": ("user:read:admin",)}, lambda emu, env: (env, {}), 4, True),
    "api_unreachable": ({}, _api_unreachable, 5, True),
    "token_endpoint_unreachable": ({}, _token_unreachable, 5, True),
    "http_500_until_retries_run_out": ({}, _http_500, 5, True),
    "wrong_shape_until_retries_run_out": ({}, _wrong_shape, 5, True),
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(
            n,
            marks=pytest.mark.xfail("wrong_shape" not in FAULT_KINDS, reason="wrong_shape fault pending", strict=False),
        )
        if n.startswith("wrong_shape")
        else n
        for n in sorted(PATHS)
    ],
)
@pytest.mark.slow
def test_error_path_leaks_no_secret(tmp_path, trap, secrets, name):
    knobs, setup, code, health = PATHS[name]
    with planted_emulator(secrets, **knobs) as emu:
        env, opts = setup(emu, emulator_env(emu))
        outcome = collect(tmp_path, trap, env, **opts)
        # a refusal is one line per refused report, then the run's last line naming them
        expected = len(LOG_TYPES) + 1 if name == "missing_scope" else 1
        verdict(outcome, code, tmp_path, secrets, trap, health=health, expected_errors=expected)


def test_state_in_use_leaks_no_secret(tmp_path, trap, secrets):
    with planted_emulator(secrets) as emu:
        held = Ledger(tmp_path / "state.sqlite3", "default", utc_today())
        try:
            outcome = collect(tmp_path, trap, emulator_env(emu))
        finally:
            held.close()
        verdict(outcome, 7, tmp_path, secrets, trap, "in use")


def test_corrupt_state_leaks_no_secret(tmp_path, trap, secrets):
    (tmp_path / "state.sqlite3").write_bytes(random.Random(5).randbytes(16384))
    with planted_emulator(secrets) as emu:
        outcome = collect(tmp_path, trap, emulator_env(emu))
        verdict(outcome, 7, tmp_path, secrets, trap, "state.sqlite3")


def _popen_collect(tmp_path, trap, env, *args):
    argv = [
        sys.executable,
        "-m",
        "zoom_activity_logs",
        "collect",
        "--verbose",
        "--health",
        "--retries",
        "1",
        "--state",
        str(tmp_path / "state.sqlite3"),
        *args,
    ]
    return subprocess.Popen(
        argv,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={**clean_env(), **base_env(tmp_path, trap, env)},
    )


def _finish(proc, timeout=30) -> tuple[bytes, bytes, list[str]]:
    notes = []
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        notes.append(f"the collector did not exit within {timeout} s")
    return out or b"", err or b"", notes


@pytest.mark.slow
def test_reader_gone_leaks_no_secret(tmp_path, trap, secrets):
    # a follow run writes a health line every poll: the write after the reader left fails for sure
    with planted_emulator(secrets) as emu:
        proc = _popen_collect(tmp_path, trap, emulator_env(emu), "--follow", "--interval", "1")
        first = proc.stdout.readline()
        proc.stdout.close()  # the reader goes away
        _, err, notes = _finish(proc)
        outcome = Outcome(proc.returncode, first, err, notes=notes)
        verdict(outcome, 6, tmp_path, secrets, trap, "reader of the output went away")


def _follow_500(emu, env):
    emu.inject("500", count=1000)
    return env


def _follow_unreachable(emu, env):
    return {**env, "ZOOM_API_URL": f"http://127.0.0.1:{closed_port()}/v2"}


@pytest.mark.parametrize("name,setup", [("http_500", _follow_500), ("api_unreachable", _follow_unreachable)])
@pytest.mark.slow
def test_follow_with_a_failing_api_stopped_by_sigterm_leaks_no_secret(tmp_path, trap, secrets, name, setup):
    with planted_emulator(secrets) as emu:
        env = setup(emu, emulator_env(emu))
        out = tmp_path / "out.ndjson"
        proc = _popen_collect(tmp_path, trap, env, "--follow", "--interval", "1", "--output", str(out))
        deadline = time.time() + 20
        failed = 0
        while time.time() < deadline and proc.poll() is None:
            if out.exists():
                lines = [l for l in out.read_bytes().splitlines() if l.strip()]
                try:
                    failed = sum(1 for l in lines if orjson.loads(l).get("status") == "error")
                except orjson.JSONDecodeError:
                    failed = 0  # a line being written
            if failed >= 2:
                break
            time.sleep(0.2)
        notes = [] if failed >= 2 else [f"only {failed} failed polls were reported before the deadline"]
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        stdout, err, more = _finish(proc)
        outcome = Outcome(proc.returncode, stdout, err, out, notes + more)
        verdict(outcome, 130, tmp_path, secrets, trap, health=True, follow=True)


# ---- an authorization-code account whose refresh token Zoom refuses ---------------------------

APP_ID = "planted-general-app"


def write_auth_code_config(tmp_path, emu, redirect_port) -> tuple[Path, dict]:
    return auth_code_config(tmp_path, emu, redirect_port, APP_ID, CLIENT_SECRET)


def plant_token_file(path: Path, access_expires_at: int) -> None:
    path.write_bytes(
        orjson.dumps(
            {
                "client_id": APP_ID,
                "refresh_token": REFRESH_TOKEN,
                "access_token": STALE_ACCESS_TOKEN,
                "expires_at": access_expires_at,
                "token_type": "bearer",
                "scope": "report:read:admin",
                "version": 1,
                "saved_at": int(time.time()),
            }
        )
    )
    path.chmod(0o600)


@pytest.mark.parametrize("variant", ["planted_access_expired", "planted_access_rejected", "authorized_then_revoked"])
@pytest.mark.slow
def test_refused_refresh_token_leaks_no_secret(tmp_path, trap, secrets, variant):
    secrets.values.update(static_secrets(APP_ID))  # HTTP Basic credentials of this app's client ID
    tokens = tmp_path / "tokens.json"
    with planted_emulator(secrets, client_id=APP_ID) as emu:
        path, env = write_auth_code_config(tmp_path, emu, closed_port())
        if variant == "authorized_then_revoked":
            r = run_cli(
                ["authorize", "--config", str(path), "--timeout", "30"],
                base_env(tmp_path, trap, env),
                timeout=60,
                cwd=tmp_path,
            )
            assert r.returncode == 0, r.stderr.decode()
            stored = orjson.loads(tokens.read_bytes())
            assert stored["refresh_token"] in emu.refresh_tokens()["valid"]
            secrets.snapshot()  # revoking makes the emulator forget the access tokens it issued
        else:
            # a fresh-looking access token the API does not know, or an expired one: either way a refresh
            plant_token_file(tokens, int(time.time()) + (3000 if variant == "planted_access_rejected" else -10))
        emu.inject("revoke")
        outcome = collect(tmp_path, trap, env, "--config", str(path), state=False)
        verdict(outcome, 3, tmp_path, secrets, trap, "authorize", health=True, skip=(tokens,))


# ---- the scan itself ------------------------------------------------------------------------


class _IssuingStub:
    """Stands in for an emulator that issued one access and one refresh token."""

    def issued_tokens(self):
        return ["Issued-Access-Token-q1w2e3"]

    def refresh_tokens(self):
        return {"all": ["Issued-Refresh-Token-r4t5y6"]}


def test_the_scan_finds_every_kind_of_planted_secret_wherever_it_is(tmp_path):
    """A scan that finds nothing must mean there is nothing: each kind of secret, in each kind of output."""
    import sqlite3

    secrets = Secrets("some-client")
    secrets.watch(_IssuingStub())
    with sqlite3.connect(tmp_path / "state.sqlite3") as db:
        db.execute("CREATE TABLE meta (k TEXT, v TEXT)")
        db.execute("INSERT INTO meta VALUES ('last_error', ?)", ("token Issued-Access-Token-q1w2e3",))
    db.close()
    (tmp_path / "xdg").mkdir()
    (tmp_path / "xdg" / "out.ndjson").write_text('{"last_error": "http://x:plantedpass@h/"}\n')
    (tmp_path / "tokens.json").write_text(REFRESH_TOKEN)  # the token file is not scanned
    outcome = Outcome(
        0,
        f"Authorization: Basic {basic('some-client', CLIENT_SECRET)}\n".encode(),
        b"fine\nrefresh Issued-Refresh-Token-r4t5y6 and ?key=plantedkey\n",
    )
    found = leaks(outcome, tmp_path, secrets, skip=(tmp_path / "tokens.json",))
    expect = {
        "stderr line 2 carries the refresh token Issued... issued by the emulator",
        "stderr line 2 carries the URL query value",
        "stdout line 1 carries the client secret (HTTP Basic)",
        "xdg/out.ndjson line 1 carries the URL password",
        "state.sqlite3",
    }
    for prefix in expect:
        assert any(f.startswith(prefix) for f in found), (prefix, found)
    assert any("state.sqlite3" in f and "access token Issued... issued by the emulator" in f for f in found), found
    assert not any(f.startswith("tokens.json") for f in found), found
