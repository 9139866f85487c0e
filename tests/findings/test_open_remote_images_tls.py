"""Left open: remote images. The pinned connection (to the checked address, not to a second DNS
answer) still verifies TLS against the URL's host name: a real TLS server on loopback, with a
certificate from a test CA, is reached under a name the patched resolver maps to 127.0.0.1.
"""

from __future__ import annotations

import base64
import datetime
import http.server
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from databricks_claude.errors import ImageFetchError
from databricks_claude.kit import fetch
from databricks_claude.kit.fetch import ImageFetchPolicy, afetch_bytes, fetch_bytes

x509 = pytest.importorskip("cryptography.x509")
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
POLICY = ImageFetchPolicy(allow_private_hosts=True)
_real_getaddrinfo = socket.getaddrinfo


def _certificate(subject: str, issuer: Any, issuer_key: Any, key: Any, *, ca: bool) -> Any:
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(issuer).public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(hours=1))
               .not_valid_after(now + datetime.timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


class _Png(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    """An HTTPS server on 127.0.0.1 whose certificate names `images.test`; the client trusts
    the test CA, and `images.test` and `other.test` resolve to 127.0.0.1."""
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = _certificate("test CA", ca_name, ca_key, ca_key, ca=True)
    leaf = _certificate("images.test", ca_name, ca_key, key, ca=False)
    cert_file, key_file = tmp_path / "leaf.pem", tmp_path / "leaf.key"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_file, key_file)
    client_context = ssl.create_default_context(
        cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    monkeypatch.setattr(fetch, "ssl_context", lambda: client_context)

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host in ("images.test", "other.test"):
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return _real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Png)
    server.socket = server_context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_pinned_tls_verifies_the_url_host_name(tls_server: int) -> None:
    assert fetch_bytes(f"https://images.test:{tls_server}/cat.png", POLICY) == PNG


async def test_pinned_tls_verifies_the_url_host_name_async(tls_server: int) -> None:
    assert await afetch_bytes(f"https://images.test:{tls_server}/cat.png", POLICY) == PNG


def test_a_certificate_for_another_name_is_refused(tls_server: int) -> None:
    """Same address, another name: the certificate (for images.test) does not match."""
    with pytest.raises(ImageFetchError, match="certificate verify failed"):
        fetch_bytes(f"https://other.test:{tls_server}/cat.png", POLICY)


def test_the_address_literal_is_checked_like_a_name(tls_server: int) -> None:
    with pytest.raises(ImageFetchError, match="loopback"):
        fetch_bytes(f"https://{ipaddress.ip_address('127.0.0.1')}:{tls_server}/cat.png",
                    ImageFetchPolicy())
