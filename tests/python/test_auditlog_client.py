"""The Python client (clients/python/auditlog_client.py) against a real auditlogd.

Usage: test_auditlog_client.py AUDITLOGD AUDITLOG_CLI   (CTest: auditlogd_python_client)
"""

import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "clients", "python"))
from auditlog_client import AuditlogClient, AuditlogError  # noqa: E402

AUDITLOGD = AUDITLOG = None


def start_daemon(log_dir, sock):
    """Starts auditlogd and returns once it printed its readiness line."""
    proc = subprocess.Popen([AUDITLOGD, "--dir", log_dir, "--socket", sock, "--service-id", "py"],
                            stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
    seen = b""
    deadline = time.monotonic() + 30
    while b"auditlogd: listening on" not in seen:
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("auditlogd did not start: %r" % seen)
        ready, _, _ = select.select([proc.stderr], [], [], 0.1)
        if ready:
            seen += os.read(proc.stderr.fileno(), 4096)
    return proc


def records(log_dir):
    out = subprocess.run([AUDITLOG, "query", log_dir], check=True, capture_output=True).stdout
    return {r["seq"]: r for r in map(json.loads, out.decode().splitlines())}


class ClientTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="auditlog-py-")
        self.log_dir = os.path.join(self.tmp, "log")
        self.sock = os.path.join(self.tmp, "d.sock")
        self.daemon = start_daemon(self.log_dir, self.sock)

    def tearDown(self):
        if self.daemon.poll() is None:
            self.daemon.kill()
            self.daemon.wait()
        self.daemon.stderr.close()
        shutil.rmtree(self.tmp)

    def stop(self):
        self.daemon.send_signal(signal.SIGTERM)
        self.assertEqual(self.daemon.wait(30), 0)

    def test_builtin_events_round_trip(self):
        events = [
            {"event_type": "auth_failure", "attempted_user": "mallory", "reason": "bad_password",
             "ip": "203.0.113.7", "path": "/v2/tasks", "service_id": "queen"},
            {"event_type": "token_revoked", "actor": {"user_id": "admin", "auth_method": "api_key"},
             "token_fingerprint": "a3f2c1", "reason": "leaked"},
            {"event_type": "pool_modified", "actor": {"user_id": "ops", "auth_method": "m_tls"},
             "pool_id": "p1", "changes": {"size": 4, "labels": ["gpu", "a100"]}},
        ]
        with AuditlogClient(self.sock) as log:
            seqs = [log.emit(e, durable=True) for e in events]
        self.stop()
        logged = records(self.log_dir)
        for seq, event in zip(seqs, events):
            self.assertEqual(logged[seq]["event"], event)
            self.assertEqual(logged[seq]["origin"]["pid"], os.getpid())
            self.assertEqual(logged[seq]["origin"]["uid"], os.getuid())

    def test_hostile_strings_are_neutralized(self):
        with AuditlogClient(self.sock) as log:
            seq = log.emit({"event_type": "auth_failure", "attempted_user": "eve\x1b[2J\u202e",
                            "ip": "192.0.2.9", "reason": "x"})
        self.stop()
        record = records(self.log_dir)[seq]
        self.assertEqual(record["event"]["attempted_user"], "eve<U+001B>[2J<U+202E>")
        self.assertIn("sanitized", record)

    def test_custom_events_take_the_criticality(self):
        with AuditlogClient(self.sock) as log:
            critical = log.emit({"event_type": "backup_failed", "disk": "sda"}, critical=True)
            routine = log.emit({"event_type": "backup_done", "bytes": 10})
        self.stop()
        logged = records(self.log_dir)
        self.assertTrue(logged[critical]["critical"])
        self.assertFalse(logged[routine]["critical"])

    def test_pipelined_responses_come_in_order(self):
        with AuditlogClient(self.sock) as log:
            for n in range(2000):
                log.send({"event_type": "step", "n": n}, durable=(n % 100 == 0),
                         request_id={"n": n})
            last = 0
            for n in range(2000):
                response = log.receive()
                self.assertEqual(response["id"], {"n": n})
                self.assertGreater(response["seq"], last)
                self.assertEqual(response["durable"], n % 100 == 0)
                last = response["seq"]

    def test_errors_name_the_problem(self):
        with AuditlogClient(self.sock) as log:
            with self.assertRaises(AuditlogError) as e:
                log.emit({"event_type": "auth_failure", "ip": "999.1.1.1"})
            self.assertEqual(e.exception.code, "invalid_argument")
            with self.assertRaises(AuditlogError) as e:
                log.emit({"event_type": "auth_failure", "colour": "red"})
            self.assertIn("colour", e.exception.message)
            log._sock.sendall(b'{"event":{"event_type":"x"},"origin":{"uid":0},"id":"o"}\n')
            response = log.receive()
            self.assertEqual(response["id"], "o")
            self.assertEqual(response["error"]["code"], "invalid_argument")
            self.assertIn('"origin"', response["error"]["message"])
            log._sock.sendall(b"{not json\n")
            response = log.receive()
            self.assertIsNone(response["id"])
            self.assertTrue(response["error"]["message"].startswith("request: not valid JSON"))
            self.assertGreater(log.emit({"event_type": "still_fine"}), 0)

    def test_emit_command_reads_stdin(self):
        event = '{\n  "event_type": "from_shell",\n  "host": "h1"\n}\n'
        done = subprocess.run([AUDITLOG, "emit", "--socket", self.sock, "--durable"],
                              input=event.encode(), capture_output=True)
        self.assertEqual(done.returncode, 0, done.stderr)
        seq = int(done.stdout)
        self.stop()
        self.assertEqual(records(self.log_dir)[seq]["event"],
                         {"event_type": "from_shell", "host": "h1"})


if __name__ == "__main__":
    AUDITLOGD, AUDITLOG = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
