"""An HTTP relay in front of a real OpenAI-compatible server, as a proxy or load balancer sits in front of one.

It keeps each completion request as it came in (``bodies``) and counts what the server generated for it
(``generated``: the ``usage`` of a whole answer or of a stream that ran to its end; for a stream the client
closed, the text chunks that came through, one a token on ``transformers serve``). With ``breaks`` it also
cuts the first ``breaks`` streamed answers off after ``events`` whole server-sent events, closing the
connection without the end of the body, as a failing proxy can. Used by the tests and by
``benchmarks/server.py``.
"""

from __future__ import annotations

import http.client
import http.server
import json
import threading
import urllib.parse


class Relay:
    def __init__(self, upstream: str, breaks: int = 0, events: int = 0) -> None:
        target = urllib.parse.urlsplit(upstream)
        host, port = target.hostname or "127.0.0.1", target.port or 80
        self.breaks, self.events = breaks, events
        self.broken = 0
        self.bodies: list[dict] = []  # each completion request as it came in
        self.generated: list[int] = []  # what the server generated for each, in the order they ended
        relay = self
        lock = threading.Lock()

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # chunked bodies, so a cut one is visibly incomplete

            def do_GET(self) -> None:
                self._forward(None)

            def do_POST(self) -> None:
                self._forward(self.rfile.read(int(self.headers.get("Content-Length", 0))))

            def _forward(self, body: bytes | None) -> None:
                request = json.loads(body) if body else {}
                with lock:
                    if body:
                        relay.bodies.append(request)
                    cut = bool(request.get("stream")) and relay.broken < relay.breaks
                    relay.broken += cut
                upstream = http.client.HTTPConnection(host, port, timeout=600)
                chunks, usage, events = 0, None, 0
                try:
                    headers = {"Content-Type": "application/json"} if body else {}
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    answer = upstream.getresponse()
                    self.send_response(answer.status)
                    self.send_header("Content-Type", answer.getheader("Content-Type", "application/json"))
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    while line := answer.readline():
                        if line.startswith(b"data: {"):
                            event = json.loads(line[6:])
                            usage = (event.get("usage") or {}).get("completion_tokens", usage)
                            chunks += any(c.get("text") for c in event.get("choices") or [])
                        elif line.startswith(b"{"):
                            usage = (json.loads(line).get("usage") or {}).get("completion_tokens")
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(line), line))
                        events += line == b"\n"
                        if cut and events == relay.events:
                            self.wfile.flush()
                            self.close_connection = True  # no last chunk: the client sees a body cut short
                            return
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    self.close_connection = True  # the client closed its stream
                finally:
                    upstream.close()  # so the server sees its client gone, as behind a real proxy
                    if body:
                        with lock:
                            relay.generated.append(usage if usage is not None else chunks)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
