"""The team deployment's files keep their promises: compose.yaml (two identical replicas, one cookie
secret, a healthy PostgreSQL before them, the proxy the only published port), the Dockerfile, and
deploy/nginx.conf, which a real nginx (when installed) runs: sticky by cookie, websocket upgrades."""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
REPLICAS = ("studio-1", "studio-2")
NGINX_CONF = (ROOT / "deploy" / "nginx.conf").read_text()
DOCKERFILE = (ROOT / "deploy" / "Dockerfile").read_text()


def _env(service: dict) -> dict:
    env = service.get("environment", {})
    return dict(e.split("=", 1) for e in env) if isinstance(env, list) else dict(env)


def test_two_studio_replicas_share_one_image_and_the_same_environment():
    for name in REPLICAS:
        assert name in SERVICES
    one, two = (SERVICES[n] for n in REPLICAS)
    assert _env(one) == _env(two) and _env(one), "the same keys and the same values"
    assert one["build"] == two["build"] and one["build"]["dockerfile"] == "deploy/Dockerfile"
    assert one.get("env_file") == two.get("env_file") == ".env"
    assert one["volumes"] == two["volumes"] and one["secrets"] == two["secrets"]
    assert {s["target"] for s in one["secrets"]} == {"/app/.streamlit/secrets.toml"}
    assert not one.get("ports") and not two.get("ports"), "replicas are reached through the proxy only"


def test_every_replica_gets_the_same_cookie_secret_and_the_key_from_the_env_file():
    for name in REPLICAS:
        env = _env(SERVICES[name])
        assert env["STREAMLIT_SERVER_COOKIE_SECRET"].startswith("${STREAMLIT_SERVER_COOKIE_SECRET:?")
        assert env["VARG_API_KEY"].startswith("${VARG_API_KEY:?")
        assert env["STUDIO_DATABASE_URL"] == "postgresql://studio@postgres:5432/studio", "no password in it"
        assert env["PGPASSWORD"].startswith("${POSTGRES_PASSWORD:?")


def test_no_secret_is_written_into_the_compose_file():
    text = (ROOT / "compose.yaml").read_text()
    for line in text.splitlines():
        if re.search(r"(PASSWORD|SECRET|API_KEY)\w*:\s*\S", line) and not line.lstrip().startswith("#"):
            assert "${" in line, f"a literal secret: {line.strip()}"


def test_postgresql_has_a_volume_and_a_healthcheck_the_replicas_wait_for():
    pg = SERVICES["postgres"]
    assert pg["image"].startswith("postgres:")
    assert any(v.startswith("pgdata:") for v in pg["volumes"]) and "pgdata" in COMPOSE["volumes"]
    assert "pg_isready" in " ".join(pg["healthcheck"]["test"])
    assert not pg.get("ports"), "the database is not published"
    for name in REPLICAS:
        assert SERVICES[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert "/healthz" in " ".join(SERVICES[name]["healthcheck"]["test"])


def test_the_proxy_depends_on_both_replicas_and_is_the_only_published_studio_port():
    proxy = SERVICES["proxy"]
    assert proxy["image"].startswith("nginx:")
    assert set(proxy["depends_on"]) == set(REPLICAS)
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    published = {name for name, s in SERVICES.items() if s.get("ports") and "s3" not in s.get("profiles", [])}
    assert published == {"proxy"}


def test_minio_is_optional_behind_a_profile():
    for name in ("minio", "minio-bucket"):
        assert SERVICES[name]["profiles"] == ["s3"]
    assert SERVICES["studio-1"]["depends_on"]["minio-bucket"]["required"] is False


def test_nginx_conf_is_sticky_and_upgrades_the_websocket():
    assert re.search(r"hash \$studio_route consistent;", NGINX_CONF)
    assert "$cookie_studio_route" in NGINX_CONF and "Set-Cookie" in NGINX_CONF
    for name in REPLICAS:
        assert re.search(rf"server {name}:8501\b", NGINX_CONF)
    stream = NGINX_CONF.split("location /_stcore/stream", 1)[1].split("location", 1)[0]
    assert "proxy_set_header Upgrade $http_upgrade;" in stream
    assert "proxy_set_header Connection $connection_upgrade;" in stream
    assert "proxy_http_version 1.1;" in stream
    timeout = re.search(r"proxy_read_timeout (\d+)s;", stream)
    assert timeout and int(timeout.group(1)) >= 3600
    size = re.search(r"client_max_body_size (\d+)m;", NGINX_CONF)
    assert size and int(size.group(1)) >= 50, "uploads up to Streamlit's 50 MB"


def test_the_dockerfile_installs_the_team_requirements_and_runs_the_studio():
    assert DOCKERFILE.splitlines()[[ln.startswith("FROM") for ln in DOCKERFILE.splitlines()].index(True)] == (
        "FROM python:3.11-slim"
    )
    install = next(ln for ln in DOCKERFILE.splitlines() if ln.startswith("RUN pip install"))
    assert "-r requirements.txt" in install and "-r requirements-team.txt" in install
    for flag in (
        "studio_app.py",
        "--server.address",
        "0.0.0.0",
        "--server.port",
        "8501",
        "--server.headless",
    ):
        assert f'"{flag}"' in DOCKERFILE
    assert not re.search(r"^COPY \. ", DOCKERFILE, re.M), "code only: never .env or secrets.toml"
    for folder in ("studio", "components", "app_pages", "demo_gateway"):
        assert re.search(rf"^COPY {folder} {folder}$", DOCKERFILE, re.M)
    assert re.search(r"^USER \w+", DOCKERFILE, re.M), "not as root"


def test_the_env_example_names_every_variable_the_compose_file_requires():
    example = (ROOT / "deploy" / "env.example").read_text()
    required = set(re.findall(r"\$\{(\w+):\?", (ROOT / "compose.yaml").read_text()))
    assert required == {"VARG_API_KEY", "STREAMLIT_SERVER_COOKIE_SECRET", "POSTGRES_PASSWORD"}
    for name in required:
        assert re.search(rf"^{name}=$", example, re.M), f"{name} has a blank line to fill in"


# --- the proxy, run for real ------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Replica(BaseHTTPRequestHandler):
    """Says which replica it is and what the proxy passed on."""

    def do_GET(self) -> None:
        body = (
            f"{self.server.name}|{self.headers.get('Upgrade', '')}|{self.headers.get('Connection', '')}"  # type: ignore[attr-defined]
            f"|{self.headers.get('Host', '')}"
        ).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxy(tmp_path):
    """deploy/nginx.conf on a free port in front of two replicas that answer with their name."""
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if not nginx:
        pytest.skip("nginx is not installed (apt-get install nginx-light)")
    servers = {}
    for name in REPLICAS:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Replica)
        server.name = name  # type: ignore[attr-defined]
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers[name] = server
    port = _free_port()
    conf = NGINX_CONF.replace("listen 8080;", f"listen 127.0.0.1:{port};")
    for name, server in servers.items():
        # Debian's nginx (1.22) predates `resolve` in open-source upstreams (1.27.3); the image has it.
        conf = conf.replace(f"server {name}:8501 resolve", f"server 127.0.0.1:{server.server_address[1]}")
    conf = conf.replace("resolver 127.0.0.11 valid=10s ipv6=off;", "")
    for temp in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / temp).mkdir()
        conf = conf.replace(
            "server_tokens off;", f"server_tokens off;\n    {temp}_temp_path {tmp_path / temp};", 1
        )
    conf = conf.replace("sendfile on;", f"sendfile on;\n    access_log {tmp_path / 'access.log'};", 1)
    (tmp_path / "nginx.conf").write_text(conf)
    globals_ = f"daemon off; pid {tmp_path / 'nginx.pid'}; error_log {tmp_path / 'error.log'};"
    proc = subprocess.Popen(
        [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", globals_],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"nginx did not start: {proc.stderr.read().decode() if proc.stderr else ''}")
                time.sleep(0.05)
        yield port, servers
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        for server in servers.values():
            server.shutdown()
            server.server_close()


def _get(port: int, path: str = "/", headers: dict | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path, headers=headers or {})
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _body(port: int, path: str = "/", headers: dict | None = None) -> list[str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path, headers=headers or {})
    text = conn.getresponse().read().decode()
    conn.close()
    return text.split("|")


def test_a_browser_keeps_its_replica_by_the_route_cookie(proxy):
    port, _ = proxy
    first = _get(port)
    cookie = first.getheader("Set-Cookie") or ""
    route = re.match(r"studio_route=(\w+);", cookie)
    assert route and "HttpOnly" in cookie
    landed = {_body(port, "/", {"Cookie": f"studio_route={route.group(1)}"})[0] for _ in range(12)}
    assert len(landed) == 1, "every request of one browser reaches one replica"
    spread = {_body(port, "/", {"Cookie": f"studio_route=browser{i}"})[0] for i in range(40)}
    assert spread == set(REPLICAS), "different browsers use both replicas"


def test_the_websocket_path_passes_the_upgrade_and_the_host_with_its_port(proxy):
    port, _ = proxy
    name, upgrade, connection, host = _body(
        port, "/_stcore/stream", {"Upgrade": "websocket", "Connection": "Upgrade", "Cookie": "studio_route=x"}
    )
    assert name in REPLICAS and upgrade == "websocket" and connection.lower() == "upgrade"
    assert host == f"127.0.0.1:{port}"
    _, upgrade, connection, _ = _body(port, "/", {"Cookie": "studio_route=x"})
    assert upgrade == "" and connection.lower() != "upgrade"


def test_a_browser_whose_replica_died_moves_to_the_other(proxy):
    port, servers = proxy
    cookie = {"Cookie": "studio_route=steady-browser"}
    home = _body(port, "/", cookie)[0]
    servers[home].shutdown()
    servers[home].server_close()
    other = next(n for n in REPLICAS if n != home)
    assert _body(port, "/", cookie)[0] == other


def test_an_upload_over_the_limit_is_refused_by_the_proxy(proxy):
    port, _ = proxy
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.putrequest("POST", "/_stcore/upload_file/x/y")
    conn.putheader("Content-Length", str(70 * 1024 * 1024))
    conn.endheaders()
    assert conn.getresponse().status == 413
    conn.close()
