"""Misbehaving HTTP peers for fault tests: one that hangs mid-body, one that drips, a TLS one."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.helpers.peers import free_port


@contextmanager
def raw_server(behaviour: str, *, drip_interval: float = 0.05) -> Iterator[str]:
    """A one-route server: "hang" sends headers and half a body, then stays silent;
    "drip" sends a valid body one byte at a time. Yields its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()
    body = b'{"status": "success", "data": {"alerts": []}}' * 1
    connections: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connections.append(connection)
            try:
                connection.recv(65536)
                head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
                connection.sendall(head.encode())
                if behaviour == "hang":
                    connection.sendall(body[: len(body) // 2])
                    stop.wait(30)
                else:
                    for byte in body:
                        if stop.wait(drip_interval):
                            break
                        connection.sendall(bytes([byte]))
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True, name=f"bad-server-{behaviour}")
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        for connection in connections:
            connection.close()
        listener.close()
        thread.join(timeout=5)


def make_certificate(folder: Path, names: str) -> tuple[Path, Path]:
    """A self-signed certificate for `names` (a subjectAltName list), made with the openssl CLI."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=noc-test",
         "-addext", f"subjectAltName={names}"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="session")
def self_signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost."""
    return make_certificate(tmp_path_factory.mktemp("tls"), "DNS:localhost,IP:127.0.0.1")


@pytest.fixture(scope="session")
def wrong_host(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A certificate for another host only: served on 127.0.0.1 it is a hostname mismatch."""
    return make_certificate(tmp_path_factory.mktemp("tls-other"), "DNS:elsewhere.example")


@contextmanager
def tls_server(cert: Path, key: Path) -> Iterator[str]:
    """An HTTPS server on 127.0.0.1 with this certificate, answering `/x` with {"ok": 1}."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=free_port(), ssl_context=context)
    server.start()
    try:
        server.expect_request("/x").respond_with_json({"ok": 1})
        yield f"https://127.0.0.1:{server.port}"
    finally:
        server.clear()
        server.stop()
