"""Requests and answers checked against Zoom's own OpenAPI text for the three reports.

The text is tests/zoom/openapi-reports.yaml (an excerpt of Zoom's Meetings document; its
header says what was transcribed from where). openapi-core reads it two ways:

- `published`: as Zoom publishes it (objects open, no `required` in two of the reports);
- `strict`: the answer's object schemas closed (an `allOf` merged into one object first, or
  each branch would refuse the other's keys), so a key the operation does not document is
  named, and no query parameter the operation does not declare.

Both also name a missing `required` parameter by hand: openapi-core fills a parameter's
default before it checks, and the meeting report's required `activity_type` has one.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path

import httpx
import yaml
from openapi_contract import Answer, Sent, close_schema
from openapi_core import OpenAPI

SPEC = Path(__file__).parent / "zoom" / "openapi-reports.yaml"
HOST = "https://api.zoom.us"
BASE = "/v2"  # the path of Zoom's server URL, https://api.zoom.us/v2

# Keys the emulator sends that Zoom's schema for the operation lacks, with the source saying
# Zoom sends them: the research notes on the two older reports ("Responses echo `from`, `to`,
# `page_size` and give `next_page_token`", from the pollers' code), which Zoom's schema for the
# operation logs does not list. They are typed as the sign-in report types its echo.
UNDOCUMENTED_KEYS = {"/report/operationlogs": ("from", "to")}


@cache
def spec() -> dict:
    return yaml.safe_load(SPEC.read_text("utf-8"))


def operation(path: str) -> dict | None:
    """The GET operation of a report path (`/report/...`, without the server's /v2)."""
    return spec()["paths"].get(path, {}).get("get")


def parameters(path: str) -> dict[str, dict]:
    op = operation(path)
    return {p["name"]: p for p in op["parameters"]} if op else {}


def merged(schema: dict) -> dict:
    """An `allOf` of object schemas as one object schema (its properties and requirements)."""
    if "allOf" not in schema:
        return schema
    out: dict = {"type": "object", "properties": {}}
    for part in schema["allOf"]:
        part = merged(part)
        out["properties"].update(part.get("properties", {}))
        if part.get("required"):
            out.setdefault("required", []).extend(part["required"])
    return out


def answer_schema(path: str) -> dict:
    op = operation(path)
    assert op is not None, path
    return merged(op["responses"]["200"]["content"]["application/json"]["schema"])


def records_key(path: str) -> str:
    """The one array of the answer: where the records are."""
    arrays = [k for k, v in answer_schema(path)["properties"].items() if v.get("type") == "array"]
    assert len(arrays) == 1, (path, arrays)
    return arrays[0]


def granular_scopes(path: str) -> list[str]:
    op = operation(path)
    assert op is not None, path
    return op.get("x-extensions", {}).get("x-granular-scopes") or op["x-granular-scopes"]


def enum(path: str, name: str) -> list:
    return parameters(path)[name]["schema"]["enum"]


@cache
def checkers() -> tuple[OpenAPI, OpenAPI]:
    """(published, strict). The OAuth2 requirement is dropped: openapi-core cannot check it
    (the emulator's scope checks have their own tests in test_emulator.py)."""
    published = copy.deepcopy(spec())
    for item in published["paths"].values():
        item["get"].pop("security", None)
    strict = copy.deepcopy(published)
    for path, item in strict["paths"].items():
        media = item["get"]["responses"]["200"]["content"]["application/json"]
        schema = copy.deepcopy(merged(media["schema"]))
        for key in UNDOCUMENTED_KEYS.get(path, ()):
            schema["properties"][key] = {"type": "string"}
        close_schema(schema)
        media["schema"] = schema
    return OpenAPI.from_dict(published), OpenAPI.from_dict(strict)


def _sent(path: str, query: list[tuple[str, str]]) -> Sent:
    return Sent("GET", BASE + path, query, {}, None, HOST)


def _describe(exc: Exception) -> str:
    """openapi-core's error and its causes, with the schema errors' place and message."""
    parts: list[str] = []
    cause: BaseException | None = exc
    while cause is not None:
        errors = getattr(cause, "schema_errors", None) or []
        for e in errors:  # a long message quotes the whole value: say which keyword failed instead
            message = e.message if len(e.message) <= 200 else f"fails {e.validator} {e.validator_value!r}"
            parts.append(f"/{'/'.join(str(p) for p in e.absolute_path)}: {message}")
        if not errors:
            parts.append(str(cause).split(": Value ")[0][:300])
        cause = cause.__cause__
    return "; ".join(dict.fromkeys(parts))[:1000]


def line(path: str, query: list[tuple[str, str]]) -> str:
    return f"GET {path}" + ("?" + "&".join(f"{k}={v}" for k, v in query) if query else "")


def request_problems(path: str, query: list[tuple[str, str]]) -> list[str]:
    """Every way a request for `path` with this query breaks Zoom's text (empty: none)."""
    where = line(path, query)
    if operation(path) is None:
        return [f"{where}: not an operation of the Zoom excerpt"]
    declared = parameters(path)
    names = [k for k, _ in query]
    problems = [f"{where}: query parameter {k!r} is not declared" for k in names if k not in declared]
    problems += [f"{where}: query parameter {k!r} is sent twice" for k in sorted(set(names)) if names.count(k) > 1]
    problems += [
        f"{where}: required query parameter {n!r} is missing"
        for n, p in declared.items()
        if p.get("required") and n not in names
    ]
    try:
        checkers()[0].validate_request(_sent(path, query))
    except Exception as exc:  # openapi-core raises its own validation errors, the cause chained
        problems.append(f"{where}: {_describe(exc)}")
    return problems


def response_problems(path: str, query: list[tuple[str, str]], response: httpx.Response) -> list[str]:
    """Every way a 200 answer breaks Zoom's schema, as published and closed."""
    answer = Answer(response.status_code, dict(response.headers), response.content)
    problems = []
    for name, checker in zip(("published", "strict"), checkers()):
        try:
            checker.validate_response(_sent(path, query), answer)
        except Exception as exc:
            problems.append(f"{line(path, query)} -> {response.status_code} ({name}): {_describe(exc)}")
    return problems
