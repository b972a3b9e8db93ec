"""HTTPS to the data plane through the libcurl and OpenSSL the extension loads (in the wheel,
the copies bundled in ruddercore.libs/): delivered when ca_bundle trusts the server's
certificate, refused when nothing does.  The server is a small TLS endpoint in this process on
127.0.0.1 with the self-signed test certificate in tls/ (valid until 2126, for 127.0.0.1)."""
import gzip
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import threading

import pytest

import ruddercore
from conftest import WRITE_KEY

TLS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tls")
CERT = os.path.join(TLS_DIR, "cert.pem")


class _BatchHandler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        self.server.batches.append(json.loads(body)["batch"])
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"OK")

    def log_message(self, *args):
        pass


@pytest.fixture
def tls_dataplane():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _BatchHandler)
    server.batches = []
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(CERT, os.path.join(TLS_DIR, "key.pem"))
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, "https://127.0.0.1:%d" % server.server_address[1]
    server.shutdown()
    server.server_close()
    thread.join(10)


def test_https_delivers_with_a_ca_bundle_that_trusts_the_server(tls_dataplane):
    server, url = tls_dataplane
    with ruddercore.Client(WRITE_KEY, url, ca_bundle=CERT, flush_interval=50) as c:
        mid = c.track("user-1", "Over TLS")
        assert c.flush(30) == 0
    assert [e["messageId"] for batch in server.batches for e in batch] == [mid]


def test_https_refuses_a_server_nothing_trusts(tls_dataplane):
    server, url = tls_dataplane
    failures = []
    with ruddercore.Client(WRITE_KEY, url, retry_count=0, flush_interval=50,
                           on_error=lambda err, events: failures.append(err)) as c:
        c.track("user-1", "Not Over TLS")
        assert c.flush(30) == 0
    assert server.batches == []
    assert [f.name for f in failures] == ["RUDDER_ERR_TRANSPORT"]
    assert "certificate" in str(failures[0]).lower(), str(failures[0])


CHILD_SENDS_ONE = """
import sys, ruddercore
failures = []
with ruddercore.Client(sys.argv[1], sys.argv[2], retry_count=0, flush_interval=50,
                       on_error=lambda err, events: failures.append(str(err))) as c:
    c.track("user-1", "Found The System CA File")
    c.flush(30)
print(failures)
sys.exit(1 if failures else 0)
"""


def _can_mount_privately():
    """root, unshare(1), and a kernel/container that lets us make a mount namespace and mount."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-m", "sh", "-c", "mount -t tmpfs tmpfs /mnt"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount_privately(),
                    reason="needs root and a private mount namespace (unshare -m, mount)")
def test_https_finds_the_system_ca_file_where_another_distribution_keeps_it(tls_dataplane):
    # In a private mount namespace Debian's CA store (/etc/ssl/certs, where our libcurl was built
    # to look) is hidden and the only bundle is at /etc/ssl/cert.pem, where Alpine keeps it:
    # without a ca_bundle setting the client still finds it, as on a non-Debian system.
    server, url = tls_dataplane
    script = ("mount -t tmpfs tmpfs /etc/ssl && cp \"$0\" /etc/ssl/cert.pem && "
              "exec \"$1\" -c \"$2\" \"$3\" \"$4\"")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    child = subprocess.run(["unshare", "-m", "sh", "-c", script, CERT, sys.executable, CHILD_SENDS_ONE,
                            WRITE_KEY, url], env=env, capture_output=True, text=True, timeout=60)
    assert child.returncode == 0, child.stdout + child.stderr
    assert [e["event"] for batch in server.batches for e in batch] == ["Found The System CA File"]
