"""Remote images fetched safely on the caller's behalf (docs/images.md).

The service takes only inline (base64) images, so a remote image URL is fetched here, before
the request. That is a request this process makes for whoever wrote the URL, so it is safe by
default (docs/images.md#safety):

- `https` only; plain `http` only to a loopback address, and only when private hosts are
  allowed (a local test server).
- The host is resolved once per hop and every address it resolves to is checked: loopback,
  private, link-local and other non-public addresses are refused unless the caller allows them
  (`allow_private_hosts`); cloud-metadata addresses are refused always.
- The connection goes to the checked address (the URL's host replaced by it, `Host` and TLS
  SNI kept), so a second DNS answer cannot move it elsewhere (no DNS rebinding).
- Redirects are followed by hand, at most `max_redirects`, each target checked the same way.
- A fresh client per hop: no credential, no `.netrc`, no environment proxy, no cookies, and no
  pooled connection shared between two host names.
- At most `max_bytes` are read, within `timeout` seconds for the whole fetch.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from typing import Any

import httpx

from databricks_claude._http import USER_AGENT, ssl_context
from databricks_claude.errors import ConfigurationError, ImageFetchError

__all__ = ["FETCH_TIMEOUT", "MAX_IMAGE_BYTES", "MAX_REDIRECTS", "ImageFetchPolicy",
           "address_kind", "afetch_bytes", "fetch_bytes", "shown_url"]

# Anthropic refuses an image whose base64 text exceeds 5 MiB ("image exceeds 5 MB maximum: N
# bytes > 5242880 bytes"): this is the raw size whose base64 fits (docs/images.md#limits).
MAX_IMAGE_BYTES = 5 * 1024 * 1024 * 3 // 4
FETCH_TIMEOUT = 10.0
MAX_REDIRECTS = 5

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class ImageFetchPolicy:
    """How remote image URLs are treated: fetched (the default) or refused, and the limits."""

    enabled: bool = True
    """Fetch remote images; False refuses them with a `ConfigurationError` before sending."""
    allow_private_hosts: bool = False
    """Allow loopback, private and link-local addresses (and plain http to loopback)."""
    max_bytes: int = MAX_IMAGE_BYTES
    """The largest image body read, in bytes."""
    timeout: float = FETCH_TIMEOUT
    """Seconds for one whole fetch (redirects included)."""
    max_redirects: int = MAX_REDIRECTS
    """Redirects followed at most."""

    def __post_init__(self) -> None:
        if self.max_bytes <= 0 or self.timeout <= 0 or self.max_redirects < 0:
            raise ConfigurationError(
                "ImageFetchPolicy needs max_bytes > 0, timeout > 0 and max_redirects >= 0, got "
                f"{self.max_bytes}, {self.timeout} and {self.max_redirects}")


# Instance-metadata services: never fetched, whatever the policy (they hand out credentials).
_METADATA = frozenset(ipaddress.ip_address(a) for a in (
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack, ...
    "169.254.170.2",  # AWS ECS task metadata
    "fd00:ec2::254",  # AWS IMDS over IPv6
    "100.100.100.200",  # Alibaba Cloud
    "192.0.0.192",  # Oracle Cloud
    "168.63.129.16",  # Azure wire server (a public-looking address)
))
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# The four types Claude takes (a negotiating CDN then picks one of them), and no compression:
# images are compressed already, and a decompressed chunk could be far over the size limit.
_HEADERS = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity",
            "Accept": "image/png,image/jpeg,image/gif,image/webp,*/*;q=0.1"}

# Tests put an `httpx.MockTransport` here to play a remote server without any network.
_test_transport: httpx.MockTransport | None = None


def shown_url(url: httpx.URL | str) -> str:
    """The URL as error messages show it: no user info, query or fragment (a signed URL's
    query is a credential), at most 120 characters."""
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
        text = f"{parsed.scheme}://{parsed.netloc.decode('ascii', 'replace')}{parsed.path}"
    except (httpx.InvalidURL, TypeError, UnicodeError):
        return "<an unparsable URL>"
    return text if len(text) <= 120 else text[:117] + "..."


def _embedded_ipv4(ip: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, NAT64), if any."""
    if isinstance(ip, ipaddress.IPv4Address):
        return None
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def address_kind(ip: IPAddress) -> str | None:
    """What kind of non-public address `ip` is ("cloud-metadata", "loopback", "link-local",
    "private", "multicast", "non-public"), or None for a public address."""
    if ip in _METADATA:
        return "cloud-metadata"
    inner = _embedded_ipv4(ip)
    if inner is not None:
        return address_kind(inner)
    for kind, flag in (("loopback", ip.is_loopback), ("link-local", ip.is_link_local),
                       ("private", ip.is_private), ("multicast", ip.is_multicast)):
        if flag:
            return kind
    return None if ip.is_global else "non-public"


def _checked_url(url: httpx.URL | str, policy: ImageFetchPolicy) -> httpx.URL:
    """The URL parsed, with a scheme and a host this policy can fetch from."""
    try:
        parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as error:
        raise ImageFetchError(f"not a valid image URL ({error}): {shown_url(str(url))}") from None
    if parsed.scheme == "http" and not policy.allow_private_hosts:
        raise ImageFetchError(
            f"refusing to fetch the image {shown_url(parsed)}: plain http is not fetched; use an "
            "https:// URL or send the image inline as base64")
    if parsed.scheme not in ("https", "http") or not parsed.host:
        raise ImageFetchError(
            f"cannot fetch the image {shown_url(parsed)}: only https:// URLs are fetched; send "
            "other images inline as base64 (a data: URL)")
    return parsed


def _choose_address(url: httpx.URL, addresses: list[str], policy: ImageFetchPolicy) -> str:
    """The address to connect to, once every address the host resolves to is checked (one
    refused address refuses the host: a name that also points inside is not fetched)."""
    if not addresses:
        raise ImageFetchError(f"cannot fetch the image {shown_url(url)}: {url.host} has no address")
    for text in addresses:
        kind = address_kind(ipaddress.ip_address(text.split("%", 1)[0]))
        if kind == "cloud-metadata":
            raise ImageFetchError(
                f"refusing to fetch the image {shown_url(url)}: {url.host} resolves to {text}, a "
                "cloud-metadata address (never fetched)")
        if kind is not None and not policy.allow_private_hosts:
            raise ImageFetchError(
                f"refusing to fetch the image {shown_url(url)}: {url.host} resolves to {text}, a "
                f"{kind} address; set allow_private_image_hosts=True if this host is meant to be "
                "reached, or send the image inline as base64")
        if url.scheme == "http" and kind != "loopback":
            raise ImageFetchError(
                f"refusing to fetch the image {shown_url(url)} over plain http: only loopback "
                "hosts (a local test server) are fetched over http; use https://")
    return addresses[0]


def _addresses(infos: list[Any]) -> list[str]:
    """The distinct addresses of a `getaddrinfo` answer, in order."""
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def _port(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _resolve(url: httpx.URL) -> list[str]:
    """The host's addresses (blocking: the sync path)."""
    try:
        return _addresses(socket.getaddrinfo(url.raw_host.decode("ascii"), _port(url),
                                             type=socket.SOCK_STREAM))
    except (socket.gaierror, UnicodeError) as error:
        raise _unresolvable(url, error) from None


async def _aresolve(url: httpx.URL) -> list[str]:
    """The host's addresses, resolved in the loop's executor (the loop keeps running)."""
    loop = asyncio.get_running_loop()
    try:
        return _addresses(await loop.getaddrinfo(url.raw_host.decode("ascii"), _port(url),
                                                 type=socket.SOCK_STREAM))
    except (socket.gaierror, UnicodeError) as error:
        raise _unresolvable(url, error) from None


def _unresolvable(url: httpx.URL, error: Exception) -> ImageFetchError:
    return ImageFetchError(f"cannot fetch the image {shown_url(url)}: the host {url.host} "
                           f"could not be resolved ({error})")


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _pinned_request(client: httpx.Client | httpx.AsyncClient, url: httpx.URL, address: str,
                    remaining: float) -> httpx.Request:
    """A GET to the checked address, with the URL's `Host` and its name for TLS (SNI and the
    certificate check): the connection cannot go anywhere the check did not see."""
    extensions = {} if _is_ip_literal(url.host) else {"sni_hostname": url.raw_host.decode()}
    return client.build_request("GET", url.copy_with(host=address),
                                headers={"Host": url.netloc.decode("ascii")},
                                timeout=httpx.Timeout(max(remaining, 0.001)),
                                extensions=extensions)


def _client_options() -> dict[str, Any]:
    return {"headers": _HEADERS, "follow_redirects": False, "trust_env": False}


def _sync_client() -> httpx.Client:
    """A fresh client that carries nothing of the caller's: no auth, no env, no cookies."""
    transport = _test_transport or httpx.HTTPTransport(verify=ssl_context(), trust_env=False)
    return httpx.Client(transport=transport, **_client_options())


def _async_client() -> httpx.AsyncClient:
    """The async twin of `_sync_client`."""
    transport = _test_transport or httpx.AsyncHTTPTransport(verify=ssl_context(),
                                                            trust_env=False)
    return httpx.AsyncClient(transport=transport, **_client_options())


def _next_hop(response: httpx.Response, url: httpx.URL,
              policy: ImageFetchPolicy) -> httpx.URL | None:
    """The checked redirect target, or None when this response is the image."""
    location = response.headers.get("location")
    if response.status_code in _REDIRECTS and location:
        return _checked_url(url.join(location), policy)
    if not 200 <= response.status_code < 300:
        raise ImageFetchError(f"cannot fetch the image {shown_url(url)}: the server answered "
                              f"HTTP {response.status_code}")
    return None


def _check_declared_size(response: httpx.Response, url: httpx.URL,
                         policy: ImageFetchPolicy) -> None:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > policy.max_bytes:
        raise _too_big(url, policy, f"{int(declared):,} bytes")


def _too_big(url: httpx.URL, policy: ImageFetchPolicy, size: str) -> ImageFetchError:
    return ImageFetchError(
        f"the image {shown_url(url)} is too big ({size}; the limit is {policy.max_bytes:,} "
        "bytes, 5 MB once base64-encoded): resize it, or send a smaller one")


def _grow(body: bytearray, chunk: bytes, url: httpx.URL, policy: ImageFetchPolicy,
          deadline: float) -> None:
    """Add a chunk of the body; stop early when it is too big or too slow."""
    body += chunk
    if len(body) > policy.max_bytes:
        raise _too_big(url, policy, f"more than {policy.max_bytes:,} bytes")
    if time.monotonic() > deadline:
        raise _timed_out(url, policy)


def _timed_out(url: httpx.URL | str, policy: ImageFetchPolicy) -> ImageFetchError:
    return ImageFetchError(f"fetching the image {shown_url(url)} took longer than "
                           f"{policy.timeout:g} s; try again, or send the image inline as base64")


def _failed(url: httpx.URL, policy: ImageFetchPolicy, error: httpx.HTTPError) -> ImageFetchError:
    """A transport failure as a typed error; the message names no URL query (it holds none)."""
    if isinstance(error, httpx.TimeoutException):
        return _timed_out(url, policy)
    return ImageFetchError(f"cannot fetch the image {shown_url(url)}: "
                           f"{type(error).__name__}: {error}")


def fetch_bytes(url: str, policy: ImageFetchPolicy) -> bytes:
    """The body of a remote image, fetched under `policy` (blocking: for sync calls).

    Raises `ImageFetchError` for a refused scheme or address, a failed fetch, an error status,
    too many redirects, a body over `max_bytes` or a fetch over `timeout`.
    """
    deadline = time.monotonic() + policy.timeout
    current = _checked_url(url, policy)
    for _ in range(policy.max_redirects + 1):
        address = _choose_address(current, _resolve(current), policy)
        try:
            with _sync_client() as client:
                request = _pinned_request(client, current, address, deadline - time.monotonic())
                response = client.send(request, stream=True)
                try:
                    following = _next_hop(response, current, policy)
                    if following is None:
                        return _read(response, current, policy, deadline)
                finally:
                    response.close()
        except httpx.HTTPError as error:
            raise _failed(current, policy, error) from None
        current = following
    raise _too_many_redirects(url, policy)


def _read(response: httpx.Response, url: httpx.URL, policy: ImageFetchPolicy,
          deadline: float) -> bytes:
    _check_declared_size(response, url, policy)
    body = bytearray()
    for chunk in response.iter_bytes():
        _grow(body, chunk, url, policy, deadline)
    return bytes(body)


async def _aread(response: httpx.Response, url: httpx.URL, policy: ImageFetchPolicy,
                 deadline: float) -> bytes:
    _check_declared_size(response, url, policy)
    body = bytearray()
    async for chunk in response.aiter_bytes():
        _grow(body, chunk, url, policy, deadline)
    return bytes(body)


def _too_many_redirects(url: str, policy: ImageFetchPolicy) -> ImageFetchError:
    return ImageFetchError(f"fetching the image {shown_url(url)} was redirected more than "
                           f"{policy.max_redirects} times")


async def afetch_bytes(url: str, policy: ImageFetchPolicy) -> bytes:
    """`fetch_bytes` for async calls: resolution, connection and reading never block the loop,
    and the whole fetch is bounded by `policy.timeout`."""
    try:
        return await asyncio.wait_for(_afetch(url, policy), policy.timeout)
    except asyncio.TimeoutError:
        raise _timed_out(url, policy) from None


async def _afetch(url: str, policy: ImageFetchPolicy) -> bytes:
    deadline = time.monotonic() + policy.timeout
    current = _checked_url(url, policy)
    for _ in range(policy.max_redirects + 1):
        address = _choose_address(current, await _aresolve(current), policy)
        try:
            async with _async_client() as client:
                request = _pinned_request(client, current, address, deadline - time.monotonic())
                response = await client.send(request, stream=True)
                try:
                    following = _next_hop(response, current, policy)
                    if following is None:
                        return await _aread(response, current, policy, deadline)
                finally:
                    await response.aclose()
        except httpx.HTTPError as error:
            raise _failed(current, policy, error) from None
        current = following
    raise _too_many_redirects(url, policy)
