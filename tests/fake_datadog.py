"""A minimal Datadog API (security rules v2, log pipelines and dashboards v1),
shaped per Datadog's OpenAPI descriptions (the slices in contentkit/data/openapi/).

The push_rules cassettes are recorded from it (`pytest tests/test_push_rules.py
--record-mode=rewrite`) and replayed with record mode `none`; the pipeline and
dashboard tests, and the large-organisation tests, run against it live on the
loopback interface. Like the real API it adds fields we do not manage (ids,
authors, versions, query defaults), so the tests check that the scripts ignore them.

Paging is as the OpenAPI description says:
- GET /api/v2/security_monitoring/rules: `page[size]` (default 10, at most 100: a
  larger one is a 400) and `page[number]` (from 0), with `meta.page.total_count`;
- GET /api/v1/dashboard: `count` (default 100; it serves at most 100 at a time) and
  `start` (an offset); no total;
- GET /api/v1/logs/config/pipelines and the pipeline order: the whole list, no paging;
- GET /api/v2/security_monitoring/configuration/suppressions: `page[size]` (default -1: "return
  all items") and `page[number]`, with `meta.page.totalCount` (SecurityMonitoringSuppressionsPageMeta).

Suppressions are JSON:API objects (`data`: `id`, `type: suppressions`, `attributes`); an update
(PATCH) changes the attributes it carries, and a date sent as null is removed, as
UpdateSecurityMonitoringSuppression says. A signal correlation rule whose query reads a ruleId the
fake does not hold is refused (400), so a placeholder never passes for an id.

Faults (`inject`) answer the next matching request(s) with a 429 (any reset), a 5xx,
an HTML page, a truncated JSON body, any JSON, or no answer at all (`hang`).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

RULES = "/api/v2/security_monitoring/rules"
SUPPRESSIONS = "/api/v2/security_monitoring/configuration/suppressions"
PIPELINES = "/api/v1/logs/config/pipelines"
ORDER = "/api/v1/logs/config/pipeline-order"
DASHBOARDS = "/api/v1/dashboard"
API_KEY, APP_KEY = "test-api-key-0000", "test-app-key-0000"
RULES_MAX_PAGE = 100  # PageSize: "The maximum allowed value is 100."
DASHBOARDS_MAX_COUNT = 100  # ListDashboards serves at most 100 dashboards per request
SUMMARY_FIELDS = (
    "id",
    "title",
    "description",
    "layout_type",
    "url",
    "author_handle",
    "created_at",
    "modified_at",
    "is_read_only",
)
HTML = b"<!DOCTYPE html><html><head><title>Sign in</title></head><body>Corporate proxy: sign in</body></html>"


class BadRequest(Exception):
    pass


def _int_param(query: dict, name: str, default: int) -> int:
    raw = query.get(name, [str(default)])[0]
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name}: {raw!r} is not an integer") from None
    if value < 0:
        raise BadRequest(f"{name} must not be negative")
    return value


def _int_param_signed(query: dict, name: str, default: int) -> int:
    raw = query.get(name, [str(default)])[0]
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f"{name}: {raw!r} is not an integer") from None
    if value < -1 or value == 0:
        raise BadRequest(f"{name} must be -1 (all) or positive")
    return value


class FakeDatadog:
    def __init__(self, port: int = 0):
        self.rules: dict[str, dict] = {}
        self.suppressions: dict[str, dict] = {}  # id -> SecurityMonitoringSuppression
        self.next_id = 1
        self.fail_next_429 = False
        self.pipelines: dict[str, dict] = {}
        self.order: list[str] = ["pl-foreign-1"]
        self.dashboards: dict[str, dict] = {}
        self.faults: list[dict] = []
        self.log: list[dict] = []  # every request: method, path, query, body
        self.released = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.released.set()  # a hung answer ends
        self.server.shutdown()
        self.server.server_close()

    # -- state --------------------------------------------------------------------------
    def seed(self, body: dict) -> str:
        return self._store(dict(body))["id"]

    def _store(self, body: dict, rule_id: str | None = None) -> dict:
        """Create, or update in place: an update changes the fields it carries (the whole
        `queries`, `cases` or `options` when given), as UpdateSecurityMonitoringRule says."""
        rule_id = rule_id or f"abc-{self.next_id:03d}-xyz"
        if rule_id not in self.rules:
            self.next_id += 1
        before = self.rules.get(rule_id, {})
        merged = {**before, **body}
        signal = merged.get("type") == "signal_correlation"
        added = {"metrics": []} if signal else {"dataSource": "logs", "hasOptionalGroupByFields": False, "metrics": []}
        queries = [{**added, **q} for q in merged.get("queries", [])]
        rule = {
            **merged,
            "queries": queries,
            "id": rule_id,
            "createdAt": 1764000000000,
            "creationAuthorId": 42,
            "isDefault": False,
            "isDeleted": False,
            "hasExtendedTitle": False,
            "version": before.get("version", 0) + 1,
            "filters": [],
            "type": merged.get("type", "log_detection"),
        }
        self.rules[rule_id] = rule
        return rule

    def seed_suppression(self, body: dict) -> str:
        """Store a create body (SecurityMonitoringSuppressionCreateRequest); its id."""
        sid = f"sup-{self.next_id:03d}"
        self.next_id += 1
        attributes = {
            **body["data"]["attributes"],
            "creation_date": 1764000000000,
            "update_date": 1764000000000,
            "creator": {"handle": "ci@example.com", "name": "CI"},
            "updater": {"handle": "ci@example.com", "name": "CI"},
            "editable": True,
            "version": 1,
        }
        self.suppressions[sid] = {"id": sid, "type": "suppressions", "attributes": attributes}
        return sid

    def seed_pipeline(self, body: dict) -> str:
        pid = f"pl-{len(self.pipelines) + 1:03d}"
        self.pipelines[pid] = {**body, "id": pid, "type": "pipeline", "is_read_only": False}
        self.order.append(pid)
        return pid

    def seed_dashboard(self, body: dict) -> str:
        did = f"abc-def-{len(self.dashboards) + 1:03d}"
        self.dashboards[did] = {
            **body,
            "id": did,
            "url": f"/dashboard/{did}",
            "author_handle": "ci@example.com",
            "created_at": "2026-11-27T00:00:00+00:00",
            "modified_at": "2026-11-27T00:00:00+00:00",
            "is_read_only": False,
        }
        return did

    def inject(self, kind: str, path: str | None = None, method: str | None = None, times: int = 1, **kw) -> None:
        """Answer the next `times` requests (of `method` on `path`, if given) with a fault:
        "429" (kw reset="2"), "5xx" (kw status=503), "html", "truncated", "json" (kw body=...),
        or "hang" (no answer until the fake stops)."""
        self.faults.append({"kind": kind, "path": path, "method": method, "times": times, **kw})

    def _fault(self, method: str, path: str) -> dict | None:
        for fault in self.faults:
            if fault["path"] in (None, path) and fault["method"] in (None, method):
                fault["times"] -= 1
                if fault["times"] <= 0:
                    self.faults.remove(fault)
                return fault
        return None

    def writes(self) -> list[str]:
        """Every write so far, as 'METHOD /path' (validation and test calls write nothing)."""
        return [
            f"{r['method']} {r['path']}"
            for r in self.log
            if r["method"] != "GET" and not r["path"].endswith(("/validation", "/test"))
        ]

    # -- the API --------------------------------------------------------------------------
    def _dashboards(self, method, path, query, body):
        if path == DASHBOARDS and method == "GET":
            count = min(_int_param(query, "count", 100), DASHBOARDS_MAX_COUNT)
            start = _int_param(query, "start", 0)
            page = list(self.dashboards.values())[start : start + count]
            return 200, {"dashboards": [{k: d.get(k) for k in SUMMARY_FIELDS} for d in page]}
        if path == DASHBOARDS and method == "POST":
            return 200, self.dashboards[self.seed_dashboard(body)]
        if path.startswith(DASHBOARDS + "/"):
            did = path.rsplit("/", 1)[1]
            if did not in self.dashboards:
                return 404, {"errors": ["Dashboard not found"]}
            if method == "PUT":
                self.dashboards[did] = {**self.dashboards[did], **body}
            return 200, self.dashboards[did]
        return None

    def _pipelines(self, method, path, query, body):
        if path == PIPELINES and method == "GET":
            return 200, list(self.pipelines.values())
        if path == PIPELINES and method == "POST":
            pid = self.seed_pipeline(body)
            return 200, self.pipelines[pid]
        if path.startswith(PIPELINES + "/") and method == "PUT":
            pid = path.rsplit("/", 1)[1]
            if pid not in self.pipelines:
                return 400, {"error": {"code": "InvalidArgument", "message": "Non existing pipeline"}}
            self.pipelines[pid] = {**body, "id": pid, "type": "pipeline", "is_read_only": False}
            return 200, self.pipelines[pid]
        if path == ORDER:
            if method == "PUT":
                self.order = list(body["pipeline_ids"])
            return 200, {"pipeline_ids": self.order}
        return None

    def _rules(self, method, path, query, body):
        if path == RULES and method == "GET":
            size = _int_param(query, "page[size]", 10)
            if size > RULES_MAX_PAGE:
                raise BadRequest(f"page[size] must be at most {RULES_MAX_PAGE}")
            number = _int_param(query, "page[number]", 0)
            items = list(self.rules.values())
            page = items[number * size : (number + 1) * size]
            return 200, {
                "data": page,
                "meta": {"page": {"total_count": len(items), "total_filtered_count": len(items)}},
            }
        if path == RULES and method == "POST":
            missing = self._unknown_rule_ids(body)
            if missing:
                return 400, {"errors": [f"Invalid rule configuration: unknown ruleId {missing[0]}"]}
            return 200, self._store(body)
        if path == RULES + "/validation" and method == "POST":
            if "INVALID" in body.get("name", ""):
                return 400, {"errors": ["Invalid rule configuration: evaluationWindow"]}
            return 204, None
        if path == RULES + "/test" and method == "POST":
            payloads = body.get("ruleQueryPayloads", [])
            flip = "MISMATCH" in body.get("rule", {}).get("name", "")
            return 200, {"results": [(not p["expectedResult"]) if flip else p["expectedResult"] for p in payloads]}
        if path.startswith(RULES + "/"):
            rule_id = path.rsplit("/", 1)[1]
            if rule_id not in self.rules:
                return 404, {"errors": ["Not found"]}
            if method == "PUT":
                missing = self._unknown_rule_ids(body)
                if missing:
                    return 400, {"errors": [f"Invalid rule configuration: unknown ruleId {missing[0]}"]}
                return 200, self._store(body, rule_id)
            if method == "DELETE":
                del self.rules[rule_id]
                return 204, None
        return None

    def _unknown_rule_ids(self, body: dict) -> list[str]:
        if body.get("type", "signal_correlation") != "signal_correlation":
            return []
        return [q["ruleId"] for q in body.get("queries", []) if "ruleId" in q and q["ruleId"] not in self.rules]

    def _suppressions(self, method, path, query, body):
        if path == SUPPRESSIONS and method == "GET":
            size = _int_param_signed(query, "page[size]", -1)
            number = _int_param(query, "page[number]", 0)
            items = list(self.suppressions.values())
            page = items if size == -1 else items[number * size : (number + 1) * size]
            meta = {"page": {"totalCount": len(items), "pageSize": size, "pageNumber": number}}
            return 200, {"data": page, "meta": meta}
        if path == SUPPRESSIONS and method == "POST":
            return 200, {"data": self.suppressions[self.seed_suppression(body)]}
        if path == SUPPRESSIONS + "/validation" and method == "POST":
            if "INVALID" in body["data"]["attributes"].get("name", ""):
                return 400, {"errors": ["invalid suppression query"]}
            return 204, None
        if path.startswith(SUPPRESSIONS + "/"):
            sid = path.rsplit("/", 1)[1]
            if sid not in self.suppressions:
                return 404, {"errors": ["Not found"]}
            if method == "PATCH":
                attributes = self.suppressions[sid]["attributes"]
                for key, value in body["data"]["attributes"].items():
                    if value is None:
                        attributes.pop(key, None)  # "If set to null, the ... date is removed"
                    else:
                        attributes[key] = value
                attributes["version"] += 1
                return 200, {"data": self.suppressions[sid]}
            if method == "DELETE":
                del self.suppressions[sid]
                return 204, None
        return None

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send_bytes(self, status, data: bytes, content_type="application/json", headers=()):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _send(self, status, body=None, headers=()):
                self._send_bytes(status, b"" if body is None else json.dumps(body).encode(), headers=headers)

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"null")

            def _apply(self, fault, status, body):
                kind = fault["kind"]
                if kind == "hang":
                    fake.released.wait(60)  # bounded: the test's client gives up long before
                    self.close_connection = True
                    return
                if kind == "429":
                    headers = [
                        ("x-ratelimit-limit", "60"),
                        ("x-ratelimit-period", "10"),
                        ("x-ratelimit-remaining", "0"),
                        ("x-ratelimit-reset", str(fault.get("reset", "2"))),
                        ("x-ratelimit-name", fault.get("name", "security_monitoring_rules")),
                    ]
                    return self._send(429, {"errors": ["Too many requests"]}, headers)
                if kind == "5xx":
                    return self._send(fault.get("status", 503), {"errors": ["Service unavailable"]})
                if kind == "html":
                    return self._send_bytes(200, HTML, "text/html; charset=utf-8")
                if kind == "truncated":
                    whole = json.dumps(body).encode()
                    return self._send_bytes(status, whole[: max(1, len(whole) // 2)])
                if kind == "json":
                    return self._send(200, fault["body"])
                raise AssertionError(f"unknown fault {kind}")

            def _route(self, method):
                url = urlparse(self.path)
                query = parse_qs(url.query)
                body = self._body() if method in ("POST", "PUT", "PATCH") else None
                fake.log.append({"method": method, "path": url.path, "query": query, "body": body})
                if self.headers.get("DD-API-KEY") != API_KEY or self.headers.get("DD-APPLICATION-KEY") != APP_KEY:
                    return self._send(403, {"errors": ["Forbidden"]})
                if fake.fail_next_429:
                    fake.fail_next_429 = False
                    return self._apply({"kind": "429"}, 429, None)
                fault = fake._fault(method, url.path)
                if fault is not None and fault["kind"] != "truncated":
                    return self._apply(fault, 200, None)
                try:
                    for part in (fake._dashboards, fake._pipelines, fake._suppressions, fake._rules):
                        handled = part(method, url.path, query, body)
                        if handled is not None:
                            break
                    else:
                        handled = 404, {"errors": ["Not found"]}
                except BadRequest as exc:
                    handled = 400, {"errors": [str(exc)]}
                if fault is not None:  # truncated: the real answer, cut in half
                    return self._apply(fault, *handled)
                return self._send(*handled)

            def do_GET(self):
                self._route("GET")

            def do_POST(self):
                self._route("POST")

            def do_PUT(self):
                self._route("PUT")

            def do_PATCH(self):
                self._route("PATCH")

            def do_DELETE(self):
                self._route("DELETE")

        return Handler
