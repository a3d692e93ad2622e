"""Accounts to collect: from a YAML file (many accounts) or from environment variables (one).

The file is validated with collector/schemas/config.schema.json. Secrets are
references to environment variables, resolved here at start-up; a problem is
one line naming the file and the field, and never echoes a value (a user who
pasted a secret inline must not see it printed back into their logs).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import orjson
import yaml

from .client import ACTIVITY_CODES, ACTIVITY_TYPES
from .errors import UsageError
from .records import LOG_TYPES

CLOUDS = {
    # name -> (API base, OAuth host)
    "zoom": ("https://api.zoom.us/v2", "https://zoom.us"),
    "zoomgov": ("https://api.zoomgov.com/v2", "https://zoomgov.com"),
}
DEFAULTS = {"log_types": list(LOG_TYPES), "category": None, "lookback_days": 1, "max_rps": 5.0, "daily_reserve": 1000}
# the meeting activity report's filters (the config file's keys; the flags are --activity-type, ...)
MEETING_FILTERS = ("activity_type", "meeting_number", "search_key")
SEARCH_KEY_MAX = 128


@dataclasses.dataclass
class AccountConfig:
    name: str
    auth: str  # server_to_server | authorization_code
    client_id: str
    client_secret: str = dataclasses.field(repr=False)
    account_id: str | None = None
    api_url: str = CLOUDS["zoom"][0]
    oauth_url: str = CLOUDS["zoom"][1]
    token_url: str = ""
    log_types: tuple[str, ...] = LOG_TYPES
    category: str | None = None
    activity_type: str | None = None
    meeting_number: str | None = None
    search_key: str | None = None
    lookback_days: int = 1
    max_rps: float = 5.0
    daily_reserve: int = 1000
    state: Path | None = None
    token_file: Path | None = None
    redirect_uri: str | None = None
    # where each credential came from, for messages ("ZOOM_CLIENT_ID and ...")
    names: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.token_url = self.token_url or self.oauth_url.rstrip("/") + "/oauth/token"

    @property
    def authorize_url(self) -> str:
        return self.oauth_url.rstrip("/") + "/oauth/authorize"


@cache
def schema() -> dict:
    return orjson.loads(resources.files("collector").joinpath("schemas/config.schema.json").read_bytes())


def _where(path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _message(error: jsonschema.ValidationError, field: str | None = None) -> str:
    """The schema error without the offending value (it may be a pasted secret)."""
    kind = error.validator
    expected: Any = error.validator_value  # a keyword's value in the schema: a list, a string, ...
    if kind == "required":
        instance: Any = error.instance
        missing = [p for p in expected if p not in (instance or {})]
        return f"missing {', '.join(missing)}"
    if kind in ("additionalProperties", "unevaluatedProperties"):
        here: Any = error.schema
        allowed = set(here.get("properties", {})) | set(schema()["$defs"]["collection"]["properties"])
        extra = sorted(k for k in error.instance if k not in allowed) if isinstance(error.instance, dict) else []
        return f"unknown field {', '.join(extra)}" if extra else error.message
    if kind == "enum":
        return "must be one of " + ", ".join(str(v) for v in expected)
    if kind == "const":
        return f"must be {error.validator_value!r}"
    if kind == "type":
        if error.validator_value == "object" and error.path and error.path[-1] == "client_secret":
            return "must be a reference to an environment variable ({env: NAME}), never the secret itself"
        return f"must be of type {error.validator_value}"
    if kind == "pattern":
        field = field or (str(error.path[-1]) if error.path else "")
        if field in ("api_url", "oauth_url", "redirect_uri", "url"):
            return (
                "must be an https URL (or http on 127.0.0.1/localhost for a local emulator), "
                "without user-info or query string"
            )
        if field == "name":
            return "must be lower-case letters, digits, '.', '_' or '-' (at most 63), starting with a letter or digit"
        return "has an invalid format"
    if kind == "oneOf":
        return "must be a string or a reference to an environment variable ({env: NAME})"
    if kind == "not":
        return (
            "has fields that do not apply to this auth kind (account_id is for server_to_server; "
            "token_file and redirect_uri for authorization_code)"
        )
    if kind in ("minimum", "maximum", "minItems", "uniqueItems", "minLength"):
        return f"violates {kind} {error.validator_value}"
    return f"is invalid ({kind})"


def check_value(definition: str, value, shown_as: str) -> None:
    """Check one value (a flag, an environment variable) against the definition the
    config file's schema gives it, e.g. "url" or "collection/properties/max_rps":
    the same rule whichever way a setting is given. The value is never echoed."""
    subschema = {"$defs": schema()["$defs"], "$ref": f"#/$defs/{definition}"}
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(subschema).iter_errors(value))
    if error is not None:
        raise UsageError(f"{shown_as}: {_message(error, definition.rsplit('/', 1)[-1])}")


def meeting_filter(field: str, value, shown_as: str) -> str:
    """A meeting activity filter in the form sent to Zoom, or UsageError (one line).

    activity_type: one of Zoom's enum names in any case, or its numeric code (-1, 0-5, 9),
    sent as the enum name (so a name and its code are one filter). meeting_number: digits,
    with or without the spaces Zoom displays ("982 610 0285"), sent as digits.
    search_key: an operator's name or email, sent as given (never echoed back).
    """
    text = str(value).strip()
    if field == "activity_type":
        by_name = {name.lower(): name for name in ACTIVITY_TYPES}
        name = by_name.get(text.lower()) or ACTIVITY_CODES.get(text)
        if name is None:
            names = ", ".join(f"'{n}'" for n in ACTIVITY_TYPES)
            raise UsageError(f"{shown_as}: must be one of {names} (or a code: {', '.join(ACTIVITY_CODES)})")
        return name
    if field == "meeting_number":
        digits = text.replace(" ", "")
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 20:
            raise UsageError(f"{shown_as}: must be a meeting number: digits, with or without spaces (982 610 0285)")
        return digits
    if field == "search_key":
        if not text or len(text) > SEARCH_KEY_MAX or not text.isprintable():
            raise UsageError(
                f"{shown_as}: must be an operator's name or email: 1 to {SEARCH_KEY_MAX} printable characters"
            )
        return text
    raise ValueError(field)


def check_state_paths(accounts: list[AccountConfig], default_path) -> None:
    """Two accounts on one state file would count each other's records as written."""
    seen: dict[object, str] = {}
    for acct in accounts:
        path = Path(acct.state or default_path(acct.name))
        try:
            st = path.stat()
            key: object = (st.st_dev, st.st_ino)  # the file itself: symlinks and hard links too
        except OSError:
            key = os.path.realpath(path)
        if key in seen:
            raise UsageError(
                f"accounts {seen[key]} and {acct.name} share the state file {path}; "
                "each account needs its own (set `state:` per account)"
            )
        seen[key] = acct.name


def load_config(path: str | Path, env: Mapping[str, str] | None = None) -> list[AccountConfig]:
    env = os.environ if env is None else env
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: no such config file") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: not UTF-8 text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
        raise UsageError(f"{path}{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: (list(map(str, e.absolute_path)), e.validator))
    if errors:
        # the deepest error is the most precise one for the first place that is wrong
        first = max(
            (e for e in errors if list(e.absolute_path)[:1] == list(errors[0].absolute_path)[:1]),
            key=lambda e: len(e.absolute_path),
        )
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise UsageError(f"{path}: {_where(first.absolute_path)}: {_message(first)}{more}")

    defaults = {**DEFAULTS, **(data.get("defaults") or {})}
    accounts, names = [], set()
    for i, raw in enumerate(data["accounts"]):
        where = f"{path}: accounts[{i}] ({raw['name']})"
        if raw["name"] in names:
            raise UsageError(f"{where}: name used by another account")
        names.add(raw["name"])
        merged = {**defaults, **raw}
        sources: dict[str, str] = {}  # where each credential came from, for error messages
        api_default, oauth_default = CLOUDS[raw.get("cloud", "zoom")]
        base = Path(path).parent

        def local(p, base=base):
            return None if p is None else (base / Path(p).expanduser())

        found = {}
        for field in MEETING_FILTERS:
            if merged.get(field) is not None:
                place = f"accounts[{i}]" if field in raw else "defaults"
                found[field] = meeting_filter(field, merged[field], f"{path}: {place}.{field}")
        client = _resolve(raw, "client_id", f"accounts[{i}]", where, env, sources) or ""  # required: never empty
        secret = _resolve(raw, "client_secret", f"accounts[{i}]", where, env, sources) or ""
        account_id = _resolve(raw, "account_id", f"accounts[{i}]", where, env, sources)
        accounts.append(
            AccountConfig(
                name=raw["name"],
                auth=raw["auth"],
                client_id=client,
                client_secret=secret,
                account_id=account_id,
                api_url=raw.get("api_url", api_default),
                oauth_url=raw.get("oauth_url", oauth_default),
                log_types=tuple(t for t in LOG_TYPES if t in merged["log_types"]),
                category=merged.get("category"),
                activity_type=found.get("activity_type"),
                meeting_number=found.get("meeting_number"),
                search_key=found.get("search_key"),
                lookback_days=merged["lookback_days"],
                max_rps=float(merged["max_rps"]),
                daily_reserve=merged["daily_reserve"],
                state=local(raw.get("state")),
                token_file=local(raw.get("token_file")),
                redirect_uri=raw.get("redirect_uri"),
                names={
                    "client": f"{sources['client_id']} and {sources['client_secret']}",
                    "account": sources.get("account_id", "account_id"),
                },
            )
        )
    return accounts


def _resolve(
    raw: dict, field: str, place: str, where: str, env: Mapping[str, str], sources: dict[str, str]
) -> str | None:
    """A config value, or the environment variable it references ({env: NAME})."""
    value = raw.get(field)
    if isinstance(value, dict):
        var = value["env"]
        sources[field] = var
        resolved = env.get(var, "").strip()
        if not resolved:
            raise UsageError(f"{where}.{field}: environment variable {var} is not set")
        return resolved
    if value is not None:
        sources[field] = f"{place}.{field}"
    return value


def account_from_env(name: str, env: Mapping[str, str] | None = None) -> AccountConfig:
    """One Server-to-Server account from ZOOM_ACCOUNT_ID / ZOOM_CLIENT_ID / ZOOM_CLIENT_SECRET."""
    env = os.environ if env is None else env
    missing = [n for n in ("ZOOM_ACCOUNT_ID", "ZOOM_CLIENT_ID", "ZOOM_CLIENT_SECRET") if not env.get(n, "").strip()]
    if missing:
        raise UsageError(
            f"{', '.join(missing)} not set: export the Server-to-Server OAuth app's credentials, pass --config FILE "
            "(or use --emulated to try the built-in emulated account)"
        )
    api_url = env.get("ZOOM_API_URL", "").strip() or CLOUDS["zoom"][0]
    token_url = env.get("ZOOM_OAUTH_TOKEN_URL", "").strip() or CLOUDS["zoom"][1] + "/oauth/token"
    check_value("url", api_url, "ZOOM_API_URL")
    check_value("url", token_url, "ZOOM_OAUTH_TOKEN_URL")
    return AccountConfig(
        name=name,
        auth="server_to_server",
        account_id=env["ZOOM_ACCOUNT_ID"].strip(),
        client_id=env["ZOOM_CLIENT_ID"].strip(),
        client_secret=env["ZOOM_CLIENT_SECRET"].strip(),
        api_url=api_url,
        token_url=token_url,
        names={"api_url": "ZOOM_API_URL", "token_url": "ZOOM_OAUTH_TOKEN_URL"},
    )
