"""Left open: remote image fetching is safe by default. Each refusal is checked without any
network: DNS answers come from a patched `socket.getaddrinfo`, remote servers are an
`httpx.MockTransport` (the kit's test hook) or a local server on loopback.

What is refused: plain http, loopback, private (10/8), link-local, cloud metadata (even when
private hosts are allowed), IPv4-mapped IPv6, a host with one private address among public
ones, a redirect to a private host, too many redirects, a body too big (declared or streamed),
a slow server, and a body that is not an image. The connection goes to the checked address.
"""

from __future__ import annotations

import base64
import http.server
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from langchain_core.messages import HumanMessage
from llama_index.core.base.llms.types import ChatMessage, ImageBlock

from databricks_claude.emulator import Emulator
from databricks_claude.errors import ImageFetchError
from databricks_claude.kit import fetch
from databricks_claude.kit.fetch import ImageFetchPolicy, address_kind, afetch_bytes, fetch_bytes
from databricks_claude.kit.images import ainline_images, inline_images
from databricks_claude.messages import ImagePart, Message

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
DEFAULT = ImageFetchPolicy()
PRIVATE_OK = ImageFetchPolicy(allow_private_hosts=True)
_real_getaddrinfo = socket.getaddrinfo


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Host names the test resolves (name -> addresses); other names resolve for real."""
    table: dict[str, list[str]] = {}

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        if host in table:
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "",
                     (a, port)) for a in table[host]]
        return _real_getaddrinfo(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return table


@pytest.fixture
def remote(monkeypatch: pytest.MonkeyPatch) -> Callable[[Callable[[httpx.Request], httpx.Response]],
                                                          list[httpx.Request]]:
    """Play the remote servers with a handler; returns the requests it received."""
    def install(handler: Callable[[httpx.Request], httpx.Response]) -> list[httpx.Request]:
        seen: list[httpx.Request] = []

        def record(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return handler(request)

        monkeypatch.setattr(fetch, "_test_transport", httpx.MockTransport(record))
        return seen
    return install


def _png(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, content=PNG, headers={"Content-Type": "image/png"})


def _remote(url: str) -> list[Message]:
    return [Message("user", [ImagePart(url)])]


# -- what is refused -------------------------------------------------------------------------------

def test_plain_http_is_refused_by_default() -> None:
    with pytest.raises(ImageFetchError, match="plain http"):
        fetch_bytes("http://images.example.com/cat.png", DEFAULT)


def test_other_schemes_are_refused() -> None:
    for url in ("file:///etc/passwd", "ftp://images.example.com/cat.png"):
        with pytest.raises(ImageFetchError, match="only https"):
            fetch_bytes(url, PRIVATE_OK)


@pytest.mark.parametrize(("address", "kind"), [
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("10.1.2.3", "private"),
    ("192.168.0.10", "private"), ("169.254.10.1", "link-local"), ("100.64.0.1", "non-public"),
    ("::ffff:127.0.0.1", "loopback"), ("fe80::1", "link-local"), ("0.0.0.0", "private"),
])
def test_non_public_addresses_are_refused_by_default(
        dns: dict[str, list[str]], remote: Any, address: str, kind: str) -> None:
    dns["images.example.com"] = [address]
    seen = remote(_png)
    with pytest.raises(ImageFetchError, match=f"a {kind} address") as error:
        fetch_bytes("https://images.example.com/cat.png", DEFAULT)
    assert "allow_private_image_hosts=True" in str(error.value)
    assert seen == []


@pytest.mark.parametrize("address", ["169.254.169.254", "fd00:ec2::254", "100.100.100.200",
                                     "168.63.129.16", "::ffff:169.254.169.254"])
def test_cloud_metadata_is_refused_even_when_private_hosts_are_allowed(
        dns: dict[str, list[str]], remote: Any, address: str) -> None:
    dns["metadata.example.com"] = [address]
    seen = remote(_png)
    with pytest.raises(ImageFetchError, match="cloud-metadata"):
        fetch_bytes("https://metadata.example.com/latest/meta-data/", PRIVATE_OK)
    with pytest.raises(ImageFetchError, match="cloud-metadata"):
        fetch_bytes(f"https://{address if ':' not in address else f'[{address}]'}/", PRIVATE_OK)
    assert seen == []


def test_one_private_address_among_public_ones_refuses_the_host(
        dns: dict[str, list[str]], remote: Any) -> None:
    dns["images.example.com"] = ["93.184.216.34", "10.0.0.5"]
    remote(_png)
    with pytest.raises(ImageFetchError, match=r"10\.0\.0\.5"):
        fetch_bytes("https://images.example.com/cat.png", DEFAULT)


def test_a_redirect_to_a_private_host_is_refused(dns: dict[str, list[str]], remote: Any) -> None:
    dns["images.example.com"] = ["93.184.216.34"]
    dns["internal.example.com"] = ["10.0.0.7"]
    seen = remote(lambda request: httpx.Response(
        302, headers={"Location": "https://internal.example.com/admin.png"}))
    with pytest.raises(ImageFetchError, match=r"internal.example.com resolves to 10\.0\.0\.7"):
        fetch_bytes("https://images.example.com/cat.png", DEFAULT)
    assert [r.url.host for r in seen] == ["93.184.216.34"]  # the private host was never asked


def test_a_redirect_to_plain_http_is_refused(dns: dict[str, list[str]], remote: Any) -> None:
    dns["images.example.com"] = ["93.184.216.34"]
    remote(lambda request: httpx.Response(302, headers={"Location": "http://images.example.com/"}))
    with pytest.raises(ImageFetchError, match="plain http"):
        fetch_bytes("https://images.example.com/cat.png", DEFAULT)


def test_redirects_are_followed_by_hand_and_limited(
        dns: dict[str, list[str]], remote: Any) -> None:
    dns["images.example.com"] = ["93.184.216.34"]
    dns["cdn.example.net"] = ["93.184.216.35"]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.headers["host"] == "images.example.com":
            return httpx.Response(301, headers={"Location": "https://cdn.example.net/cat.png"})
        return _png(request)

    seen = remote(handler)
    assert fetch_bytes("https://images.example.com/cat.png", DEFAULT) == PNG
    assert [(r.url.host, r.headers["host"]) for r in seen] == [
        ("93.184.216.34", "images.example.com"), ("93.184.216.35", "cdn.example.net")]
    remote(lambda request: httpx.Response(302, headers={"Location": "/again"}))
    with pytest.raises(ImageFetchError, match="redirected more than 5 times"):
        fetch_bytes("https://images.example.com/cat.png", DEFAULT)


def test_the_connection_goes_to_the_checked_address_with_the_name_for_tls(
        dns: dict[str, list[str]], remote: Any) -> None:
    """No second DNS lookup decides where to connect (no rebinding): the URL's host is the
    checked address; `Host` and the TLS server name are the URL's name; no credential."""
    dns["images.example.com"] = ["93.184.216.34"]
    seen = remote(_png)
    assert fetch_bytes("https://images.example.com/cat.png?sig=1", DEFAULT) == PNG
    (request,) = seen
    assert str(request.url) == "https://93.184.216.34/cat.png?sig=1"
    assert request.headers["host"] == "images.example.com"
    assert request.extensions["sni_hostname"] == "images.example.com"
    assert "authorization" not in request.headers and "cookie" not in request.headers


def test_error_statuses_too_big_and_not_an_image(dns: dict[str, list[str]], remote: Any) -> None:
    dns["images.example.com"] = ["93.184.216.34"]
    remote(lambda request: httpx.Response(404, text="no such image"))
    with pytest.raises(ImageFetchError, match="HTTP 404"):
        fetch_bytes("https://images.example.com/cat.png", DEFAULT)
    remote(lambda request: httpx.Response(200, headers={"Content-Length": "50000000"}))
    with pytest.raises(ImageFetchError, match="too big"):
        fetch_bytes("https://images.example.com/cat.png", DEFAULT)
    remote(lambda request: httpx.Response(200, content=iter([b"x" * 4096] * 10)))
    with pytest.raises(ImageFetchError, match="too big"):
        fetch_bytes("https://images.example.com/cat.png", ImageFetchPolicy(max_bytes=10_000))
    remote(lambda request: httpx.Response(200, text="<html>login</html>",
                                          headers={"Content-Type": "image/png"}))
    with pytest.raises(ImageFetchError, match="did not return a PNG, JPEG, GIF or WebP"):
        inline_images(_remote("https://images.example.com/cat.png"), DEFAULT)


def test_the_default_size_limit_is_anthropics_5_mb_of_base64() -> None:
    assert len(base64.b64encode(b"x" * DEFAULT.max_bytes)) <= 5 * 1024 * 1024
    assert len(base64.b64encode(b"x" * (DEFAULT.max_bytes + 3))) > 5 * 1024 * 1024


def test_unresolvable_hosts_and_refused_connections_are_typed(
        dns: dict[str, list[str]], monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fail)
    with pytest.raises(ImageFetchError, match="could not be resolved"):
        fetch_bytes("https://images.invalid/cat.png", DEFAULT)


def test_messages_never_show_a_signed_urls_query(dns: dict[str, list[str]], remote: Any) -> None:
    dns["bucket.example.com"] = ["10.0.0.9"]
    remote(_png)
    with pytest.raises(ImageFetchError) as error:
        fetch_bytes("https://user:pw@bucket.example.com/cat.png?X-Amz-Signature=SECRET", DEFAULT)
    assert "SECRET" not in str(error.value) and "pw" not in str(error.value)
    assert "https://bucket.example.com/cat.png" in str(error.value)


def test_address_kinds() -> None:
    import ipaddress

    assert address_kind(ipaddress.ip_address("93.184.216.34")) is None
    assert address_kind(ipaddress.ip_address("2606:2800:220:1::1")) is None
    assert address_kind(ipaddress.ip_address("2002:0a00:0001::1")) == "private"  # 6to4 of 10/8
    assert address_kind(ipaddress.ip_address("64:ff9b::7f00:1")) == "loopback"  # NAT64
    assert address_kind(ipaddress.ip_address("224.0.0.1")) == "multicast"


# -- timeouts, on a local server (loopback, allowed explicitly) -----------------------------------

class _Slow(http.server.BaseHTTPRequestHandler):
    """Sends the headers, then one byte every 0.2 s for 3 s."""

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()
        try:
            for _ in range(15):
                self.wfile.write(b"\x89")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def slow_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/drip.png"
    server.shutdown()
    server.server_close()


def test_a_slow_server_times_out_sync(slow_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(ImageFetchError, match=r"took longer than 0.5 s"):
        fetch_bytes(slow_server, ImageFetchPolicy(allow_private_hosts=True, timeout=0.5))
    assert time.monotonic() - started < 1.5


async def test_a_slow_server_times_out_async(slow_server: str) -> None:
    started = time.monotonic()
    with pytest.raises(ImageFetchError, match=r"took longer than 0.5 s"):
        await afetch_bytes(slow_server, ImageFetchPolicy(allow_private_hosts=True, timeout=0.5))
    assert time.monotonic() - started < 1.5


def test_plain_http_is_allowed_only_to_loopback_even_when_private_hosts_are(
        dns: dict[str, list[str]]) -> None:
    dns["nas.lan"] = ["192.168.1.20"]
    with pytest.raises(ImageFetchError, match="only loopback hosts"):
        fetch_bytes("http://nas.lan/cat.png", PRIVATE_OK)


# -- through the adapters: refused by default, before any request to the service ----------------

def test_both_adapters_refuse_loopback_by_default(
        make_lc: Any, make_li: Any, emulator: Emulator, dns: dict[str, list[str]]) -> None:
    dns["images.example.com"] = ["127.0.0.1"]
    url = "https://images.example.com/cat.png"
    with pytest.raises(ImageFetchError, match="loopback"):
        make_lc().invoke([HumanMessage([{"type": "image", "url": url}])])
    with pytest.raises(ImageFetchError, match="loopback"):
        make_li().chat([ChatMessage(role="user", blocks=[ImageBlock(url=url)])])
    assert emulator.requests == []


async def test_async_paths_refuse_metadata_and_wait_for_every_fetch(
        make_lc: Any, emulator: Emulator, dns: dict[str, list[str]], remote: Any) -> None:
    dns["images.example.com"] = ["93.184.216.34"]
    dns["metadata.example.com"] = ["169.254.169.254"]
    remote(_png)
    messages = [Message("user", [ImagePart("https://images.example.com/a.png"),
                                 ImagePart("https://metadata.example.com/b.png")])]
    with pytest.raises(ImageFetchError, match="cloud-metadata"):
        await ainline_images(messages, PRIVATE_OK)
    with pytest.raises(ImageFetchError, match="cloud-metadata"):
        await make_lc(allow_private_image_hosts=True).ainvoke(
            [HumanMessage([{"type": "image", "url": "https://metadata.example.com/b.png"}])])
    assert emulator.requests == []
