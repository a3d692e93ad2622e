"""An account on a running local emulator, for `collect --emulated` and the demo."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from collector.config import AccountConfig
from emulator import Emulator, EmulatorConfig

log = logging.getLogger("zoom-activity-logs")


def account_for_emulator(name: str, emu: Emulator, **settings) -> AccountConfig:
    """A Server-to-Server account on the emulator `emu` (already started)."""
    cfg = emu.config
    return AccountConfig(
        name=name,
        auth="server_to_server",
        account_id=cfg.account_id,
        client_id=cfg.client_id,
        client_secret=cfg.client_secret,
        api_url=emu.api_url,
        token_url=emu.token_url,
        **settings,
    )


@contextmanager
def emulated_account(name: str, keep_state: bool) -> Iterator[AccountConfig]:
    """The built-in emulated account, served while the block runs; without `keep_state`
    (no --state) its state lives in a temporary directory removed afterwards."""
    with Emulator(EmulatorConfig()) as emu, tempfile.TemporaryDirectory(prefix="zoom-activity-logs-") as tmp:
        acct = account_for_emulator(name, emu)
        if not keep_state:
            acct.state = Path(tmp) / "emulated.sqlite3"
            log.info("emulated account: state kept in a temporary file; pass --state to keep it between runs")
        yield acct
