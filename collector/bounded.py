"""HTTP bodies read within a size and a time bound.

httpx's timeouts bound each read, not the whole body: a server (or a proxy in
between) that trickles a byte at a time, or never ends its body, would hang the
collector or fill its memory. Every request to Zoom goes through `request`.
"""

from __future__ import annotations

import time

import httpx
import orjson

# A page of 300 records is about 100 KB, a token answer under 2 KB: these bounds
# are far beyond any real answer.
MAX_BODY_BYTES = 64 * 2**20
MAX_BODY_SECONDS = 300.0


class TooMuch(Exception):
    """An answer past the size or time bound: retried like a network error."""


def request(http: httpx.Client, method: str, url: str, **kwargs) -> tuple[httpx.Response, bytes]:
    """The response and its whole body, or TooMuch / an httpx error."""
    started = time.monotonic()
    with http.stream(method, url, **kwargs) as response:
        chunks, size = [], 0
        for chunk in response.iter_bytes():
            size += len(chunk)
            if size > MAX_BODY_BYTES:
                raise TooMuch(f"an answer larger than {MAX_BODY_BYTES:,} bytes")
            if time.monotonic() - started > MAX_BODY_SECONDS:
                raise TooMuch(f"an answer still arriving after {MAX_BODY_SECONDS:.0f}s")
            chunks.append(chunk)
    return response, b"".join(chunks)


def json_or_none(content: bytes):
    """The body as JSON, or None when it is not JSON (truncated, an HTML error page)."""
    try:
        return orjson.loads(content)  # pages are large: the fast parser pays off
    except ValueError:
        return None
