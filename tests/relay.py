"""An HTTP relay in front of a real server that breaks streamed answers on purpose, as a proxy or a
load balancer can: the first ``breaks`` streamed answers are cut off after ``events`` whole server-sent
events, the connection closed without the end of the body. Everything else passes through unchanged."""

from __future__ import annotations

import http.client
import http.server
import json
import threading
import urllib.parse


class Relay:
    def __init__(self, upstream: str, breaks: int, events: int) -> None:
        target = urllib.parse.urlsplit(upstream)
        self.host, self.port = target.hostname or "127.0.0.1", target.port or 80
        self.breaks, self.events = breaks, events
        self.broken = 0
        self.bodies: list[dict] = []  # each completion request as it came in
        relay = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # chunked bodies, so a cut one is visibly incomplete

            def do_GET(self) -> None:
                self._forward(None)

            def do_POST(self) -> None:
                self._forward(self.rfile.read(int(self.headers.get("Content-Length", 0))))

            def _forward(self, body: bytes | None) -> None:
                request = json.loads(body) if body else {}
                if body:
                    relay.bodies.append(request)
                upstream = http.client.HTTPConnection(relay.host, relay.port, timeout=60)
                headers = {"Content-Type": "application/json"} if body else {}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                self.send_response(answer.status)
                self.send_header("Content-Type", answer.getheader("Content-Type", "application/json"))
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                cut = bool(request.get("stream")) and relay.broken < relay.breaks
                if cut:
                    relay.broken += 1
                events = 0
                while line := answer.readline():
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                    events += line == b"\n"
                    if cut and events == relay.events:
                        self.wfile.flush()
                        self.close_connection = True  # no last chunk: the client sees a body cut short
                        upstream.close()  # and the server a client gone, as behind a real proxy
                        return
                self.wfile.write(b"0\r\n\r\n")
                upstream.close()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
