"""Local Zoom emulator: Server-to-Server and user-managed (authorization code, PKCE,
rotating refresh tokens) OAuth and the three audit report endpoints,
over a seeded, realistic account, with fault injection for tests and benchmarks."""

from .config import EmulatorConfig
from .emulator import Emulator

__all__ = ["Emulator", "EmulatorConfig", "serve_forever"]


def serve_forever(cfg: EmulatorConfig) -> int:
    """Run until Ctrl-C (see cli.serve_forever)."""
    from .cli import serve_forever as _serve

    return _serve(cfg)
