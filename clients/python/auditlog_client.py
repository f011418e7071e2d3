"""A client for auditlogd, the auditlog daemon (docs/PROTOCOL.md). Standard library only.

    from auditlog_client import AuditlogClient, AuditlogError

    with AuditlogClient("/run/auditlogd/queen.sock") as log:
        seq = log.emit({"event_type": "auth_failure", "attempted_user": "mallory",
                        "reason": "bad_password", "ip": "203.0.113.7"})
        log.emit({"event_type": "backup_done", "bytes": 123}, durable=True, critical=True)

        # Pipelining: send many requests, then receive their responses in order.
        for n in range(1000):
            log.send({"event_type": "job_step", "n": n}, request_id=n)
        for n in range(1000):
            response = log.receive()      # {"id": n, "seq": ..., "durable": False}

A Client is not thread-safe: use one per thread (connections are cheap).
"""

import json
import socket

__all__ = ["AuditlogClient", "AuditlogError"]


class AuditlogError(Exception):
    """The daemon refused a request: `code` is the library's status code in snake_case
    ("invalid_argument", "buffer_full", "disk_space_low", ...), `message` says why, and
    `request_id` is the request's id as echoed by the daemon."""

    def __init__(self, code, message, request_id=None):
        super().__init__("%s: %s" % (code, message))
        self.code = code
        self.message = message
        self.request_id = request_id


class AuditlogClient:
    """One connection to auditlogd's Unix socket."""

    def __init__(self, socket_path, timeout=60.0):
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        self._sock.connect(socket_path)
        self._buffer = b""
        self._next_id = 0

    def close(self):
        self._sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def request_line(event, durable=False, critical=False, request_id=None):
        """The request's bytes. `event` is a dict (or the JSON text of one) whose first
        member is "event_type"."""
        event_json = event if isinstance(event, str) else json.dumps(
            event, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        # Raw line breaks appear in valid JSON only between tokens: spaces there.
        event_json = event_json.replace("\r", " ").replace("\n", " ")
        parts = ['{"event":', event_json, ',"durable":', "true" if durable else "false"]
        if critical:
            parts.append(',"critical":true')
        parts.append(',"id":')
        parts.append(json.dumps(request_id, separators=(",", ":")))
        parts.append("}\n")
        return "".join(parts).encode("utf-8", "surrogateescape")

    def send(self, event, durable=False, critical=False, request_id=None):
        """Sends one request without waiting for its response; returns its id (a counter
        when none is given). Responses come back in the order of the requests."""
        if request_id is None:
            request_id = self._next_id
            self._next_id += 1
        self._sock.sendall(self.request_line(event, durable, critical, request_id))
        return request_id

    def receive(self):
        """The next response as a dict: {"id", "seq", "durable"} or {"id", "error"}."""
        while b"\n" not in self._buffer:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("auditlogd closed the connection")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)

    def emit(self, event, durable=False, critical=False):
        """Logs one event and returns its seq. With durable=True it returns only once the
        event is fsync'ed. Raises AuditlogError when the daemon refuses it."""
        request_id = self.send(event, durable, critical)
        response = self.receive()
        if "error" in response:
            raise AuditlogError(response["error"]["code"], response["error"]["message"],
                                response.get("id"))
        if response.get("id") != request_id:
            raise ConnectionError("response out of order: %r" % (response,))
        return response["seq"]
