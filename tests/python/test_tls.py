"""HTTPS to the data plane through the libcurl and OpenSSL the extension loads (in the wheel,
the copies bundled in ruddercore.libs/): delivered when ca_bundle trusts the server's
certificate, refused when nothing does.  The server is a small TLS endpoint in this process on
127.0.0.1 with the self-signed test certificate in tls/ (valid until 2126, for 127.0.0.1)."""
import gzip
import http.server
import json
import os
import ssl
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
