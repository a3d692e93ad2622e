"""Shared helpers for the end-to-end tests (imported by test files; not fixtures)."""

import io
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import httpx

from collector.auth import ServerToServerAuth
from collector.client import ZoomClient
from collector.collect import Collector, Settings
from collector.ledger import Ledger
from collector.output import Sink
from collector.records import LOG_TYPES, fingerprint
from collector.retry import Waiter
from collector.windows import utc_today

PROJECT_FIELDS = ("log_type", "account", "record_id")


def zoom_fields(line: dict) -> dict:
    return {k: v for k, v in line.items() if k not in PROJECT_FIELDS}


def multiset(records) -> Counter:
    return Counter(fingerprint(r) for r in records)


def read_ndjson(data: bytes | str) -> list[dict]:
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def run_cli(args, env_extra=None, timeout=120, **kw) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ZOOM_")}
    env.update(env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "zoom_activity_logs", *args], capture_output=True, env=env, timeout=timeout, **kw
    )


def emulator_env(emu) -> dict:
    cfg = emu.config
    return {
        "ZOOM_ACCOUNT_ID": cfg.account_id,
        "ZOOM_CLIENT_ID": cfg.client_id,
        "ZOOM_CLIENT_SECRET": cfg.client_secret,
        "ZOOM_OAUTH_TOKEN_URL": emu.token_url,
        "ZOOM_API_URL": emu.api_url,
    }


class RecordingWaiter(Waiter):
    """Records the waits the code asks for instead of sleeping."""

    def __init__(self):
        super().__init__()
        self.sleeps = []
        self.clock = 1000.0

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.clock += max(0.0, seconds)

    def monotonic(self):
        # Time passes only when the code sleeps: pacing is asserted exactly.
        return self.clock


def clean_env() -> dict:
    """This process's environment without any ZOOM_ variable (a test sets its own)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("ZOOM_")}


def emulated_truth(emu, since, until) -> list[dict]:
    """Every record the emulator holds for these days, all three reports."""
    return [r for kind in LOG_TYPES for r in emu.truth(kind, since, until)]


class FastWaiter(Waiter):
    """Rate-limit and back-off waits shortened (and recorded) so fault tests run quickly."""

    def __init__(self):
        super().__init__()
        self.asked = []

    def sleep(self, seconds):
        self.asked.append(seconds)
        super().sleep(min(seconds, 0.01))


class EmulatedRun:
    """An in-process collector wired to an emulator, with its output in memory (or `sink`)."""

    def __init__(self, emu, state, account="default", lookback_days=1, sink=None, timeout=10.0):
        self.buffer = io.BytesIO()
        self.http = httpx.Client(timeout=httpx.Timeout(timeout, connect=max(timeout, 2.0)))
        cfg = emu.config
        self.waiter = FastWaiter()
        auth = ServerToServerAuth(
            self.http, emu.token_url, cfg.account_id, cfg.client_id, cfg.client_secret, self.waiter
        )
        self.client = ZoomClient(self.http, emu.api_url, auth, self.waiter, attempts=8)
        self.ledger = Ledger(state, account, utc_today())
        self.collector = Collector(
            self.client,
            self.ledger,
            sink or Sink(self.buffer, durable=False),
            Settings(account=account, lookback_days=lookback_days),
            self.waiter,
        )

    def lines(self):
        return read_ndjson(self.buffer.getvalue())

    def close(self):
        self.ledger.close()
        self.http.close()


# A "browser" for authorize: follows Zoom's consent redirect to the collector's listener.
BROWSER = f'{sys.executable} -c "import httpx,sys; httpx.get(sys.argv[1], follow_redirects=True, timeout=20)" %s'


def auth_code_config(tmp_path, emu, redirect_port, client_id, client_secret):
    """A config with one authorization_code account on the emulator, and the environment
    its secrets come from: (path, env)."""
    path = tmp_path / "accounts.yaml"
    path.write_text(f"""version: 1
accounts:
  - name: user-app
    auth: authorization_code
    client_id: {{env: APP_CLIENT}}
    client_secret: {{env: APP_SECRET}}
    api_url: {emu.api_url}
    oauth_url: {emu.base_url}
    token_file: tokens.json
    state: state.sqlite3
    redirect_uri: http://127.0.0.1:{redirect_port}/callback
    max_rps: 0
""")
    return path, {"APP_CLIENT": client_id, "APP_SECRET": client_secret, "BROWSER": BROWSER}


def content_copy(root: Path, parts=("pipelines", "siem_rules", "docs")) -> Path:
    """A copy of the content pack (and its lock) under `root`, for tests that edit it."""
    from contentkit.load import ROOT

    for name in parts:
        shutil.copytree(ROOT / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "content.lock.json", root / "content.lock.json")
    return root


def new_value_rule(**options):
    """A new_value rule per @usr.email on @country with these newValueOptions (engine tests)."""
    return {
        "name": "nv",
        "queries": [
            {
                "name": "a",
                "query": "source:zoom_activity_logs",
                "aggregation": "new_value",
                "groupByFields": ["@usr.email"],
                "metrics": ["@country"],
            }
        ],
        "cases": [{"name": "new", "status": "medium"}],
        "options": {
            "detectionMethod": "new_value",
            "evaluationWindow": 0,
            "keepAlive": 0,
            "maxSignalDuration": 0,
            "newValueOptions": options,
        },
    }
