"""Requests and answers checked against Datadog's published OpenAPI contract.

The contract is the slice of Datadog's OpenAPI descriptions kept in
contentkit/data/openapi/ (see its README): the same files the push scripts read.
Two checks, both by openapi-core (which resolves `$ref`, casts and validates query and
path parameters, checks the security headers and validates the JSON body against the
operation's request schema in the write context, so readOnly fields are refused):

- `published`: the description exactly as Datadog publishes it;
- `strict`: the same with every object schema closed (`additionalProperties: false`
  where the description leaves it open) and no query parameter the operation does not
  declare. Datadog's schemas leave objects open, so a field the API does not know (a
  create body's `type` sent to the update endpoint) passes the published check; the
  strict one names it.

`Recorder` wraps httpx.Client.send, so every request a push script makes, through
the real client, on replay of a cassette or against the fake, is checked.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import httpx
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from werkzeug.datastructures import Headers, ImmutableMultiDict

from contentkit.datadog_api import openapi

HOST = "https://api.datadoghq.com"


def version_of(path: str) -> str:
    return "v2" if path.startswith("/api/v2/") else "v1"


def close_schema(schema: Any) -> None:
    """Close every object schema in place: additionalProperties false where it has properties
    and says nothing of others (the walk knows the schema keywords, so a property named
    `properties` is not mistaken for the keyword)."""
    if not isinstance(schema, dict) or "$ref" in schema:
        return
    if isinstance(schema.get("properties"), dict):
        schema.setdefault("additionalProperties", False)
        for sub in schema["properties"].values():
            close_schema(sub)
    for key in ("items", "not", "additionalProperties"):
        close_schema(schema.get(key))
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(key) or []:
            close_schema(sub)


def _keys_only(spec: dict) -> dict:
    """The spec with each operation's security reduced to the alternatives made of API-key
    schemes: the push scripts authenticate with DD-API-KEY and DD-APPLICATION-KEY (the
    alternative every operation offers); openapi-core cannot check the OAuth2 (AuthZ) one,
    and would let it stand in for any request, keys or none."""
    spec = copy.deepcopy(spec)
    schemes = spec["components"]["securitySchemes"]

    def keys(requirements):
        return [r for r in requirements if all(schemes[name]["type"] == "apiKey" for name in r)]

    spec["security"] = keys(spec.get("security", []))
    for item in spec["paths"].values():
        for op in item.values():
            if "security" in op:
                op["security"] = keys(op["security"])
    return spec


def _closed(spec: dict) -> dict:
    strict = copy.deepcopy(spec)
    for schema in strict["components"].get("schemas", {}).values():
        close_schema(schema)
    for item in strict["paths"].values():
        for op in item.values():
            for media in ((op.get("requestBody") or {}).get("content") or {}).values():
                close_schema(media.get("schema"))
    return strict


@cache
def api(version: str, strict: bool = False) -> OpenAPI:
    spec = _keys_only(openapi(version))
    return OpenAPI.from_dict(_closed(spec) if strict else spec)


@cache
def _templates(version: str) -> list[tuple[re.Pattern, str]]:
    return [
        (re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(path)) + "$"), path)
        for path in openapi(version)["paths"]
    ]


def operation(method: str, path: str) -> tuple[str, dict] | None:
    """(path template, operation object) of the documented operation, or None."""
    version = version_of(path)
    for pattern, template in _templates(version):
        if pattern.match(path):
            op = openapi(version)["paths"][template].get(method.lower())
            return (template, op) if op else None
    return None


@dataclass
class Sent:
    """One request as openapi-core reads it (its Request protocol)."""

    method: str
    path: str
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    host_url: str = HOST

    def __post_init__(self) -> None:
        self.method = self.method.lower()
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(self.query), header=Headers(self.headers), cookie=ImmutableMultiDict(), path={}
        )

    @property
    def content_type(self) -> str:
        return "application/json" if self.body else ""

    @classmethod
    def from_httpx(cls, request: httpx.Request) -> Sent:
        return cls(
            request.method,
            request.url.path,
            list(request.url.params.multi_items()),
            dict(request.headers),
            request.content or None,
            f"{request.url.scheme}://{request.url.netloc.decode()}",
        )

    @classmethod
    def payload(cls, method: str, path: str, body: Any, query: dict | None = None) -> Sent:
        """A built payload as the scripts would send it, with placeholder keys."""
        headers = {"DD-API-KEY": "k", "DD-APPLICATION-KEY": "k", "Content-Type": "application/json"}
        content = None if body is None else json.dumps(body).encode()
        return cls(method, path, [(k, str(v)) for k, v in (query or {}).items()], headers, content)

    def line(self) -> str:
        query = "&".join(f"{k}={v}" for k, v in self.query)
        return f"{self.method.upper()} {self.path}" + (f"?{query}" if query else "")


@dataclass
class Answer:
    """A response as openapi-core reads it."""

    status_code: int
    headers: dict[str, str]
    data: bytes | None

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "application/json").split(";")[0]


def _leaves(error) -> list:
    """The innermost schema errors under one (a oneOf's error holds one list per branch)."""
    return [leaf for sub in error.context for leaf in _leaves(sub)] if error.context else [error]


def _error(exc: Exception) -> str:
    """The error and, for a schema error, its deepest causes (the branch of a oneOf that got
    furthest into the body is the one meant): where in the body, and what."""
    parts: list[str] = []
    cause: BaseException | None = exc
    while cause is not None:
        schema_errors = getattr(cause, "schema_errors", None) or []
        if not schema_errors:
            parts.append(str(cause).split(": Value ")[0][:300])  # not the whole body again
        leaves = [leaf for error in schema_errors for leaf in _leaves(error)]
        # a oneOf branch of another `type` (a widget's kind, a processor's) is not the one meant
        leaves = [e for e in leaves if not (e.validator == "enum" and list(e.absolute_path)[-1:] == ["type"])] or leaves
        if leaves:
            depth = max(len(leaf.absolute_path) for leaf in leaves)
            for leaf in leaves:
                if len(leaf.absolute_path) == depth:
                    parts.append(f"/{'/'.join(str(p) for p in leaf.absolute_path)}: {leaf.message[:200]}")
        cause = cause.__cause__
    return "; ".join(dict.fromkeys(parts))[:1000]


def request_problems(sent: Sent, security: bool = True) -> list[str]:
    """Every way `sent` breaks the contract (empty: none)."""
    found = operation(sent.method, sent.path)
    if found is None:
        return [f"{sent.line()}: not a documented operation of the slice"]
    template, op = found
    problems = []
    declared = {p.get("name") for p in op.get("parameters", [])} | {
        openapi(version_of(sent.path))["components"]["parameters"][p["$ref"].rsplit("/", 1)[1]]["name"]
        for p in op.get("parameters", [])
        if "$ref" in p
    }
    problems += [f"{sent.line()}: query parameter {k!r} is not declared" for k, _ in sent.query if k not in declared]
    if not security:
        sent = Sent(
            sent.method,
            sent.path,
            sent.query,
            {**sent.headers, "DD-API-KEY": "k", "DD-APPLICATION-KEY": "k"},
            sent.body,
        )
    for strict in (False, True):
        try:
            api(version_of(sent.path), strict).validate_request(sent)
        except Exception as exc:  # openapi-core raises its own validation errors, with the cause chained
            problems.append(f"{sent.line()} ({'strict' if strict else 'published'}): {_error(exc)}")
    return problems


def response_problems(sent: Sent, answer: Answer) -> list[str]:
    try:
        api(version_of(sent.path)).validate_response(sent, answer)
    except Exception as exc:
        return [f"{sent.line()} -> {answer.status_code}: {_error(exc)}"]
    return []


def without_update_oneof_quirk(problems: list[str]) -> list[str]:
    """All but one quirk of Datadog's published contract: the rule update's `queries` items are
    SecurityMonitoringRuleQuery, a oneOf of the standard and the signal query, both open objects
    with no required field in common, so a signal correlation query is "valid under each of" them
    as published (datadog-api-client reads it as the signal query; the strict check, every object
    closed, passes it)."""
    return [
        p
        for p in problems
        if not (
            p.startswith("PUT /api/v2/security_monitoring/rules/") and "(published)" in p and "valid under each of" in p
        )
    ]


class Recorder:
    """Every request sent through httpx.Client while installed, with its answer."""

    def __init__(self) -> None:
        self.exchanges: list[tuple[Sent, Answer | None]] = []

    def install(self, monkeypatch) -> Recorder:
        original = httpx.Client.send
        recorder = self

        def send(client, request, *args, **kwargs):
            sent = Sent.from_httpx(request)
            try:
                response = original(client, request, *args, **kwargs)
            except Exception:
                recorder.exchanges.append((sent, None))
                raise
            response.read()
            recorder.exchanges.append((sent, Answer(response.status_code, dict(response.headers), response.content)))
            return response

        monkeypatch.setattr(httpx.Client, "send", send)
        return self

    def request_problems(self) -> list[str]:
        return [p for sent, _ in self.exchanges for p in request_problems(sent)]

    def response_problems(self) -> list[str]:
        """The answers that should follow the contract: 2xx JSON ones."""
        return [
            p
            for sent, answer in self.exchanges
            if answer is not None and 200 <= answer.status_code < 300 and answer.data
            for p in response_problems(sent, answer)
        ]
