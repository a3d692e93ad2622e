"""HTTP/1.1 wire layer: a quiet threading server that hands parsed requests to ZoomApi.

Kept apart from api.py so the Zoom rules read without socket details, and so the
odd ways a connection can fail (reset, truncated body) live in one place.
"""

from __future__ import annotations

import secrets
import socket
import struct
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from .api import Reply, ZoomApi


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like Zoom's front end
    server_version = "ZoomEmulator"
    sys_version = ""
    disable_nagle_algorithm = True  # small replies must not wait for delayed ACKs
    timeout = 300  # drop idle keep-alive connections eventually

    server: EmulatorHTTPServer

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        pass  # quiet: no per-request lines, and nothing that could carry a credential

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _serve(self, method: str) -> None:
        try:
            body = self._read_body()
        except ValueError:
            self.close_connection = True
            self._send(Reply(400, b'{"code":300,"message":"Bad request."}'))
            return
        url = urlsplit(self.path)
        reply = self.server.api.handle(method, url.path, url.query, self.headers, body)
        if reply.action == "reset":
            self.server.api.record_status(None)
            self._reset()
            return
        self.server.api.record_status(reply.status)
        self._send(reply)

    def _reset(self) -> None:
        # SO_LINGER 0 makes close() send RST: the client sees a reset, not a clean EOF.
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def _send(self, reply: Reply) -> None:
        try:
            phrase = HTTPStatus(reply.status).phrase
        except ValueError:
            phrase = ""
        body = reply.body
        lines = [
            f"HTTP/1.1 {reply.status} {phrase}",
            f"Date: {self.date_time_string()}",
            f"Content-Type: {reply.content_type}",
            f"Content-Length: {len(body)}",
            f"x-zm-trackingid: v=2.0;clid=us06;rid=WEB_{secrets.token_hex(16)}",
        ]
        lines.extend(f"{k}: {v}" for k, v in reply.headers)
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if reply.action == "truncate":
            # Promise the whole body, deliver half, hang up.
            self.close_connection = True
            self.server.api.count_truncated()
            self.wfile.write(head + body[: len(body) // 2])
            return
        self.wfile.write(head + body)  # one write: header and body in one segment burst


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = False
    block_on_close = True  # server_close() joins handler threads: stop() leaves nothing behind
    allow_reuse_address = True

    def __init__(self, address, api: ZoomApi) -> None:
        self.api = api
        self._conns: set = set()
        self._conns_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request, client_address) -> None:
        with self._conns_lock:
            self._conns.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._conns_lock:
            self._conns.discard(request)
        super().shutdown_request(request)

    def close_connections(self) -> None:
        """Wake handler threads parked on idle keep-alive connections so they exit."""
        with self._conns_lock:
            conns = list(self._conns)
        for conn in conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def handle_error(self, request, client_address) -> None:
        pass  # clients hanging up mid-reply are normal here (and faults cause them on purpose)
