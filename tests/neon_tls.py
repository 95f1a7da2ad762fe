"""The Neon stand-in where the Neon provider looks for Neon: `https://console.neon.tech`.

neon-sdk-go's base URL is fixed, so a process under test reaches the stand-in (tests/
neon_api.py) the way it would reach Neon through a corporate proxy: an HTTPS CONNECT proxy
on 127.0.0.1 tunnels `console.neon.tech:443`, and nothing else, to a local TLS server whose
certificate for console.neon.tech is signed by a test CA (trustme). The process trusts that
CA through SSL_CERT_FILE (`proxy_env`); without it, the certificate is refused.

`neon_over_tls` puts the three together.
"""

from __future__ import annotations

import select
import socket
import socketserver
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import trustme
from pytest_httpserver import HTTPServer

from tests.neon_api import NeonApi, Postgres
from tests.standin import stopped

NEON_HOST = "console.neon.tech"
NEON_URL = f"https://{NEON_HOST}/api/v2"
_FORBIDDEN = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
_MAX_HEAD = 8192  # a CONNECT request's head is one line and a few headers


def make_ca(folder: Path) -> tuple[trustme.CA, Path]:
    """A new CA, and its certificate written as PEM into `folder`, for clients to trust."""
    ca = trustme.CA()
    pem = folder / "neon-test-ca.pem"
    ca.cert_pem.write_to_path(str(pem))
    return ca, pem


class _TlsServer(HTTPServer):
    def thread_target(self) -> None:
        assert self.server is not None
        self.server.serve_forever(poll_interval=0.05)  # stopping takes a tick, not 0.5 s


def started_tls_server(ca: trustme.CA, host: str = NEON_HOST) -> HTTPServer:
    """tests/standin.py's `started_server`, over TLS with `ca`'s certificate for `host`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(host).configure_cert(context)
    # Not threaded, as started_server: werkzeug then speaks HTTP/1.0 and closes each
    # connection after its answer, so no idle keep-alive tunnel holds the one thread.
    server = _TlsServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    return server


@dataclass(frozen=True)
class ProxyRequest:
    method: str
    target: str  # `host:port` for a CONNECT
    allowed: bool


class ConnectProxy:
    """An HTTP proxy that tunnels `CONNECT <host>:443` to a local port and refuses every
    other request with 403. Records each request it was sent, allowed or not."""

    def __init__(self, upstream_port: int, host: str = NEON_HOST) -> None:
        self.upstream_port = upstream_port
        self.allowed_target = f"{host}:443"
        self.requests: list[ProxyRequest] = []
        self._stopping = threading.Event()
        proxy = self

        class Tunnel(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                # A side that hangs up or stalls ends its tunnel, as at any proxy.
                with suppress(OSError):
                    proxy._handle(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Tunnel)
        self._server.daemon_threads = False  # closing waits for every tunnel to end
        self._server.block_on_close = True
        # Polled often, so stopping takes a tick, not serve_forever's default half second.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def targets(self) -> list[str]:
        return [r.target for r in self.requests]

    def __enter__(self) -> ConnectProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stopping.set()  # open tunnels see it within a tick and close
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _handle(self, client: socket.socket) -> None:
        client.settimeout(5)  # a client that never finishes its request does not hold us
        head = b""
        while b"\r\n\r\n" not in head and len(head) < _MAX_HEAD:
            chunk = client.recv(4096)
            if not chunk:
                return
            head += chunk
        head, _, early = head.partition(b"\r\n\r\n")
        words = head.split(b"\r\n", 1)[0].decode("latin-1").split()
        method, target = [*words, "", ""][:2]
        allowed = method == "CONNECT" and target == self.allowed_target
        self.requests.append(ProxyRequest(method, target, allowed))
        if not allowed:
            client.sendall(_FORBIDDEN)
            return
        with socket.create_connection(("127.0.0.1", self.upstream_port), timeout=5) as upstream:
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if early:
                upstream.sendall(early)
            self._pump(client, upstream)

    def _pump(self, client: socket.socket, upstream: socket.socket) -> None:
        """Bytes both ways until either side closes (or the proxy stops)."""
        other = {client: upstream, upstream: client}
        while not self._stopping.is_set():
            ready, _, _ = select.select(list(other), [], [], 0.1)
            for sock in ready:
                data = sock.recv(65536)
                if not data:
                    return
                other[sock].sendall(data)


def proxy_env(proxy: ConnectProxy, ca_pem: Path) -> dict[str, str]:
    """What a child process needs to reach the stand-in as console.neon.tech: HTTPS through
    the proxy, the test CA trusted, and the other local stand-ins (plain HTTP on 127.0.0.1)
    reached directly. Both spellings: Go reads the upper case first, Python the lower."""
    env = {"HTTPS_PROXY": proxy.url, "NO_PROXY": "127.0.0.1,localhost"}
    return {**env, **{k.lower(): v for k, v in env.items()}, "SSL_CERT_FILE": str(ca_pem)}


@dataclass(frozen=True)
class NeonOverTls:
    api: NeonApi
    proxy: ConnectProxy
    ca_pem: Path

    def env(self) -> dict[str, str]:
        return proxy_env(self.proxy, self.ca_pem)


@contextmanager
def neon_over_tls(
    folder: Path,
    keys: dict[str, str],
    postgres: Postgres | None = None,
    endpoint_host: Callable[[str], str] | None = None,
) -> Iterator[NeonOverTls]:
    """The Neon stand-in as console.neon.tech, behind the proxy; the CA's PEM in `folder`."""
    ca, pem = make_ca(folder)
    server = started_tls_server(ca)
    try:
        api = NeonApi(server, keys, postgres=postgres, endpoint_host=endpoint_host)
        with ConnectProxy(server.port) as proxy:
            yield NeonOverTls(api, proxy, pem)
    finally:
        stopped(server)
