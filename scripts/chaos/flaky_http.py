"""A local HTTP server for http stages: threaded stdlib `http.server` on 127.0.0.1.

Requests go to /item/KEY with the item as a JSON body. The answer for the n-th request the
server receives for a key is decided by `policy(key, n)`, a pure function of the seed, so
the expected attempt count of every item is computable before the run; the server records
every decision it made (key → [decision, …]) to compare with baton.attempts afterwards.

Decisions:
  ok        200, the body echoed with v := v + "/ok"
  slow      like ok after `slow_seconds` (below the stage's timeout)
  500       Internal Server Error
  429       Too Many Requests with Retry-After: 1
  reset     status line, headers and part of the body, then a TCP reset (a truncated answer:
            curl does not silently retry it, so one request = one Baton attempt)
  timeout   no answer for longer than the stage's timeout, then the connection is closed
  400       Bad Request (permanent)
  hang      no answer until the server stops (for shutdown tests)
"""

import hashlib
import json
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# Scenario 5's mix: (decision, weight), ~40 % of answers failing. Timeouts and slow answers
# are rare on purpose: a batch of an http stage commits when its slowest item is done.
FLAKY_MIX = [("ok", 56), ("slow", 1), ("500", 17), ("429", 10), ("reset", 12), ("timeout", 0.2), ("400", 0.6)]
FAILING = {"500", "429", "reset", "timeout", "400"}


def flaky_policy(seed, mix=FLAKY_MIX):
    total = sum(w for _, w in mix)

    def decide(key, n):
        h = hashlib.sha256(f"{seed}:{key}:{n}".encode()).digest()
        u = int.from_bytes(h[:8], "big") / 2 ** 64 * total
        for decision, weight in mix:
            if u < weight:
                return decision
            u -= weight
        return mix[-1][0]
    return decide


def expected_outcome(decide, key, max_attempts):
    """(final state, attempts made, failed attempts) Baton must end with for `key`."""
    for n in range(1, max_attempts + 1):
        d = decide(key, n)
        if d not in FAILING:
            return "done", n, n - 1
        if d == "400":
            return "failed", n, n
    return "failed", max_attempts, max_attempts


class FlakyServer:
    def __init__(self, policy=None, slow_seconds=0.3, timeout_seconds=3.0):
        self.policy = policy or (lambda key, n: "ok")
        self.slow_seconds = slow_seconds
        self.timeout_seconds = timeout_seconds
        self.delay = 0.0          # added to every answer (the zombie scenario's slow stage)
        self.hang_keys = None     # a predicate: keys whose requests never get an answer
        self.decisions = {}       # key -> [decision, ...]
        self.late = set()         # keys with an answer that took long (the machine is loaded):
                                  # the client may have timed out first, so its count is ambiguous
        self.late_after = None    # seconds
        self.in_flight = 0
        self.requests = 0
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stalls

            def log_message(self, *args):
                pass

            def do_GET(self):
                server._serve(self)

            do_POST = do_GET
            do_PUT = do_GET

        class Server(ThreadingHTTPServer):
            request_queue_size = 512  # the listen backlog: 64 connections at once must not wait for SYN retries
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass  # peers that went away (timeouts, killed processes) are expected here

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                       name="flaky-http", daemon=True)

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.thread.start()
        return self

    def close(self):
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    # -- one request ------------------------------------------------------------------------

    def _serve(self, h):
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        key = h.path.rsplit("/", 1)[-1]
        hang = self.hang_keys is not None and self.hang_keys(key)
        with self.lock:
            seen = self.decisions.setdefault(key, [])
            decision = "hang" if hang else self.policy(key, len(seen) + 1)
            seen.append(decision)
            self.in_flight += 1
            self.requests += 1
        started = time.monotonic()
        try:
            self._answer(h, decision, body)
        except (OSError, ConnectionError):
            h.close_connection = True
        finally:
            took = time.monotonic() - started - (self.slow_seconds if decision == "slow" else 0)
            with self.lock:
                self.in_flight -= 1
                if self.late_after is not None and decision not in ("timeout", "hang") and took > self.late_after:
                    self.late.add(key)

    def _answer(self, h, decision, body):
        if self.delay:
            self.stopping.wait(self.delay)
        if decision == "hang":
            self.stopping.wait()
            h.close_connection = True
            return
        if decision == "slow":
            self.stopping.wait(self.slow_seconds)
        if decision == "timeout":
            self.stopping.wait(self.timeout_seconds)
            h.close_connection = True
            return
        if decision in ("ok", "slow"):
            try:
                item = json.loads(body or b"{}")
            except ValueError:
                item = {}
            if isinstance(item, dict) and isinstance(item.get("v"), str):
                item["v"] += "/ok"
            self._send(h, 200, json.dumps(item).encode())
        elif decision == "500":
            self._send(h, 500, b'{"error": "chaos 500"}')
        elif decision == "429":
            self._send(h, 429, b'{"error": "slow down"}', {"Retry-After": "1"})
        elif decision == "400":
            self._send(h, 400, b'{"error": "chaos 400"}')
        elif decision == "reset":
            h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"id\": ")
            h.wfile.flush()
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            h.close_connection = True
            h.connection.close()

    @staticmethod
    def _send(h, status, payload, headers=None):
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(payload)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(payload)
