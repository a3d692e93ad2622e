"""URLs as they may be shown: on stderr, in health lines, in exceptions.

A URL a user configured can carry a secret: user-info (`https://user:pass@host`)
or a query string (`?key=...`, a signed proxy link). Every place that shows a URL
shows it through `redact_url`, so no message can leak either.
"""

from __future__ import annotations

from urllib.parse import urlsplit

HIDDEN = "***"


def redact_url(url: object) -> str:
    """`scheme://host[:port]/path`, with any user-info, query and fragment replaced by ***."""
    text = str(url)
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<unparsable URL>"
    if not parts.scheme or not host:
        # Not an absolute URL: nothing tells which part is safe to show.
        return "<unparsable URL>"
    if ":" in host:
        host = f"[{host}]"
    netloc = (f"{HIDDEN}@" if "@" in parts.netloc else "") + host + (f":{port}" if port is not None else "")
    out = f"{parts.scheme}://{netloc}{parts.path}"
    if parts.query:
        out += f"?{HIDDEN}"
    if parts.fragment:
        out += f"#{HIDDEN}"
    return out
