"""An independent reading of the same contract: Stoplight Prism, a validating mock server
built from the OpenAPI slices, is sent every payload built from the repository.

Prism (npm @stoplight/prism-cli, JavaScript) shares no code with openapi-core, so a body
that one validator passes by a quirk of its own is caught by the other. It validates the
method and path, the query parameters, the key headers and the body against the
published (open) schemas. `bash .ci/run` installs it into ~/.cache/zoom-activity-logs/prism
(or set PRISM to a `prism` executable); without node or Prism the test skips and says why.
Prism runs on the loopback interface only and reads only the slices.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from openapi_contract import Sent, version_of
from test_openapi_contract import a_rule, built_requests, mutated

ROOT = Path(__file__).resolve().parent.parent
SLICES = ROOT / "contentkit" / "data" / "openapi"
INSTALLED = Path.home() / ".cache" / "zoom-activity-logs" / "prism" / "node_modules" / ".bin" / "prism"


def prism_bin() -> str:
    if shutil.which("node") is None:
        pytest.skip("node is not installed: Prism (a Node.js program) cannot run here")
    given = os.environ.get("PRISM")
    if given and not os.access(given, os.X_OK):
        pytest.skip(f"PRISM={given} is not an executable")
    found = given or (str(INSTALLED) if INSTALLED.exists() else shutil.which("prism"))
    if not found:
        pytest.skip(
            "Prism is not installed: npm install --prefix ~/.cache/zoom-activity-logs/prism @stoplight/prism-cli@5 "
            "(bash .ci/run does it)"
        )
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def prism() -> Iterator[dict[str, str]]:
    """One Prism mock per slice: {"v1": url, "v2": url}."""
    binary = prism_bin()
    procs, watchers, urls = [], [], {}
    try:
        for version in ("v1", "v2"):
            port = free_port()
            proc = subprocess.Popen(
                [binary, "mock", "-h", "127.0.0.1", "-p", str(port), str(SLICES / f"datadog-{version}.yaml")],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            procs.append(proc)
            ready = threading.Event()
            lines: list[str] = []

            def watch(proc=proc, ready=ready, lines=lines):
                for line in proc.stdout:
                    lines.append(line)
                    if "Prism is listening" in line:
                        ready.set()
                ready.set()

            watcher = threading.Thread(target=watch, daemon=True)
            watcher.start()
            watchers.append(watcher)
            if not ready.wait(120) or proc.poll() is not None:
                pytest.fail(f"Prism did not start on datadog-{version}.yaml:\n" + "".join(lines[-20:]))
            urls[version] = f"http://127.0.0.1:{port}"
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for watcher in watchers:
            watcher.join(10)  # it reads to the end of the output of a process that has ended
        for proc in procs:
            if proc.stdout is not None:
                proc.stdout.close()


def send(prism: dict[str, str], sent: Sent) -> httpx.Response:
    with httpx.Client(base_url=prism[version_of(sent.path)], timeout=30) as http:
        return http.request(
            sent.method.upper(),
            sent.path,
            params=tuple(sent.query),
            headers=sent.headers,
            content=sent.body or None,
        )


@pytest.mark.slow
def test_prism_accepts_every_built_payload(prism):
    refused = []
    for sent in built_requests(ambiguous=False):  # not the published oneOf quirk (openapi_contract)
        response = send(prism, sent)
        if response.status_code >= 400:
            refused.append(f"{sent.line()}: {response.status_code} {response.text[:500]}")
    assert refused == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "sent",
    [
        Sent.payload("POST", "/api/v2/security_monitoring/rules", mutated(["options", "evaluationWindow"], 7)),
        Sent.payload("GET", "/api/v1/dashboard", None, {"count": "all"}),
        Sent("GET", "/api/v2/security_monitoring/rules"),  # no keys
        Sent.payload("POST", "/api/v2/security_monitoring/rules", {**a_rule(), "queries": "a"}),
    ],
    ids=["enum", "query type", "no keys", "body type"],
)
def test_prism_refuses_what_breaks_the_contract(prism, sent):
    assert send(prism, sent).status_code >= 400
