"""A minimal Datadog API (security rules v2, log pipelines and dashboards v1),
shaped per Datadog's OpenAPI descriptions.

Used only to RECORD the push_rules cassettes (`pytest --record-mode=once`); the
tests replay those cassettes with record mode `none` and never need it. Like the
real API it adds fields we do not manage (ids, authors, versions, query
defaults), so the cassettes check that push_rules ignores them.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

RULES = "/api/v2/security_monitoring/rules"
API_KEY, APP_KEY = "test-api-key-0000", "test-app-key-0000"


class FakeDatadog:
    def __init__(self, port: int):
        self.rules: dict[str, dict] = {}
        self.next_id = 1
        self.fail_next_429 = False
        self.pipelines: dict[str, dict] = {}
        self.order: list[str] = ["pl-foreign-1"]
        self.dashboards: dict[str, dict] = {}
        self.server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def seed(self, body: dict) -> str:
        return self._store(dict(body))["id"]

    def _store(self, body: dict, rule_id: str | None = None) -> dict:
        rule_id = rule_id or f"abc-{self.next_id:03d}-xyz"
        if rule_id not in self.rules:
            self.next_id += 1
        version = self.rules.get(rule_id, {}).get("version", 0) + 1
        queries = [
            {"dataSource": "logs", "hasOptionalGroupByFields": False, "metrics": [], **q}
            for q in body.get("queries", [])
        ]
        rule = {
            **body,
            "queries": queries,
            "id": rule_id,
            "createdAt": 1764000000000,
            "creationAuthorId": 42,
            "isDefault": False,
            "isDeleted": False,
            "hasExtendedTitle": False,
            "version": version,
            "filters": [],
            "type": body.get("type", "log_detection"),
        }
        self.rules[rule_id] = rule
        return rule

    def seed_pipeline(self, body: dict) -> str:
        pid = f"pl-{len(self.pipelines) + 1:03d}"
        self.pipelines[pid] = {**body, "id": pid, "type": "pipeline", "is_read_only": False}
        self.order.append(pid)
        return pid

    def _v1(self, method, url, body):
        """Pipelines, pipeline order and dashboards; None when the path is not theirs."""
        pipes, order, dash = "/api/v1/logs/config/pipelines", "/api/v1/logs/config/pipeline-order", "/api/v1/dashboard"
        if url.path == pipes and method == "GET":
            return 200, list(self.pipelines.values())
        if url.path == pipes and method == "POST":
            pid = self.seed_pipeline(body)
            return 200, self.pipelines[pid]
        if url.path.startswith(pipes + "/") and method == "PUT":
            pid = url.path.rsplit("/", 1)[1]
            self.pipelines[pid] = {**body, "id": pid, "type": "pipeline", "is_read_only": False}
            return 200, self.pipelines[pid]
        if url.path == order:
            if method == "PUT":
                self.order = list(body["pipeline_ids"])
            return 200, {"pipeline_ids": self.order}
        if url.path == dash and method == "GET":
            return 200, {
                "dashboards": [
                    {
                        k: d.get(k)
                        for k in (
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
                    }
                    for d in self.dashboards.values()
                ]
            }
        if url.path == dash and method == "POST":
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
            return 200, self.dashboards[did]
        if url.path.startswith(dash + "/"):
            did = url.path.rsplit("/", 1)[1]
            if did not in self.dashboards:
                return 404, {"errors": ["Dashboard not found"]}
            if method == "PUT":
                self.dashboards[did] = {**self.dashboards[did], **body}
            return 200, self.dashboards[did]
        return None

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def _send(self, status, body=None, headers=()):
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers:
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _body(self):
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"null")

            def _route(self, method):
                url = urlparse(self.path)
                if self.headers.get("DD-API-KEY") != API_KEY or self.headers.get("DD-APPLICATION-KEY") != APP_KEY:
                    return self._send(403, {"errors": ["Forbidden"]})
                if fake.fail_next_429:
                    fake.fail_next_429 = False
                    return self._send(
                        429,
                        {"errors": ["Too many requests"]},
                        [
                            ("x-ratelimit-limit", "60"),
                            ("x-ratelimit-period", "10"),
                            ("x-ratelimit-remaining", "0"),
                            ("x-ratelimit-reset", "2"),
                            ("x-ratelimit-name", "security_monitoring_rules"),
                        ],
                    )
                body = self._body() if method in ("POST", "PUT") else None
                handled = fake._v1(method, url, body)
                if handled is not None:
                    return self._send(*handled)
                if url.path == RULES and method == "GET":
                    q = parse_qs(url.query)
                    size, number = int(q.get("page[size]", ["10"])[0]), int(q.get("page[number]", ["0"])[0])
                    items = list(fake.rules.values())
                    page = items[number * size : (number + 1) * size]
                    return self._send(
                        200,
                        {
                            "data": page,
                            "meta": {"page": {"total_count": len(items), "total_filtered_count": len(items)}},
                        },
                    )
                if url.path == RULES and method == "POST":
                    return self._send(200, fake._store(body))
                if url.path == RULES + "/validation" and method == "POST":
                    if "INVALID" in body.get("name", ""):
                        return self._send(400, {"errors": ["Invalid rule configuration: evaluationWindow"]})
                    return self._send(204)
                if url.path == RULES + "/test" and method == "POST":
                    payloads = body.get("ruleQueryPayloads", [])
                    flip = "MISMATCH" in body.get("rule", {}).get("name", "")
                    return self._send(
                        200, {"results": [(not p["expectedResult"]) if flip else p["expectedResult"] for p in payloads]}
                    )
                if url.path.startswith(RULES + "/"):
                    rule_id = url.path.rsplit("/", 1)[1]
                    if rule_id not in fake.rules:
                        return self._send(404, {"errors": ["Not found"]})
                    if method == "PUT":
                        return self._send(200, fake._store(body, rule_id))
                    if method == "DELETE":
                        del fake.rules[rule_id]
                        return self._send(204)
                return self._send(404, {"errors": ["Not found"]})

            def do_GET(self):
                self._route("GET")

            def do_POST(self):
                self._route("POST")

            def do_PUT(self):
                self._route("PUT")

            def do_DELETE(self):
                self._route("DELETE")

        return Handler
