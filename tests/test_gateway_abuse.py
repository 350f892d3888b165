"""The demo gateway as an attack surface, and as a shared resource of one data folder."""

from __future__ import annotations

import socket
import time

import demo_gateway.bodies as bodies
from components import wiring
from studio import services
from studio.settings import load_settings


def test_a_body_trickled_a_byte_at_a_time_is_cut_off_not_held_for_ever(gateway, monkeypatch):
    monkeypatch.setattr(bodies, "IDLE_SECONDS", 0.5)
    host, port = gateway.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(
            b"POST /v2/video HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer varg_trickle_0001\r\n"
            b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{"
        )
        started = time.monotonic()
        answer = b""
        sock.settimeout(0.2)
        while b"\r\n\r\n" not in answer and time.monotonic() - started < 8:
            try:
                answer += sock.recv(4096)
            except TimeoutError:
                try:
                    sock.sendall(b" ")  # one byte now and then, never the whole body
                except OSError:
                    break
                time.sleep(0.8)
        assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
        assert time.monotonic() - started < 5


def test_two_demo_studios_on_one_home_share_one_gateway(studio_home):
    first = services.Hub(load_settings(), gateway_factory=wiring._standalone_gateway)
    second = services.Hub(load_settings(), gateway_factory=wiring._standalone_gateway)
    try:
        one, two = first.studio(None), second.studio(None)
        assert one.connection.base_url == two.connection.base_url, "the second uses the running gateway"
        assert two.balance() == one.balance() == 5000
    finally:
        second.stop()  # stopping the user of a shared gateway never stops it
        assert first.studio(None).balance() == 5000
        first.stop()
