"""The demo gateway's /v1 over real HTTP: the v1 contract, jobs, SSE, files, accounts, faults and the CLI."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from demo_gateway import DemoGateway, Faults
from demo_gateway.jobs import FAIL_MESSAGE, RENDER_FAIL_MESSAGE
from demo_gateway.media import sniff_media_type

ROOT = Path(__file__).resolve().parents[1]
SPEC = yaml.safe_load((ROOT / "docs" / "reference" / "varg-v1-openapi.yaml").read_text(encoding="utf-8"))
_REGISTRY = Registry().with_resource(
    "urn:varg-v1", Resource.from_contents(SPEC, default_specification=DRAFT202012)
)
KEY = "varg_test_key_0123456789"
OTHER_KEY = "varg_other_key_9876543210"
AUTH = {"Authorization": f"Bearer {KEY}"}
OTHER = {"Authorization": f"Bearer {OTHER_KEY}"}
WAIT = 60.0


# --- helpers -----------------------------------------------------------------------------------
def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        schema, registry=_REGISTRY, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def schema_ref(name: str) -> dict[str, Any]:
    return {"$ref": f"urn:varg-v1#/components/schemas/{name}"}


def response_schema(path: str, method: str, status: str) -> dict[str, Any]:
    """An inline response schema from the contract (e.g. /balance), wrapped to resolve its refs."""
    return {
        "$ref": f"urn:varg-v1#/paths/{path.replace('/', '~1')}/{method}/responses/{status}"
        "/content/application~1json/schema"
    }


def json_of(resp: requests.Response, status: int) -> Any:
    assert resp.status_code == status, (resp.status_code, resp.text[:500])
    assert resp.headers["Content-Type"].startswith("application/json")
    assert int(resp.headers["Content-Length"]) == len(resp.content)
    assert b"Traceback" not in resp.content
    return resp.json()


def valid(resp: requests.Response, status: int, schema: dict[str, Any]) -> Any:
    body = json_of(resp, status)
    _validator(schema).validate(body)
    return body


def job_of(resp: requests.Response, status: int = 200) -> dict[str, Any]:
    job = valid(resp, status, schema_ref("JobResponse"))
    assert re.fullmatch(r"job_[0-9a-f]{16}", job["job_id"])
    datetime.fromisoformat(job["created_at"])
    if "completed_at" in job:
        datetime.fromisoformat(job["completed_at"])
    return job


def error_of(resp: requests.Response, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    body = valid(resp, status, schema_ref("ErrorResponse"))
    assert body["error"] == code
    assert body["statusCode"] == status
    assert body["message"]
    assert body.get("field") == field, body
    return body


ADMIN = {"X-Admin-Token": "test-admin"}


def make_gateway(tmp_path: Path, **kwargs: Any) -> DemoGateway:
    kwargs.setdefault("job_seconds", 0.4)
    kwargs.setdefault("admin_token", "test-admin")
    kwargs.setdefault("keepalive_seconds", 0.5)
    return DemoGateway(tmp_path / "gw", **kwargs).start()


@pytest.fixture
def gw(tmp_path: Path):
    g = make_gateway(tmp_path)
    yield g
    g.stop()


def create(gw: DemoGateway, headers: dict[str, str] = AUTH, **body: Any) -> requests.Response:
    body.setdefault("model", "minimax")
    body.setdefault("prompt", "a quiet lake at dawn")
    if body["model"] == "minimax":
        body.setdefault("duration", 1)
        body.setdefault("aspect_ratio", "1:1")
    return requests.post(f"{gw.v1_url}/video", json=body, headers=headers, timeout=10)


def get_job(gw: DemoGateway, job_id: str, headers: dict[str, str] = AUTH) -> requests.Response:
    return requests.get(f"{gw.v1_url}/jobs/{job_id}", headers=headers, timeout=10)


def wait_terminal(gw: DemoGateway, job_id: str, headers: dict[str, str] = AUTH) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        job = job_of(get_job(gw, job_id, headers))
        if job["status"] in ("completed", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def balance(gw: DemoGateway, headers: dict[str, str] = AUTH) -> int:
    resp = requests.get(f"{gw.v1_url}/balance", headers=headers, timeout=10)
    body = valid(resp, 200, response_schema("/balance", "get", "200"))
    assert body["currency"] == "usd"
    return body["balance_cents"]


def usage(gw: DemoGateway, headers: dict[str, str] = AUTH, **params: str) -> dict[str, Any]:
    resp = requests.get(f"{gw.v1_url}/usage", headers=headers, params=params, timeout=10)
    return valid(resp, 200, schema_ref("UsageResponse"))


def upload(
    gw: DemoGateway, data: bytes, media_type: str, *, hash_header: str | None = "auto"
) -> requests.Response:
    headers = dict(AUTH, **{"Content-Type": media_type})
    if hash_header == "auto":
        headers["X-Content-Hash"] = "sha256:" + hashlib.sha256(data).hexdigest()
    elif hash_header is not None:
        headers["X-Content-Hash"] = hash_header
    return requests.post(f"{gw.v1_url}/files", data=data, headers=headers, timeout=30)


def png_bytes(size: tuple[int, int] = (320, 240)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (40, 120, 200)).save(buf, format="PNG")
    return buf.getvalue()


def set_faults(gw: DemoGateway, **values: Any) -> dict[str, Any]:
    resp = requests.post(f"{gw.url}/_admin/faults", json=values, headers=ADMIN, timeout=10)
    return json_of(resp, 200)


def read_stream(
    gw: DemoGateway, job_id: str, headers: dict[str, str] = AUTH
) -> tuple[requests.Response, str, float]:
    start = time.monotonic()
    resp = requests.get(f"{gw.v1_url}/jobs/{job_id}/stream", headers=headers, stream=True, timeout=WAIT)
    text = resp.raw.read().decode()  # reads until the server closes the connection
    return resp, text, time.monotonic() - start


def events(text: str) -> list[dict[str, Any]]:
    out = []
    for block in text.split("\n\n"):
        lines = block.strip("\n").split("\n")
        if lines and lines[0] == "event: status":
            assert lines[1].startswith("data: ")
            job = json.loads(lines[1][len("data: ") :])
            _validator(schema_ref("JobResponse")).validate(job)
            out.append(job)
    return out


def raw_exchange(port: int, request: bytes) -> tuple[str, bytes]:
    """Send raw bytes; return the status line + headers and the body (by Content-Length)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            assert chunk, data
            data += chunk
        head, body = data.split(b"\r\n\r\n", 1)
        length = int(re.search(rb"(?i)content-length: (\d+)", head).group(1))
        while len(body) < length:
            chunk = sock.recv(65536)
            assert chunk
            body += chunk
    return head.decode(), body


def decode(path_or_bytes: bytes) -> tuple[int, int, int, float]:
    import av

    with av.open(io.BytesIO(path_or_bytes)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return stream.codec_context.width, stream.codec_context.height, frames, float(stream.average_rate)


# --- lifecycle ---------------------------------------------------------------------------------
def test_start_is_fast_and_stop_does_not_hang(tmp_path: Path) -> None:
    gw = DemoGateway(tmp_path / "gw", job_seconds=0.3)
    t0 = time.monotonic()
    gw.start()
    assert time.monotonic() - t0 < 0.1
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", gw.url)
    assert gw.v1_url == gw.url + "/v1"
    assert balance(gw) == 5000
    create(gw)  # a render in flight must not block stop()
    t0 = time.monotonic()
    gw.stop()
    assert time.monotonic() - t0 < 2.0
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{gw.v1_url}/balance", headers=AUTH, timeout=2)
    gw.stop()  # idempotent


def test_conftest_gateway_fixture_serves_the_contract(gateway: DemoGateway) -> None:
    assert balance(gateway) == 5000


def test_text_to_video_job_goes_queued_processing_completed_with_a_real_mp4(gw: DemoGateway) -> None:
    created = job_of(create(gw, prompt="a sunset over the sea with birds"), 202)
    assert created["status"] == "queued"
    assert created["model"] == "minimax"
    assert "output" not in created and "completed_at" not in created and "cache" not in created
    seen = {created["status"]}
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        job = job_of(get_job(gw, created["job_id"]))
        seen.add(job["status"])
        if job["status"] == "completed":
            break
        time.sleep(0.03)
    assert seen >= {"queued", "processing", "completed"}
    assert job["completed_at"] >= job["created_at"]
    assert job["output"] == {"url": f"{gw.url}/o/{created['job_id']}.mp4", "media_type": "video/mp4"}
    assert "error" not in job
    resp = requests.get(job["output"]["url"], timeout=10)
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "video/mp4"
    assert int(resp.headers["Content-Length"]) == len(resp.content)
    assert resp.headers["Accept-Ranges"] == "bytes"
    assert resp.content[4:8] == b"ftyp"
    width, height, frames, fps = decode(resp.content)
    assert (width, height) == (720, 720)
    assert frames == 24 and fps == 24


def test_job_completes_no_sooner_than_job_seconds(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path, job_seconds=1.0)
    try:
        t0 = time.monotonic()
        job = job_of(create(gw), 202)
        assert wait_terminal(gw, job["job_id"])["status"] == "completed"
        assert time.monotonic() - t0 >= 0.95
    finally:
        gw.stop()


def test_default_duration_and_ratio_come_from_the_model(
    gw: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from demo_gateway import render

    calls: list[tuple[Any, ...]] = []

    def spy(prompt: str, duration: float, aspect_ratio: str, out_path: Path, **extra: Any) -> None:
        calls.append((prompt, duration, aspect_ratio))
        out_path.write_bytes(b"\0\0\0\x18ftypisom")

    monkeypatch.setattr(render, "render_text_to_video", spy)
    job = job_of(create(gw, model="grok-imagine", prompt="rain on a window"), 202)  # default 6 s, 16:9
    assert wait_terminal(gw, job["job_id"])["status"] == "completed"
    job = job_of(create(gw, model="sora-2", prompt="snow", duration=8.0, aspect_ratio="9:16"), 202)
    assert wait_terminal(gw, job["job_id"])["status"] == "completed"
    assert calls == [("rain on a window", 6.0, "16:9"), ("snow", 8.0, "9:16")]


def test_image_to_video_uses_the_uploaded_image(gw: DemoGateway) -> None:
    up = valid(upload(gw, png_bytes(), "image/png"), 200, schema_ref("FileUploadResponse"))
    job = job_of(create(gw, files=[{"url": up["url"]}], prompt="slow zoom in", aspect_ratio="9:16"), 202)
    done = wait_terminal(gw, job["job_id"])
    assert done["status"] == "completed", done
    width, height, frames, _ = decode(requests.get(done["output"]["url"], timeout=10).content)
    assert (width, height, frames) == (720, 1280, 24)


def test_sora_image_to_video_accepts_auto_ratio_but_text_to_video_does_not(gw: DemoGateway) -> None:
    up = json_of(upload(gw, png_bytes(), "image/png"), 200)
    ok = job_of(create(gw, model="sora-2", aspect_ratio="auto", files=[{"url": up["url"]}]), 202)
    requests.delete(f"{gw.v1_url}/jobs/{ok['job_id']}", headers=AUTH, timeout=10)
    error_of(create(gw, model="sora-2", aspect_ratio="auto"), 400, "ValidationError", "aspect_ratio")


def test_remix_renders_the_source_video_at_its_length(gw: DemoGateway) -> None:
    first = wait_terminal(gw, job_of(create(gw), 202)["job_id"])
    source = requests.get(first["output"]["url"], timeout=10).content
    up = valid(upload(gw, source, "video/mp4"), 200, schema_ref("FileUploadResponse"))
    assert up["media_type"] == "video/mp4"
    job = job_of(create(gw, model="sora-2-remix", prompt="film noir", files=[{"url": up["url"]}]), 202)
    done = wait_terminal(gw, job["job_id"])
    assert done["status"] == "completed", done
    assert done["model"] == "sora-2-remix"
    _, _, frames, _ = decode(requests.get(done["output"]["url"], timeout=10).content)
    assert frames == 24
    assert balance(gw) == 5000 - 80 - 100


def test_a_video_as_first_file_means_remix_which_sora_2_does_not_do(gw: DemoGateway) -> None:
    first = wait_terminal(gw, job_of(create(gw), 202)["job_id"])
    up = json_of(upload(gw, requests.get(first["output"]["url"], timeout=10).content, "video/mp4"), 200)
    body = error_of(create(gw, model="sora-2", files=[{"url": up["url"]}]), 400, "ValidationError", "model")
    assert "remix" in body["message"]


# --- validation ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"model": None}, "model", "model is required"),
        ({"model": "no-such-model"}, "model", None),
        ({"model": 7}, "model", None),
        ({"prompt": None}, "prompt", "prompt is required"),
        ({"prompt": ""}, "prompt", None),
        ({"prompt": "   \n\t"}, "prompt", None),
        ({"prompt": 42}, "prompt", None),
        ({"prompt": "x" * 4001}, "prompt", None),
        ({"model": "sora-2", "duration": "8"}, "duration", "duration must be one of 4, 8, 12, 16, 20"),
        ({"model": "sora-2", "duration": True}, "duration", None),
        ({"model": "sora-2", "aspect_ratio": "1:1"}, "aspect_ratio", None),
        ({"model": "sora-2", "aspect_ratio": 16}, "aspect_ratio", None),
        ({"files": "https://example.com/cat.jpg"}, "files", None),
        ({"files": [{"url": "https://example.com/cat.jpg"}]}, "files", None),
        ({"files": ["not-an-object"]}, "files", None),
        ({"model": "sora-2-remix"}, "files", None),
        ({"provider_options": "fast"}, "provider_options", None),
    ],
)
def test_create_rejects_bad_bodies_with_the_field_and_charges_nothing(
    gw: DemoGateway, changes: dict[str, Any], field: str, message: str | None
) -> None:
    body: dict[str, Any] = {"model": "sora-2", "prompt": "a quiet lake at dawn"}
    body.update(changes)
    body = {k: v for k, v in body.items() if v is not None}
    resp = requests.post(f"{gw.v1_url}/video", json=body, headers=AUTH, timeout=10)
    err = error_of(resp, 400, "ValidationError", field)
    if message:
        assert err["message"] == message
    assert balance(gw) == 5000
    assert gw.stats()["creates"] == 0


def test_prompt_of_exactly_4000_chars_is_accepted(gw: DemoGateway) -> None:
    job_of(create(gw, prompt="y" * 4000), 202)


def test_file_urls_must_be_ones_this_gateway_served(gw: DemoGateway) -> None:
    up = json_of(upload(gw, png_bytes(), "image/png"), 200)
    for url in (
        f"{gw.url}/u/file_0000000000000000.png",  # unknown id
        up["url"].replace(str(gw.port), str(gw.port + 1)),  # another server
        up["url"].replace(".png", ".jpg"),  # wrong name
        "not a url",
    ):
        error_of(create(gw, files=[{"url": url}]), 400, "ValidationError", "files")


def test_remix_model_with_an_image_is_rejected_on_files(gw: DemoGateway) -> None:
    up = json_of(upload(gw, png_bytes(), "image/png"), 200)
    error_of(create(gw, model="sora-2-remix", files=[{"url": up["url"]}]), 400, "ValidationError", "files")


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_create_with_a_body_that_is_not_a_json_object_is_400(gw: DemoGateway, raw: bytes) -> None:
    resp = requests.post(
        f"{gw.v1_url}/video",
        data=raw,
        headers=dict(AUTH, **{"Content-Type": "application/json"}),
        timeout=10,
    )
    error_of(resp, 400, "ValidationError")


# --- auth, routes, methods -------------------------------------------------------------------------
@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "varg_key"])
def test_missing_or_empty_bearer_is_401_on_every_v1_endpoint(gw: DemoGateway, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    calls = [
        ("POST", "/video"),
        ("GET", "/jobs/job_0123456789abcdef"),
        ("GET", "/jobs/job_0123456789abcdef/stream"),
        ("DELETE", "/jobs/job_0123456789abcdef"),
        ("POST", "/files"),
        ("GET", "/balance"),
        ("GET", "/usage"),
    ]
    for method, path in calls:
        resp = requests.request(method, gw.v1_url + path, headers=headers, data=b"{}", timeout=10)
        error_of(resp, 401, "AuthError")
        assert resp.headers["WWW-Authenticate"] == "Bearer"


def test_accepted_keys_limits_who_gets_in(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path, accepted_keys=[KEY])
    try:
        assert balance(gw) == 5000
        error_of(requests.get(f"{gw.v1_url}/balance", headers=OTHER, timeout=10), 401, "AuthError")
    finally:
        gw.stop()


def test_unknown_routes_and_jobs_are_404(gw: DemoGateway) -> None:
    error_of(requests.get(f"{gw.v1_url}/nothing", headers=AUTH, timeout=10), 404, "NotFoundError")
    error_of(requests.get(f"{gw.url}/", timeout=10), 404, "NotFoundError")
    for method, path in [("GET", ""), ("GET", "/stream"), ("DELETE", "")]:
        resp = requests.request(
            method, f"{gw.v1_url}/jobs/job_0123456789abcdef{path}", headers=AUTH, timeout=10
        )
        error_of(resp, 404, "NotFoundError")
    error_of(requests.get(f"{gw.url}/o/job_0123456789abcdef.mp4", timeout=10), 404, "NotFoundError")
    error_of(requests.get(f"{gw.url}/o/../../etc/passwd", timeout=10), 404, "NotFoundError")
    error_of(requests.get(f"{gw.url}/u/file_0123456789abcdef.png", timeout=10), 404, "NotFoundError")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", "/v1/video", "POST"),
        ("PUT", "/v1/jobs/job_0123456789abcdef", "GET, DELETE"),
        ("POST", "/v1/balance", "GET"),
        ("DELETE", "/v1/usage", "GET"),
        ("GET", "/v1/files", "POST"),
        ("POST", "/o/job_0123456789abcdef.mp4", "GET, HEAD"),
    ],
)
def test_wrong_methods_are_405_with_allow(gw: DemoGateway, method: str, path: str, allow: str) -> None:
    resp = requests.request(method, gw.url + path, headers=AUTH, timeout=10)
    error_of(resp, 405, "MethodNotAllowedError")
    assert resp.headers["Allow"] == allow


def test_keys_are_isolated_balance_jobs_and_usage(gw: DemoGateway) -> None:
    job = job_of(create(gw), 202)
    assert balance(gw) == 4920
    assert balance(gw, OTHER) == 5000
    error_of(get_job(gw, job["job_id"], OTHER), 404, "NotFoundError")
    error_of(
        requests.delete(f"{gw.v1_url}/jobs/{job['job_id']}", headers=OTHER, timeout=10),
        404,
        "NotFoundError",
    )
    resp = requests.get(f"{gw.v1_url}/jobs/{job['job_id']}/stream", headers=OTHER, timeout=10)
    error_of(resp, 404, "NotFoundError")
    assert usage(gw, OTHER) == {"usage": [], "total_cents": 0}
    assert [r["job_id"] for r in usage(gw)["usage"]] == [job["job_id"]]
    assert job_of(get_job(gw, job["job_id"]))["job_id"] == job["job_id"]


def test_the_key_is_never_logged(gw: DemoGateway, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    job = job_of(create(gw), 202)
    get_job(gw, job["job_id"])
    requests.get(f"{gw.v1_url}/balance", headers={"Authorization": "Bearer"}, timeout=10)
    requests.get(f"{gw.v1_url}/usage?from=nope", headers=AUTH, timeout=10)
    assert "POST /v1/video" in caplog.text
    assert KEY not in caplog.text
    assert hashlib.sha256(KEY.encode()).hexdigest() not in caplog.text


# --- payment, cancel, usage ----------------------------------------------------------------------
def test_insufficient_balance_is_402_and_says_how_much(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path, initial_balance=150)
    try:
        job_of(create(gw, model="sora-2"), 202)
        resp = create(gw, model="sora-2")
        err = error_of(resp, 402, "InsufficientBalanceError")
        assert err["message"] == "Insufficient balance: this job needs 100 credits, you have 50."
        assert balance(gw) == 50
        assert gw.stats()["creates"] == 1
    finally:
        gw.stop()


def test_cancel_refunds_and_is_a_no_op_on_terminal_jobs(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path, job_seconds=5.0)
    try:
        job = job_of(create(gw, model="sora-2"), 202)
        assert balance(gw) == 4900
        resp = requests.delete(f"{gw.v1_url}/jobs/{job['job_id']}", headers=AUTH, timeout=10)
        assert resp.status_code == 204 and resp.content == b""
        done = job_of(get_job(gw, job["job_id"]))
        assert done["status"] == "cancelled"
        assert "completed_at" in done and "output" not in done
        assert balance(gw) == 5000
        assert usage(gw)["usage"][0]["cost_cents"] == 0
        again = requests.delete(f"{gw.v1_url}/jobs/{job['job_id']}", headers=AUTH, timeout=10)
        assert again.status_code == 204
        assert job_of(get_job(gw, job["job_id"]))["status"] == "cancelled"
        assert balance(gw) == 5000  # refunded once
        time.sleep(1.0)  # the render in flight finishes and is discarded
        assert job_of(get_job(gw, job["job_id"]))["status"] == "cancelled"
        error_of(requests.get(f"{gw.url}/o/{job['job_id']}.mp4", timeout=10), 404, "NotFoundError")
    finally:
        gw.stop()


def test_cancel_after_completion_changes_nothing(gw: DemoGateway) -> None:
    done = wait_terminal(gw, job_of(create(gw), 202)["job_id"])
    resp = requests.delete(f"{gw.v1_url}/jobs/{done['job_id']}", headers=AUTH, timeout=10)
    assert resp.status_code == 204
    assert job_of(get_job(gw, done["job_id"])) == done
    assert balance(gw) == 4920


def test_usage_lists_billed_jobs_in_a_date_range(gw: DemoGateway) -> None:
    a = job_of(create(gw), 202)
    b = job_of(create(gw, model="sora-2"), 202)
    today = datetime.now(UTC).date()
    all_ = usage(
        gw, **{"from": (today - timedelta(days=1)).isoformat(), "to": (today + timedelta(days=1)).isoformat()}
    )
    assert [r["job_id"] for r in all_["usage"]] == [a["job_id"], b["job_id"]]
    assert all_["total_cents"] == 180
    record = all_["usage"][1]
    assert record["model"] == "sora-2" and record["capability"] == "video" and record["cache_hit"] is False
    assert date.fromisoformat(record["created_at"][:10]) == today
    future = usage(gw, **{"from": (today + timedelta(days=1)).isoformat()})
    assert future == {"usage": [], "total_cents": 0}
    assert usage(gw, to=(today - timedelta(days=1)).isoformat())["usage"] == []
    assert usage(gw)["total_cents"] == 180


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=yesterday", "from"),
        ("from=2026-02-30", "from"),
        ("to=2026-1-5", "to"),
        ("to=", "to"),
        ("from=2026-02-10&to=2026-02-01", "to"),
    ],
)
def test_usage_rejects_bad_dates(gw: DemoGateway, query: str, field: str) -> None:
    resp = requests.get(f"{gw.v1_url}/usage?{query}", headers=AUTH, timeout=10)
    error_of(resp, 400, "ValidationError", field)


# --- files ---------------------------------------------------------------------------------------
def test_upload_stores_sniffs_and_serves_the_file(gw: DemoGateway) -> None:
    data = png_bytes()
    up = valid(upload(gw, data, "application/octet-stream"), 200, schema_ref("FileUploadResponse"))
    assert re.fullmatch(r"file_[0-9a-f]{16}", up["file_id"])
    assert up["url"] == f"{gw.url}/u/{up['file_id']}.png"
    assert up["hash"] == "sha256:" + hashlib.sha256(data).hexdigest()
    assert up["size"] == len(data)
    assert up["media_type"] == "image/png"  # by content, not by the declared type
    assert up["deduplicated"] is False
    got = requests.get(up["url"], timeout=10)
    assert got.status_code == 200 and got.content == data
    assert got.headers["Content-Type"] == "image/png"


def test_upload_with_a_known_hash_is_deduplicated(gw: DemoGateway) -> None:
    data = png_bytes((64, 64))
    first = json_of(upload(gw, data, "image/png"), 200)
    second = valid(upload(gw, data, "image/png"), 200, schema_ref("FileUploadResponse"))
    assert second["deduplicated"] is True
    assert second["file_id"] == first["file_id"] and second["url"] == first["url"]
    # a hash-only request (empty body) is enough once the gateway has the file
    resp = requests.post(
        f"{gw.v1_url}/files", data=b"", headers=dict(AUTH, **{"X-Content-Hash": first["hash"]}), timeout=10
    )
    assert json_of(resp, 200)["file_id"] == first["file_id"]
    # without the header there is no dedupe; another key has its own files
    assert json_of(upload(gw, data, "image/png", hash_header=None), 200)["deduplicated"] is False
    other = requests.post(
        f"{gw.v1_url}/files",
        data=data,
        headers=dict(OTHER, **{"X-Content-Hash": first["hash"]}),
        timeout=10,
    )
    assert json_of(other, 200)["deduplicated"] is False


@pytest.mark.parametrize(
    ("data", "header", "field"),
    [
        (b"\x89PNG\r\n\x1a\nabc", "sha256:" + "0" * 64, "X-Content-Hash"),
        (b"\x89PNG\r\n\x1a\nabc", "md5:abc", "X-Content-Hash"),
        (b"\x89PNG\r\n\x1a\nabc", "sha256:zz", "X-Content-Hash"),
        (b"", "sha256:" + "1" * 64, "file"),
        (b"", None, "file"),
    ],
)
def test_bad_uploads_are_400(gw: DemoGateway, data: bytes, header: str | None, field: str) -> None:
    error_of(upload(gw, data, "image/png", hash_header=header), 400, "ValidationError", field)


def test_upload_over_50_mb_is_413_before_the_body_is_read(gw: DemoGateway) -> None:
    head, raw = raw_exchange(
        gw.port,
        b"POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY.encode() + b"\r\n"
        b"Content-Type: image/png\r\nContent-Length: " + str(50 * 1024 * 1024 + 1).encode() + b"\r\n\r\n",
    )
    assert head.startswith("HTTP/1.1 413")
    body = json.loads(raw)
    jsonschema.validate(body, SPEC["components"]["schemas"]["ErrorResponse"])
    assert body["statusCode"] == 413


def test_upload_over_50_mb_sent_in_full_still_gets_a_413(gw: DemoGateway) -> None:
    with requests.Session() as s:
        resp = s.post(f"{gw.v1_url}/files", data=b"\0" * (50 * 1024 * 1024 + 1), headers=AUTH, timeout=30)
        error_of(resp, 413, "PayloadTooLargeError")
        assert balance(gw) == 5000  # the same keep-alive session still works


def test_range_requests_answer_206_for_seeking(gw: DemoGateway) -> None:
    done = wait_terminal(gw, job_of(create(gw), 202)["job_id"])
    url = done["output"]["url"]
    full = requests.get(url, timeout=10).content
    size = len(full)
    part = requests.get(url, headers={"Range": "bytes=0-99"}, timeout=10)
    assert part.status_code == 206 and part.content == full[:100]
    assert part.headers["Content-Range"] == f"bytes 0-99/{size}"
    assert part.headers["Content-Length"] == "100"
    tail = requests.get(url, headers={"Range": "bytes=-10"}, timeout=10)
    assert tail.status_code == 206 and tail.content == full[-10:]
    rest = requests.get(url, headers={"Range": f"bytes={size - 5}-"}, timeout=10)
    assert rest.status_code == 206 and rest.content == full[-5:]
    beyond = requests.get(url, headers={"Range": f"bytes={size}-"}, timeout=10)
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{size}"
    error_of(beyond, 416, "RangeNotSatisfiableError")
    head = requests.head(url, timeout=10)
    assert head.status_code == 200 and head.headers["Content-Length"] == str(size) and head.content == b""


def test_odd_range_headers_over_http(gw: DemoGateway) -> None:
    done = wait_terminal(gw, job_of(create(gw), 202)["job_id"])
    url = done["output"]["url"]
    full = requests.get(url, timeout=10).content
    size = len(full)
    one = requests.get(url, headers={"Range": "bytes=0-0"}, timeout=10)
    assert one.status_code == 206 and one.content == full[:1]
    clipped = requests.get(url, headers={"Range": f"bytes=5-{size + 100}"}, timeout=10)
    assert clipped.status_code == 206 and clipped.content == full[5:]
    whole = requests.get(url, headers={"Range": f"bytes=-{size + 100}"}, timeout=10)
    assert whole.status_code == 206 and whole.content == full
    zero = requests.get(url, headers={"Range": "bytes=-0"}, timeout=10)
    error_of(zero, 416, "RangeNotSatisfiableError")
    for ignored in ("bytes=5-1", "items=0-1", "bytes=a-b", "bytes=-"):
        resp = requests.get(url, headers={"Range": ignored}, timeout=10)
        assert resp.status_code == 200 and resp.content == full, ignored


def test_sniff_media_type() -> None:
    assert sniff_media_type(png_bytes()) == "image/png"
    assert sniff_media_type(b"\xff\xd8\xff\xe0rest") == "image/jpeg"
    assert sniff_media_type(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    assert sniff_media_type(b"\0\0\0\x18ftypmp42") == "video/mp4"
    assert sniff_media_type(b"hello") is None


# --- SSE -----------------------------------------------------------------------------------------
def test_stream_sends_every_status_keep_alives_and_closes_at_the_end(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path, job_seconds=0.6, keepalive_seconds=0.1)
    try:
        job = job_of(create(gw, prompt="a storm [fail]"), 202)  # no render: the timing is exact
        resp, text, took = read_stream(gw, job["job_id"])
        assert resp.status_code == 200
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        assert resp.headers["Cache-Control"] == "no-cache"
        assert resp.headers["Connection"] == "close"
        assert ": keep-alive\n\n" in text
        statuses = [e["status"] for e in events(text)]
        assert statuses == ["queued", "processing", "failed"]
        assert events(text)[-1]["error"] == FAIL_MESSAGE
        assert took < 3.0
    finally:
        gw.stop()


def test_stream_follows_a_rendered_job_to_completed(gw: DemoGateway) -> None:
    job = job_of(create(gw), 202)
    _, text, _ = read_stream(gw, job["job_id"])
    evs = events(text)
    assert evs[-1]["status"] == "completed"
    assert evs[-1]["output"]["url"].endswith(f"/o/{job['job_id']}.mp4")
    assert [e["status"] for e in evs][-2:] == ["processing", "completed"]


def test_stream_of_a_finished_job_sends_one_event_and_closes(gw: DemoGateway) -> None:
    job = job_of(create(gw), 202)
    requests.delete(f"{gw.v1_url}/jobs/{job['job_id']}", headers=AUTH, timeout=10)
    _, text, took = read_stream(gw, job["job_id"])
    assert [e["status"] for e in events(text)] == ["cancelled"]
    assert took < 1.0


def test_stream_sees_a_cancel(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path, job_seconds=10.0, keepalive_seconds=5.0)
    try:
        job = job_of(create(gw), 202)
        threading.Timer(
            0.3, requests.delete, args=(f"{gw.v1_url}/jobs/{job['job_id']}",), kwargs={"headers": AUTH}
        ).start()
        _, text, took = read_stream(gw, job["job_id"])
        assert [e["status"] for e in events(text)][-1] == "cancelled"
        assert took < 3.0
    finally:
        gw.stop()


def test_stream_is_cut_by_drop_stream_after_without_a_terminal_event(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path, job_seconds=10.0, keepalive_seconds=0.1, faults=Faults(drop_stream_after=0.4))
    try:
        job = job_of(create(gw), 202)
        _, text, took = read_stream(gw, job["job_id"])
        assert 0.35 <= took < 2.0
        assert ": keep-alive" in text
        assert all(e["status"] in ("queued", "processing") for e in events(text))
    finally:
        gw.stop()


def test_stream_is_cut_after_stream_cut_seconds(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path, job_seconds=10.0, keepalive_seconds=5.0, stream_cut_seconds=0.3)
    try:
        job = job_of(create(gw), 202)
        _, text, took = read_stream(gw, job["job_id"])
        assert 0.25 <= took < 2.0
        assert [e["status"] for e in events(text)] == ["queued"]
    finally:
        gw.stop()


def test_a_client_hanging_up_on_a_stream_is_quiet(gw: DemoGateway, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    job = job_of(create(gw), 202)
    resp = requests.get(f"{gw.v1_url}/jobs/{job['job_id']}/stream", headers=AUTH, stream=True, timeout=10)
    resp.close()
    wait_terminal(gw, job["job_id"])
    time.sleep(0.6)
    assert "Traceback" not in caplog.text
    assert balance(gw) == 4920


# --- cache --------------------------------------------------------------------------------------
def test_cache_returns_completed_jobs_for_identical_requests_at_no_cost(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path, cache=True)
    try:
        first = job_of(create(gw), 202)
        assert first["cache"]["hit"] is False and first["cache"]["key"].startswith("sha256:")
        done = wait_terminal(gw, first["job_id"])
        again = job_of(create(gw), 202)
        assert again["status"] == "completed"
        assert again["job_id"] != first["job_id"]
        assert again["cache"] == {"hit": True, "key": first["cache"]["key"]}
        assert again["output"] == done["output"]
        assert balance(gw) == 4920
        assert [(r["cost_cents"], r["cache_hit"]) for r in usage(gw)["usage"]] == [(80, False), (0, True)]
        assert job_of(create(gw, prompt="something else"), 202)["cache"]["hit"] is False
        assert job_of(create(gw, headers=OTHER), 202)["cache"]["hit"] is False  # per key
        assert gw.stats()["creates"] == 4
    finally:
        gw.stop()


# --- faults -------------------------------------------------------------------------------------
def test_faults_parse_update_take_and_reset() -> None:
    f = Faults.from_string(
        "rate_limit=2, retry_after=1,error_status=502,drop_stream_after=0.5,rate_limit_on=create"
    )
    assert f.rate_limit == 2 and f.retry_after == 1.0 and f.error_status == 502
    assert f.drop_stream_after == 0.5 and f.rate_limit_on == "create"
    assert f.take_rate_limit("read") is None
    assert f.take_rate_limit("create") == 1.0
    assert f.take_rate_limit("create") == 1.0
    assert f.take_rate_limit("create") is None
    f.update({"fail_jobs": "1", "latency": 0})
    assert f.take("fail_jobs") and not f.take("fail_jobs")
    f.fail_jobs = 3
    assert f.to_dict()["fail_jobs"] == 3
    assert "fail_jobs=3" in repr(f)
    for bad in (
        "nope=1",
        "rate_limit",
        "rate_limit=-1",
        "error_status=418",
        "rate_limit_on=some",
        "latency=x",
    ):
        with pytest.raises(ValueError):
            Faults.from_string(bad)
    with pytest.raises(ValueError):
        f.update({"rate_limit": 1, "bogus": 2})
    assert f.rate_limit == 0  # nothing applied from a rejected update
    f.reset()
    assert f.to_dict() == Faults().to_dict()
    assert Faults.parse("create_hang=1") == {"create_hang": 1}


def test_fault_counters_are_thread_safe() -> None:
    f = Faults(fail_jobs=1000)
    fired = []
    threads = [
        threading.Thread(target=lambda: fired.extend(f.take("fail_jobs") for _ in range(300)))
        for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(fired) == 1000 and f.fail_jobs == 0


def test_env_sets_faults_at_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VARG_LOCAL_FAULTS", "rate_limit=2,retry_after=1")
    gw = DemoGateway(tmp_path)
    assert gw.faults.rate_limit == 2 and gw.faults.retry_after == 1.0
    monkeypatch.setenv("VARG_LOCAL_FAULTS", "garbage")
    assert DemoGateway(tmp_path).faults.to_dict() == Faults().to_dict()


def test_admin_faults_merge_reject_and_reset(gw: DemoGateway) -> None:
    assert set_faults(gw, rate_limit=1)["rate_limit"] == 1
    merged = set_faults(gw, retry_after=3)
    assert merged["rate_limit"] == 1 and merged["retry_after"] == 3.0
    assert gw.faults.retry_after == 3.0
    resp = requests.post(f"{gw.url}/_admin/faults", json={"bogus": 1}, headers=ADMIN, timeout=10)
    error_of(resp, 400, "ValidationError", "faults")
    reset = json_of(requests.post(f"{gw.url}/_admin/faults/reset", headers=ADMIN, timeout=10), 200)
    assert reset == Faults().to_dict()


def test_rate_limit_answers_429_with_retry_after_then_recovers(gw: DemoGateway) -> None:
    set_faults(gw, rate_limit=2, retry_after=1)
    for _ in range(2):
        resp = requests.get(f"{gw.v1_url}/balance", headers=AUTH, timeout=10)
        err = error_of(resp, 429, "RateLimitError")
        assert resp.headers["Retry-After"] == "1"
        assert "1 second" in err["message"]
    assert balance(gw) == 5000


def test_rate_limit_on_create_only_leaves_reads_alone(gw: DemoGateway) -> None:
    set_faults(gw, rate_limit=1, rate_limit_on="create", retry_after=0.2)
    assert balance(gw) == 5000
    resp = create(gw)
    error_of(resp, 429, "RateLimitError")
    assert resp.headers["Retry-After"] == "1"  # whole seconds, rounded up
    assert gw.stats()["creates"] == 0 and balance(gw) == 5000
    job_of(create(gw), 202)


@pytest.mark.parametrize(("status", "code"), [(500, "InternalError"), (502, "ProviderError")])
def test_server_error_fault_answers_500_or_502(gw: DemoGateway, status: int, code: str) -> None:
    set_faults(gw, server_error=1, error_status=status)
    resp = requests.get(f"{gw.v1_url}/balance", headers=AUTH, timeout=10)
    body = error_of(resp, status, code)
    if status == 502:
        assert body["provider"] == "local"
    assert balance(gw) == 5000


def test_server_error_on_reads_does_not_touch_creates(gw: DemoGateway) -> None:
    set_faults(gw, server_error=1, server_error_on="read")
    job_of(create(gw), 202)
    error_of(requests.get(f"{gw.v1_url}/balance", headers=AUTH, timeout=10), 500, "InternalError")
    set_faults(gw, server_error=1, server_error_on="create")
    error_of(create(gw), 500, "InternalError")
    assert gw.stats()["creates"] == 1


def test_create_commit_then_error_charges_and_creates_but_answers_500(gw: DemoGateway) -> None:
    set_faults(gw, create_commit_then_error=1)
    error_of(create(gw), 500, "InternalError")
    assert gw.stats()["creates"] == 1 and gw.stats()["jobs"] == 1
    assert balance(gw) == 4920
    records = usage(gw)["usage"]
    assert len(records) == 1
    assert wait_terminal(gw, records[0]["job_id"])["status"] == "completed"
    job_of(create(gw), 202)  # the counter was used up


def test_create_hang_creates_charges_and_stalls(gw: DemoGateway) -> None:
    set_faults(gw, create_hang=2, hang_seconds=0.6)
    with pytest.raises(requests.ReadTimeout):
        requests.post(
            f"{gw.v1_url}/video",
            json={"model": "minimax", "prompt": "x", "duration": 1},
            headers=AUTH,
            timeout=(2, 0.2),
        )
    assert gw.stats()["creates"] == 1 and balance(gw) == 4920
    t0 = time.monotonic()
    job = job_of(create(gw), 202)
    assert time.monotonic() - t0 >= 0.55
    assert job["status"] in ("queued", "processing", "completed")
    assert gw.stats()["creates"] == 2


def test_stop_interrupts_a_hung_create(tmp_path: Path) -> None:
    gw = make_gateway(tmp_path, faults=Faults(create_hang=1, hang_seconds=30))
    threading.Timer(0.3, gw.stop).start()
    t0 = time.monotonic()
    try:
        create(gw)
    except requests.RequestException:
        pass
    assert time.monotonic() - t0 < 5.0


def test_fail_jobs_fails_the_next_jobs_and_refunds(gw: DemoGateway) -> None:
    set_faults(gw, fail_jobs=1)
    failed = wait_terminal(gw, job_of(create(gw), 202)["job_id"])
    assert failed["status"] == "failed"
    assert failed["error"] == "The provider rejected the request (content policy)."
    assert "output" not in failed and "completed_at" in failed
    assert balance(gw) == 5000
    assert usage(gw)["usage"][0]["cost_cents"] == 0
    assert wait_terminal(gw, job_of(create(gw), 202)["job_id"])["status"] == "completed"


def test_a_renderer_that_raises_fails_the_job_and_refunds(
    gw: DemoGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    from demo_gateway import render

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("encoder exploded")

    monkeypatch.setattr(render, "render_text_to_video", boom)
    done = wait_terminal(gw, job_of(create(gw), 202)["job_id"])
    assert done["status"] == "failed" and done["error"] == RENDER_FAIL_MESSAGE
    assert "exploded" not in done["error"]
    assert balance(gw) == 5000


def test_download_errors_fault_fails_the_next_output_download(gw: DemoGateway) -> None:
    done = wait_terminal(gw, job_of(create(gw), 202)["job_id"])
    set_faults(gw, download_errors=1)
    error_of(requests.get(done["output"]["url"], timeout=10), 500, "InternalError")
    assert requests.get(done["output"]["url"], timeout=10).status_code == 200


def test_latency_fault_slows_v1_requests(gw: DemoGateway) -> None:
    set_faults(gw, latency=0.3)
    t0 = time.monotonic()
    balance(gw)
    assert time.monotonic() - t0 >= 0.28


def test_an_unexpected_exception_is_a_json_500_and_is_logged(
    gw: DemoGateway, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise KeyError("secret internals")

    import demo_gateway.v1

    monkeypatch.setattr(demo_gateway.v1, "available", broken)
    caplog.set_level(logging.ERROR)
    resp = requests.get(f"{gw.v1_url}/balance", headers=AUTH, timeout=10)
    body = error_of(resp, 500, "InternalError")
    assert "secret" not in body["message"]
    assert "secret internals" in caplog.text  # the traceback goes to the log, not the body
    assert KEY not in caplog.text


# --- stats --------------------------------------------------------------------------------------
def test_stats_count_requests_creates_and_downloads_with_auth(gw: DemoGateway) -> None:
    job = job_of(create(gw), 202)
    done = wait_terminal(gw, job["job_id"])
    up = json_of(upload(gw, png_bytes((8, 8)), "image/png"), 200)
    requests.get(done["output"]["url"], timeout=10)
    requests.get(done["output"]["url"], headers=AUTH, timeout=10)  # a client that leaks the key
    requests.get(up["url"], headers=AUTH, timeout=10)
    stats = json_of(requests.get(f"{gw.url}/_admin/stats", headers=ADMIN, timeout=10), 200)
    assert stats == gw.stats()
    assert stats["creates"] == 1 and stats["jobs"] == 1
    assert stats["output_downloads"] == 2
    assert stats["output_downloads_with_auth"] == 2
    assert stats["requests"]["POST /v1/video"] == 1
    assert stats["requests"]["GET /v1/jobs/{id}"] >= 1
    assert stats["requests"]["POST /v1/files"] == 1
    assert stats["requests"]["GET /o/{file}"] == 2
    assert stats["requests"]["GET /u/{file}"] == 1
    assert stats["faults"] == Faults().to_dict()


def test_keep_alive_connections_survive_error_answers(gw: DemoGateway) -> None:
    with requests.Session() as s:
        s.headers.update(AUTH)
        r = s.post(f"{gw.v1_url}/files", data=b"x" * 100_000, headers={"Authorization": ""}, timeout=10)
        error_of(r, 401, "AuthError")
        error_of(s.post(f"{gw.v1_url}/video", data=b"{oops", timeout=10), 400, "ValidationError")
        error_of(s.put(f"{gw.v1_url}/balance", data=b"abc", timeout=10), 405, "MethodNotAllowedError")
        assert json_of(s.get(f"{gw.v1_url}/balance", timeout=10), 200)["balance_cents"] == 5000


def test_malformed_http_gets_a_json_error(gw: DemoGateway) -> None:
    head, raw = raw_exchange(gw.port, b"GET /v1/balance HTTP/1.1\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
    assert head.startswith("HTTP/1.1 400")
    body = json.loads(raw)
    jsonschema.validate(body, SPEC["components"]["schemas"]["ErrorResponse"])


# --- CLI ----------------------------------------------------------------------------------------
def test_cli_prints_the_base_url_and_serves(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "demo_gateway",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path),
            "--job-seconds",
            "0.3",
        ]
        + ["--fault", "rate_limit=1", "--fault", "retry_after=2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+/v1)", line)
        assert m, line
        base = m.group(1)
        resp = requests.get(f"{base}/balance", headers=AUTH, timeout=10)
        assert resp.status_code == 429 and resp.headers["Retry-After"] == "2"
        assert requests.get(f"{base}/balance", headers=AUTH, timeout=10).json()["balance_cents"] == 5000
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_cli_rejects_a_bad_fault(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "demo_gateway", "--port", "0", "--fault", "nonsense=1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 2 and "nonsense" in proc.stderr
