"""The demo gateway's /v2 over real HTTP, every answer checked against tests/schemas/v2 (docs/contract-v2.md)."""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jsonschema
import numpy as np
import pytest
import requests
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from demo_gateway import DemoGateway, Faults
from demo_gateway.render import frame_size, render_text_to_video

SCHEMAS = Path(__file__).with_name("schemas") / "v2"
_RESOURCES = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(SCHEMAS.glob("*.json"))}
_REGISTRY = Registry().with_resources(
    (s["$id"], Resource.from_contents(s, default_specification=DRAFT202012)) for s in _RESOURCES.values()
)
KEY = "varg_test_key_0123456789"
OTHER_KEY = "varg_other_key_9876543210"
AUTH = {"Authorization": f"Bearer {KEY}"}
OTHER = {"Authorization": f"Bearer {OTHER_KEY}"}
ADMIN = {"X-Admin-Token": "test-admin"}
WAIT = 60.0


# --- helpers -----------------------------------------------------------------------------------
def check(resp: requests.Response, status: int, schema: str) -> Any:
    """The answer's status, headers every answer carries, and its body against a schema."""
    assert resp.status_code == status, (resp.status_code, resp.text[:500])
    assert resp.headers["Content-Type"].startswith("application/json")
    for name in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset", "Date"):
        assert name in resp.headers, name
    int(resp.headers["X-RateLimit-Reset"])
    body = resp.json()
    validator = jsonschema.Draft202012Validator(
        _RESOURCES[schema], registry=_REGISTRY, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    validator.validate(body)
    return body


def error(resp: requests.Response, status: int, code: str, field: str | None = None) -> dict[str, Any]:
    body = check(resp, status, "error")["error"]
    assert body["code"] == code, body
    if field is not None:
        assert body["details"]["field"] == field, body
    return body


def post(
    gw: DemoGateway, path: str, body: Any = None, headers: dict[str, str] = AUTH, **kw: Any
) -> requests.Response:
    kw.setdefault("timeout", 10)
    return requests.post(f"{gw.v2_url}{path}", json=body, headers=headers, **kw)


def get(gw: DemoGateway, path: str, headers: dict[str, str] = AUTH, **kw: Any) -> requests.Response:
    return requests.get(f"{gw.v2_url}{path}", headers=headers, timeout=10, **kw)


def body_of(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "minimax",
        "prompt": "a quiet lake at dawn",
        "duration": 1,
        "aspect_ratio": "1:1",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def create(
    gw: DemoGateway, status: int = 202, headers: dict[str, str] = AUTH, **changes: Any
) -> dict[str, Any]:
    return check(post(gw, "/video", body_of(**changes), headers), status, "job")


def wait_terminal(gw: DemoGateway, job_id: str, headers: dict[str, str] = AUTH) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        job = check(get(gw, f"/jobs/{job_id}", headers), 200, "job")
        if job["status"] in ("completed", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def balance(gw: DemoGateway, headers: dict[str, str] = AUTH) -> dict[str, Any]:
    body = check(get(gw, "/billing/balance", headers), 200, "balance")
    assert body["available"] == body["total_balance"] - body["reserved"]
    return body


def set_faults(gw: DemoGateway, **values: Any) -> None:
    resp = requests.post(f"{gw.url}/_admin/faults", json=values, headers=ADMIN, timeout=10)
    assert resp.status_code == 200, resp.text


def upload(
    gw: DemoGateway, data: bytes, media_type: str, headers: dict[str, str] = AUTH
) -> requests.Response:
    headers = dict(headers, **{"Content-Type": media_type})
    return requests.post(f"{gw.v2_url}/files", data=data, headers=headers, timeout=30)


def png_bytes(size: tuple[int, int] = (320, 240), color: tuple[int, int, int] = (40, 120, 200)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, color).save(buf, format="PNG")
    return buf.getvalue()


def frames_of(data: bytes) -> tuple[int, int, list[np.ndarray]]:
    import av

    with av.open(io.BytesIO(data)) as c:
        s = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(s)]
        return s.codec_context.width, s.codec_context.height, frames


def output_url(job: dict[str, Any]) -> str:
    return job["output"]["outputs"][0]["url"]


@pytest.fixture
def gw(gateway: DemoGateway) -> DemoGateway:
    return gateway


def make(tmp_path: Path, **kwargs: Any) -> DemoGateway:
    kwargs.setdefault("job_seconds", 0.4)
    kwargs.setdefault("keepalive_seconds", 0.5)
    kwargs.setdefault("admin_token", "test-admin")
    return DemoGateway(tmp_path / "gw", **kwargs).start()


# --- discovery and pricing -------------------------------------------------------------------------
def test_tools_list_and_the_video_tool(gw: DemoGateway) -> None:
    tools = check(get(gw, "/tools"), 200, "tools")
    assert [t["name"] for t in tools["tools"]] == ["video"]
    tool = check(get(gw, "/tools/video"), 200, "tool")
    assert "model" not in tool
    assert {"sora_2", "sora_2_pro", "sora_2_remix", "kling_v3", "kling_v2.5", "wan_2.5"} <= set(
        tool["models"]
    )
    assert tool["input_schema"]["properties"]["model"]["enum"] == tool["models"]
    error(get(gw, "/tools/image"), 404, "tool_not_found")
    error(get(gw, "/tools/video?model=nope"), 404, "model_not_found")


def model_schema(gw: DemoGateway, model: str) -> dict[str, Any]:
    tool = check(get(gw, f"/tools/video?model={model}"), 200, "tool")
    schema = tool["input_schema"]
    jsonschema.Draft202012Validator(_RESOURCES["model_schema"]).validate(schema)
    jsonschema.Draft202012Validator.check_schema(schema)
    return {"model": tool["model"], **schema}


def test_each_models_schema_says_what_it_takes(gw: DemoGateway) -> None:
    sora = model_schema(gw, "sora-2")
    assert sora["model"] == "sora_2" and sora["title"] == "Sora 2"
    assert sora["properties"]["duration"] == {"type": "integer", "enum": [4, 8, 12, 16, 20], "default": 4}
    assert "seed" not in sora["properties"] and sora["properties"]["audio"]["enum"] == ["native"]
    assert sora["x-resolution"] == "720p" and sora["required"] == ["model", "prompt"]
    assert model_schema(gw, "sora_2_pro")["x-resolution"] == "1080p"
    kling = model_schema(gw, "fal:kling_v3")
    assert kling["properties"]["duration"] == {"type": "integer", "minimum": 3, "maximum": 15, "default": 5}
    assert "seed" in kling["properties"] and "end_image_url" in kling["properties"]
    assert model_schema(gw, "grok_imagine")["properties"]["duration"]["maximum"] == 15
    assert model_schema(gw, "kling_v2.5")["properties"]["duration"]["enum"] == [5, 10]
    for edit, seconds in (("sora_2_remix", 20), ("grok_imagine_edit", 8)):
        schema = model_schema(gw, edit)
        assert "files" in schema["required"] and "duration" not in schema["properties"]
        assert schema["properties"]["files"]["items"]["properties"]["url"]["contentMediaType"] == "video/*"
        assert schema["x-max-source-seconds"] == seconds
    assert "audio" not in model_schema(gw, "minimax")["properties"]


def test_pricing_is_public_and_per_second(gw: DemoGateway) -> None:
    prices = check(requests.get(f"{gw.v2_url}/pricing", timeout=10), 200, "pricing")
    by = {row["model"]: row for row in prices["data"]}
    assert by["sora_2"] == {
        "model": "sora_2",
        "capability": "video",
        "unit": "second",
        "unit_price_cents": 26.25,
        "default_duration": 4,
        "default_cost_cents": 105,
    }
    assert by["kling_v3"]["default_cost_cents"] == 221 and by["kling_v2.5"]["default_cost_cents"] == 147
    short = check(post(gw, "/estimate", {"model": "sora_2", "prompt": "x", "duration": 4}), 200, "estimate")
    long = check(post(gw, "/estimate", {"model": "sora_2", "prompt": "x", "duration": 20}), 200, "estimate")
    assert (short["estimated_cost_cents"], long["estimated_cost_cents"]) == (105, 525)
    assert gw.stats()["creates"] == 0 and balance(gw)["available"] == 5000


@pytest.mark.parametrize(
    ("model", "asked", "got", "warned"),
    [
        ("sora-2", 5, 4, True),
        ("sora_2", 10, 8, True),
        ("sora_2", 14, 12, True),
        ("sora_2", 8, 8, False),
        ("kling_v3", 20, 15, True),
        ("kling_v3", 1, 3, True),
        ("minimax", 2.6, 3, True),
        ("wan_2.5", 7, 5, True),
    ],
)
def test_estimate_snaps_durations_and_says_so(
    gw: DemoGateway, model: str, asked: float, got: int, warned: bool
) -> None:
    est = check(post(gw, "/estimate", {"model": model, "prompt": "x", "duration": asked}), 200, "estimate")
    assert est["input"]["duration"] == got and est["pricing"]["billed_units"] == got
    assert bool(est["warnings"]) is warned
    if model == "sora_2" and asked == 10:
        assert est["warnings"] == ["sora_2 renders 4, 8, 12, 16 or 20 s: 10 s became 8 s."]
        assert est["estimated_cost_cents"] == 210 and est["pricing"]["unit_price_cents"] == 26.25


# --- jobs ----------------------------------------------------------------------------------------
def test_a_job_runs_reserves_then_commits_and_serves_an_mp4(gw: DemoGateway) -> None:
    job = create(gw)
    assert job["status"] == "queued" and job["input"]["model"] == "minimax"
    assert job["estimated_cost_cents"] == 17 and job["actual_cost_cents"] is None
    held = balance(gw)
    assert (held["reserved"], held["available"], held["total_balance"]) == (17, 4983, 5000)
    seen = set()
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        st = check(get(gw, f"/jobs/{job['id']}/status"), 200, "job_status")
        seen.add(st["status"])
        if st["status"] == "completed":
            break
        time.sleep(0.03)
    assert {"running", "completed"} <= seen
    done = check(get(gw, f"/jobs/{job['id']}"), 200, "job")
    assert done["actual_cost_cents"] == 17 and done["pricing"]["actual"] == 17 and done["progress"] == 1.0
    assert check(get(gw, f"/jobs/{job['id']}/price"), 200, "job_price") == {
        "estimated": 17,
        "actual": 17,
        "billed_units": 1,
    }
    after = balance(gw)
    assert (after["reserved"], after["available"], after["total_balance"]) == (0, 4983, 4983)
    resp = requests.get(output_url(done), timeout=10)
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "video/mp4"
    assert done["output"]["outputs"][0]["size_bytes"] == len(resp.content)
    w, h, frames = frames_of(resp.content)
    assert (w, h, len(frames)) == (720, 720, 24)
    listed = check(get(gw, "/jobs?limit=5"), 200, "job_list")
    assert [j["id"] for j in listed["data"]] == [job["id"]]
    assert check(get(gw, "/jobs", OTHER), 200, "job_list") == {"data": []}
    error(get(gw, f"/jobs/{job['id']}", OTHER), 404, "job_not_found")
    error(get(gw, "/jobs/job_0123456789abcdef/status"), 404, "job_not_found")
    error(get(gw, "/jobs?limit=0"), 400, "invalid_request", "limit")
    today = datetime.now(UTC).date()
    used = check(get(gw, f"/billing/usage?from={today - timedelta(days=1)}&to={today}"), 200, "usage")
    assert used == {
        "data": [
            {
                "job_id": job["id"],
                "model": "minimax",
                "cost_cents": 17,
                "cached": False,
                "created_at": job["created_at"],
            }
        ],
        "total_cents": 17,
    }
    error(get(gw, "/billing/usage?from=yesterday"), 400, "invalid_request", "from")


def test_idempotency_key_gives_one_job_and_one_charge(gw: DemoGateway) -> None:
    headers = dict(AUTH, **{"Idempotency-Key": "take-1"})
    first = check(post(gw, "/video", body_of(), headers), 202, "job")
    again = check(post(gw, "/video", body_of(), headers), 200, "job")
    assert again["id"] == first["id"]
    assert balance(gw)["reserved"] == 17 and gw.stats()["creates"] == 1
    error(post(gw, "/video", body_of(prompt="another"), headers), 422, "invalid_request", "Idempotency-Key")
    other = check(post(gw, "/video", body_of(), dict(OTHER, **{"Idempotency-Key": "take-1"})), 202, "job")
    assert other["id"] != first["id"]  # keys are per account


def test_a_lost_answer_retried_with_the_same_key_makes_one_job(gw: DemoGateway) -> None:
    set_faults(gw, create_hang=1, hang_seconds=1.0)
    headers = dict(AUTH, **{"Idempotency-Key": "lost-answer"})
    with pytest.raises(requests.ReadTimeout):
        post(gw, "/video", body_of(), headers, timeout=(2, 0.3))
    job = check(post(gw, "/video", body_of(), headers), 200, "job")
    done = wait_terminal(gw, job["id"])
    assert done["status"] == "completed"
    assert gw.stats()["creates"] == 1 and gw.stats()["jobs"] == 1
    assert check(get(gw, "/billing/usage"), 200, "usage")["total_cents"] == 17
    assert balance(gw)["available"] == 5000 - 17


def test_identical_requests_are_cached_free_and_a_new_seed_is_not(gw: DemoGateway) -> None:
    first = wait_terminal(gw, create(gw, seed=7)["id"])
    est = check(post(gw, "/estimate", body_of(seed=7)), 200, "estimate")
    assert est["estimated_cost_cents"] == 0 and est["pricing"]["cached"] is True
    hit = create(gw, seed=7)
    assert hit["status"] == "completed" and hit["id"] != first["id"]
    assert hit["actual_cost_cents"] == 0 and hit["pricing"] == {
        "estimated": 0,
        "actual": 0,
        "billing": "metered",
        "cached": True,
    }
    assert output_url(hit) == output_url(first)
    miss = create(gw, seed=8)
    assert miss["status"] == "queued" and miss["pricing"]["cached"] is False
    assert balance(gw)["total_balance"] == 5000 - 17


def test_another_seed_renders_a_visibly_different_video(gw: DemoGateway) -> None:
    a = create(gw, seed=1, prompt="mountains at sunset")
    b = create(gw, seed=2, prompt="mountains at sunset")
    fa = frames_of(requests.get(output_url(wait_terminal(gw, a["id"])), timeout=10).content)[2]
    fb = frames_of(requests.get(output_url(wait_terminal(gw, b["id"])), timeout=10).content)[2]
    diff = float(np.abs(fa[0].astype(np.int16) - fb[0].astype(np.int16)).mean())
    assert diff > 8.0, diff


def test_cancel_releases_and_a_terminal_cancel_is_409(tmp_path: Path) -> None:
    gw = make(tmp_path, job_seconds=5.0)
    try:
        job = create(gw)
        assert balance(gw)["reserved"] == 17
        cancelled = check(post(gw, f"/jobs/{job['id']}/cancel"), 200, "job")
        assert cancelled["status"] == "cancelled" and cancelled["actual_cost_cents"] == 0
        assert balance(gw)["available"] == 5000 and balance(gw)["reserved"] == 0
        err = error(post(gw, f"/jobs/{job['id']}/cancel"), 409, "job_terminal")
        assert "cancelled" in err["message"]
        error(post(gw, f"/jobs/{job['id']}/retry"), 409, "job_terminal")
    finally:
        gw.stop()


def test_cancel_of_a_completed_job_is_409_and_costs_what_it_cost(gw: DemoGateway) -> None:
    done = wait_terminal(gw, create(gw)["id"])
    assert "completed" in error(post(gw, f"/jobs/{done['id']}/cancel"), 409, "job_terminal")["message"]
    error(post(gw, f"/jobs/{done['id']}/retry"), 409, "job_terminal")
    assert balance(gw)["total_balance"] == 5000 - 17


def test_cancel_conflict_finishes_the_job_first(gw: DemoGateway) -> None:
    set_faults(gw, cancel_conflict=1)
    job = create(gw)
    error(post(gw, f"/jobs/{job['id']}/cancel"), 409, "job_terminal")
    assert check(get(gw, f"/jobs/{job['id']}"), 200, "job")["status"] == "completed"


def test_a_failed_job_is_released_and_can_be_retried(gw: DemoGateway) -> None:
    set_faults(gw, fail_jobs=1)
    failed = wait_terminal(gw, create(gw)["id"])
    assert failed["status"] == "failed" and failed["error"]["message"]
    assert failed["actual_cost_cents"] == 0 and balance(gw)["available"] == 5000
    retried = check(post(gw, f"/jobs/{failed['id']}/retry"), 200, "job")
    assert retried["id"] == failed["id"] and retried["status"] == "queued"
    assert balance(gw)["reserved"] == 17
    done = wait_terminal(gw, failed["id"])
    assert done["status"] == "completed" and done["actual_cost_cents"] == 17


# --- errors --------------------------------------------------------------------------------------
def test_402_says_what_is_needed_and_available(tmp_path: Path) -> None:
    gw = make(tmp_path, initial_balance=100)
    try:
        err = error(
            post(gw, "/video", {"model": "sora_2", "prompt": "x", "duration": 8}), 402, "insufficient_balance"
        )
        assert err["details"] == {"needed": 210, "available": 100}
        assert gw.stats()["creates"] == 0
    finally:
        gw.stop()


def test_no_pricing_is_503_and_absent_from_pricing(gw: DemoGateway) -> None:
    set_faults(gw, no_pricing="kling_v3")
    error(post(gw, "/estimate", {"model": "kling-v3", "prompt": "x"}), 503, "no_pricing")
    error(post(gw, "/video", {"model": "kling_v3", "prompt": "x"}), 503, "no_pricing")
    rows = check(requests.get(f"{gw.v2_url}/pricing", timeout=10), 200, "pricing")["data"]
    assert "kling_v3" not in {r["model"] for r in rows} and "sora_2" in {r["model"] for r in rows}


def test_sora_gone_answers_model_not_found_but_stays_listed(gw: DemoGateway) -> None:
    set_faults(gw, sora_gone=True)
    for model in ("sora_2", "sora-2-pro", "sora_2_remix"):
        error(post(gw, "/estimate", {"model": model, "prompt": "x"}), 404, "model_not_found", "model")
    error(post(gw, "/video", {"model": "sora-2", "prompt": "x"}), 404, "model_not_found")
    assert "sora_2" in check(get(gw, "/tools/video"), 200, "tool")["models"]
    create(gw)  # others still work
    set_faults(gw, sora_gone=False, models_gone="minimax")
    error(post(gw, "/video", body_of()), 404, "model_not_found")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"model": None}, "model"),
        ({"model": 5}, "model"),
        ({"prompt": None}, "prompt"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x" * 2001}, "prompt"),
        ({"duration": "8"}, "duration"),
        ({"duration": True}, "duration"),
        ({"aspect_ratio": "21:9"}, "aspect_ratio"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"model": "sora_2", "seed": 3, "aspect_ratio": "16:9"}, "seed"),
        ({"audio": "native"}, "audio"),
        ({"end_image_url": "http://example.com/a.png"}, "end_image_url"),
        ({"files": "nope"}, "files"),
        ({"files": [{"url": "https://example.com/cat.png"}]}, "files"),
        ({"files": [{"url": "x"}] * 11}, "files"),
        ({"model": "sora_2_remix", "aspect_ratio": None, "duration": None}, "files"),
        ({"options": {"webhook_url": "ftp://x"}}, "options.webhook_url"),
        ({"provider_options": "fast"}, "provider_options"),
    ],
)
def test_bodies_failing_the_models_schema_are_422_with_the_field(
    gw: DemoGateway, changes: dict[str, Any], field: str
) -> None:
    for path in ("/estimate", "/video"):
        error(post(gw, path, body_of(**changes)), 422, "invalid_request", field)
    assert gw.stats()["creates"] == 0 and balance(gw)["available"] == 5000


def test_unprocessable_fault_answers_422(gw: DemoGateway) -> None:
    set_faults(gw, unprocessable=1)
    assert error(post(gw, "/video", body_of()), 422, "invalid_request")["details"]["field"]
    create(gw)


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"", "invalid_json"),
        (b"\xff\xfe{}", "invalid_json"),
        (b"[1, 2]", "invalid_request"),
        (b'{"model": "minimax", "prompt": "\\ud800"}', "invalid_request"),
        (
            b'{"model": "minimax", "prompt": "x", "provider_options": ' + b'{"a":' * 40 + b"1" + b"}" * 41,
            "invalid_request",
        ),
        (b'{"duration": NaN, "model": "minimax", "prompt": "x"}', "invalid_json"),
    ],
)
def test_bad_bodies_are_400_never_500(gw: DemoGateway, raw: bytes, code: str) -> None:
    headers = dict(AUTH, **{"Content-Type": "application/json"})
    for path in ("/video", "/estimate"):
        error(requests.post(f"{gw.v2_url}{path}", data=raw, headers=headers, timeout=10), 400, code)
    v1 = requests.post(f"{gw.v1_url}/video", data=raw, headers=headers, timeout=10)
    assert v1.status_code == 400 and v1.json()["error"] == "ValidationError"


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic dXNlcjpwYXNz"])
def test_every_route_but_pricing_needs_a_key(gw: DemoGateway, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    calls = [
        ("GET", "/tools"),
        ("GET", "/tools/video"),
        ("POST", "/estimate"),
        ("POST", "/video"),
        ("GET", "/jobs"),
        ("GET", "/jobs/job_0123456789abcdef"),
        ("GET", "/jobs/job_0123456789abcdef/status"),
        ("POST", "/jobs/job_0123456789abcdef/cancel"),
        ("POST", "/jobs/job_0123456789abcdef/retry"),
        ("GET", "/jobs/job_0123456789abcdef/price"),
        ("POST", "/files"),
        ("GET", "/files/check"),
        ("GET", "/billing/balance"),
        ("GET", "/billing/usage"),
    ]
    for method, path in calls:
        resp = requests.request(method, gw.v2_url + path, headers=headers, data=b"{}", timeout=10)
        error(resp, 401, "unauthorized")
    check(requests.get(f"{gw.v2_url}/pricing", headers=headers, timeout=10), 200, "pricing")


def test_rate_limit_is_429_with_retry_after_and_limits(gw: DemoGateway) -> None:
    set_faults(gw, rate_limit=1, retry_after=2)
    resp = get(gw, "/billing/balance")
    error(resp, 429, "rate_limited")
    assert resp.headers["Retry-After"] == "2" and resp.headers["X-RateLimit-Remaining"] == "0"
    assert int(resp.headers["X-RateLimit-Limit"]) > 0
    balance(gw)


def test_clock_skew_moves_the_gateways_clock(gw: DemoGateway) -> None:
    set_faults(gw, clock_skew=3600)
    job = create(gw)
    shown = datetime.fromisoformat(job["created_at"].replace("Z", "+00:00"))
    assert shown - datetime.now(UTC) > timedelta(minutes=50)
    from email.utils import parsedate_to_datetime

    date = parsedate_to_datetime(get(gw, "/tools").headers["Date"])
    assert date - datetime.now(UTC) > timedelta(minutes=50)


# --- files -----------------------------------------------------------------------------------------
def test_upload_check_and_serve_files(gw: DemoGateway) -> None:
    data = png_bytes()
    sha = "sha256:" + hashlib.sha256(data).hexdigest()
    assert check(get(gw, f"/files/check?hash={sha}"), 200, "file_check") == {"exists": False}
    first = check(upload(gw, data, "image/png"), 201, "file")
    assert first["media_type"] == "image/png" and first["hash"] == sha and first["size_bytes"] == len(data)
    again = check(upload(gw, data, "image/png"), 200, "file")
    assert again["file_id"] == first["file_id"]
    found = check(get(gw, f"/files/check?hash={sha}"), 200, "file_check")
    assert found == {"exists": True, "file_id": first["file_id"], "url": first["url"]}
    assert check(get(gw, f"/files/check?hash={sha}", OTHER), 200, "file_check") == {"exists": False}
    error(get(gw, "/files/check?hash=md5:abc"), 400, "invalid_request", "hash")
    served = requests.get(first["url"], timeout=10)
    assert served.content == data and served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    page = check(upload(gw, b"<html><script>alert(1)</script></html>", "text/html"), 201, "file")
    risky = requests.get(page["url"], timeout=10)
    assert risky.headers["Content-Type"] == "application/octet-stream"
    assert risky.headers["Content-Disposition"].startswith("attachment")
    assert risky.headers["X-Content-Type-Options"] == "nosniff"


def test_upload_over_200_mb_is_413(gw: DemoGateway) -> None:
    with socket.create_connection(("127.0.0.1", gw.port), timeout=5) as sock:
        sock.sendall(
            b"POST /v2/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY.encode() + b"\r\n"
            b"Content-Type: video/mp4\r\nContent-Length: " + str(200 * 1024 * 1024 + 1).encode() + b"\r\n\r\n"
        )
        data = b""
        while b"}}" not in data:
            chunk = sock.recv(65536)
            assert chunk
            data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["error"]["code"] == "file_too_large"


def test_image_to_video_and_another_accounts_file_is_404(gw: DemoGateway) -> None:
    up = check(upload(gw, png_bytes(), "image/png"), 201, "file")
    job = create(gw, files=[{"url": up["url"]}], aspect_ratio="9:16")
    done = wait_terminal(gw, job["id"])
    w, h, frames = frames_of(requests.get(output_url(done), timeout=10).content)
    assert (w, h, len(frames)) == (720, 1280, 24)
    error(post(gw, "/video", body_of(files=[{"url": up["url"]}]), OTHER), 404, "file_not_found", "files")
    error(
        post(gw, "/video", body_of(model="sora_2_remix", files=[{"url": output_url(done)}]), OTHER),
        404,
        "file_not_found",
    )
    v1 = requests.post(
        f"{gw.v1_url}/video", json=body_of(files=[{"url": up["url"]}]), headers=OTHER, timeout=10
    )
    assert v1.status_code == 404 and v1.json()["field"] == "files"


# --- the Sora page's examples ---------------------------------------------------------------------------
def _seconds(url: str) -> float:
    import av

    with av.open(io.BytesIO(requests.get(url, timeout=30).content)) as c:
        s = c.streams.video[0]
        return round(float(s.duration * s.time_base))


def test_the_sora_page_examples_complete_on_v1(gw: DemoGateway) -> None:
    def v1(body: dict[str, Any]) -> dict[str, Any]:
        resp = requests.post(f"{gw.v1_url}/video", json=body, headers=AUTH, timeout=10)
        assert resp.status_code == 202, resp.text
        job_id = resp.json()["job_id"]
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            job = requests.get(f"{gw.v1_url}/jobs/{job_id}", headers=AUTH, timeout=10).json()
            if job["status"] in ("completed", "failed", "cancelled"):
                assert job["status"] == "completed", job
                return job
            time.sleep(0.05)
        raise AssertionError("not done")

    image = requests.post(
        f"{gw.v1_url}/files",
        data=png_bytes(),
        headers=dict(AUTH, **{"Content-Type": "image/png"}),
        timeout=10,
    ).json()
    five = v1({"model": "sora-2", "prompt": "a cat on a windowsill", "duration": 5})
    ten = v1({"model": "sora-2", "prompt": "a city at night", "duration": 10, "aspect_ratio": "16:9"})
    img = v1({"model": "sora-2", "prompt": "slow zoom in", "duration": 5, "files": [{"url": image["url"]}]})
    remix = v1({"model": "sora-2-remix", "prompt": "film noir", "files": [{"url": five["output"]["url"]}]})
    assert [_seconds(j["output"]["url"]) for j in (five, ten, img, remix)] == [4, 8, 4, 4]


def test_the_sora_page_examples_complete_on_v2(gw: DemoGateway) -> None:
    image = check(upload(gw, png_bytes(), "image/png"), 201, "file")
    five = create(gw, model="sora_2", prompt="a cat on a windowsill", duration=5, aspect_ratio=None)
    ten = create(gw, model="sora-2", prompt="a city at night", duration=10, aspect_ratio="16:9")
    img = create(
        gw,
        model="sora_2",
        prompt="slow zoom in",
        duration=5,
        aspect_ratio=None,
        files=[{"url": image["url"]}],
    )
    assert (five["input"]["duration"], ten["input"]["duration"], img["input"]["duration"]) == (4, 8, 4)
    assert (five["estimated_cost_cents"], ten["estimated_cost_cents"]) == (105, 210)
    five = wait_terminal(gw, five["id"])
    remix = create(
        gw,
        model="sora-2-remix",
        prompt="film noir",
        duration=None,
        aspect_ratio=None,
        files=[{"url": output_url(five)}],
    )
    assert remix["input"]["model"] == "sora_2_remix" and remix["estimated_cost_cents"] == 105
    done = [wait_terminal(gw, j["id"]) for j in (five, ten, img, remix)]
    assert [j["status"] for j in done] == ["completed"] * 4
    assert [_seconds(output_url(j)) for j in done] == [4, 8, 4, 4]


def test_sora_2_pro_renders_1080p() -> None:
    assert frame_size("16:9", resolution="1080p") == (1920, 1080)
    assert frame_size("9:16", resolution="1080p") == (1080, 1920)


def test_the_renderer_takes_a_1080p_resolution(tmp_path: Path) -> None:
    result = render_text_to_video("a quiet lake", 0.125, "16:9", tmp_path / "a.mp4", resolution="1080p")
    assert (result.width, result.height) == (1920, 1080)


# --- webhooks ------------------------------------------------------------------------------------
class _Receiver:
    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes, float]] = []
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with outer.lock:
                    outer.got.append((dict(self.headers), body, time.monotonic()))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, n: int, timeout: float = 20.0) -> list[tuple[dict[str, str], bytes, float]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.got) >= n:
                    return list(self.got)
            time.sleep(0.02)
        raise AssertionError(f"{len(self.got)} webhooks arrived, wanted {n}")


@pytest.fixture
def receiver() -> Iterator[_Receiver]:
    r = _Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


def test_webhooks_are_signed_and_delivered_once(tmp_path: Path, receiver: _Receiver) -> None:
    gw = make(tmp_path, webhook_secret="whsec_test")
    try:
        job = create(gw, options={"webhook_url": receiver.url})
        t0 = time.monotonic()
        ((headers, body, _),) = receiver.wait(1)
        expected = "v1=" + hmac.new(b"whsec_test", body, hashlib.sha256).hexdigest()
        assert hmac.compare_digest(headers["X-Varg-Signature"], expected)
        assert headers["X-Varg-Event"] == "job.completed" and headers["X-Varg-Delivery"].startswith("dlv_")
        assert headers["Content-Type"] == "application/json"
        payload = json.loads(body)
        jsonschema.Draft202012Validator(_RESOURCES["job"], registry=_REGISTRY).validate(payload)
        assert payload["id"] == job["id"] and payload["status"] == "completed"
        assert time.monotonic() - t0 < 10
        cancelled = create(gw, prompt="never mind", options={"webhook_url": receiver.url})
        post(gw, f"/jobs/{cancelled['id']}/cancel")
        events = {h["X-Varg-Event"] for h, _, _ in receiver.wait(2)}
        assert events == {"job.completed", "job.cancelled"}
        time.sleep(0.5)
        assert len(receiver.got) == 2 and gw.stats()["webhooks"]["sent"] == 2
    finally:
        gw.stop()


def test_webhook_fail_makes_it_late_but_once(tmp_path: Path, receiver: _Receiver) -> None:
    gw = make(tmp_path, webhook_secret="whsec_test", faults=Faults(webhook_fail=2), job_seconds=0.2)
    try:
        job = create(gw, options={"webhook_url": receiver.url})
        ended = time.monotonic()
        wait_terminal(gw, job["id"])
        ((headers, body, at),) = receiver.wait(1)
        assert at - ended >= 0.55  # two dropped attempts: 0.2 s + 0.4 s of backoff
        time.sleep(1.0)
        assert len({h["X-Varg-Delivery"] for h, _, _ in receiver.got}) == len(receiver.got) == 1
        assert gw.stats()["webhooks"] == {"sent": 1, "failed": 0, "dropped": 2}
    finally:
        gw.stop()


# --- admin -----------------------------------------------------------------------------------------
def test_admin_routes_need_a_token_and_refuse_cross_origin_posts(tmp_path: Path, gw: DemoGateway) -> None:
    plain = DemoGateway(tmp_path / "plain", job_seconds=0.3).start()
    try:
        assert requests.get(f"{plain.url}/_admin/stats", timeout=10).status_code == 404
        assert requests.get(f"{plain.url}/_admin/stats", headers=ADMIN, timeout=10).status_code == 404
    finally:
        plain.stop()
    assert requests.get(f"{gw.url}/_admin/stats", timeout=10).status_code == 401
    assert (
        requests.get(f"{gw.url}/_admin/stats", headers={"X-Admin-Token": "wrong"}, timeout=10).status_code
        == 401
    )
    stats = requests.get(f"{gw.url}/_admin/stats", headers=ADMIN, timeout=10).json()
    assert set(stats) >= {"creates", "jobs", "requests", "output_downloads", "webhooks", "faults"}
    forged = requests.post(
        f"{gw.url}/_admin/faults",
        data='{"rate_limit": 5}',
        headers={"Content-Type": "text/plain", "Origin": "http://evil.example"},
        timeout=10,
    )
    assert forged.status_code in (401, 403, 415)
    with_token = requests.post(
        f"{gw.url}/_admin/faults",
        data='{"rate_limit": 5}',
        headers=dict(ADMIN, **{"Content-Type": "text/plain", "Origin": "http://evil.example"}),
        timeout=10,
    )
    assert with_token.status_code in (403, 415)
    assert gw.faults.rate_limit == 0


def test_the_asgi_app_mounts_under_a_prefix_and_urls_follow_it(tmp_path: Path) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.routing import Mount

    gw = DemoGateway(tmp_path / "gw", job_seconds=0.2).open()
    outer = Starlette(routes=[Mount("/demo", app=gw.asgi)])
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(outer, lifespan="off", log_config=None, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while not server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        base = f"http://127.0.0.1:{port}/demo"
        up = requests.post(
            f"{base}/v2/files",
            data=png_bytes(),
            headers=dict(AUTH, **{"Content-Type": "image/png"}),
            timeout=10,
        ).json()
        assert up["url"].startswith(f"{base}/u/")
        assert requests.get(up["url"], timeout=10).status_code == 200
        resp = requests.post(
            f"{base}/v2/video", json=body_of(files=[{"url": up["url"]}]), headers=AUTH, timeout=10
        )
        job = resp.json()
        assert resp.status_code == 202 and job["urls"]["self"].startswith(f"{base}/v2/jobs/")
        while job["status"] not in ("completed", "failed"):
            time.sleep(0.05)
            job = requests.get(job["urls"]["self"], headers=AUTH, timeout=10).json()
        assert job["status"] == "completed" and output_url(job).startswith(f"{base}/o/")
        assert requests.get(output_url(job), timeout=10).status_code == 200
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        gw.stop()


# --- hostile remix sources and stopping renders (adversarial findings) ----------------------------
@pytest.mark.parametrize(
    ("kind", "words"),
    [("ten-hours", "declares 36,000 s"), ("sparse", "inconsistent"), ("above-4k", "above 4K")],
)
def test_absurd_remix_sources_are_refused_with_422_never_500(gw: DemoGateway, kind: str, words: str) -> None:
    from hostile_media import plain_mp4, stretched_mp4

    data = {
        "ten-hours": lambda: stretched_mp4(),  # 1.7 KB declaring 10 h
        "sparse": lambda: stretched_mp4(frames=4, seconds_between=30),  # 4 frames over 90 s
        "above-4k": lambda: plain_mp4((4160, 64)),
    }[kind]()
    url = check(upload(gw, data, "video/mp4"), 201, "file")["url"]
    before = balance(gw)
    body = {"model": "seedance-2-preview", "prompt": "film noir", "files": [{"url": url}]}
    err = error(post(gw, "/video", body), 422, "invalid_request", field="files")
    assert words in err["message"]
    assert balance(gw) == before
    v1 = requests.post(f"{gw.v1_url}/video", json=dict(body, model="seedance-2-preview"), headers=AUTH, timeout=10)
    assert v1.status_code == 400 and words in v1.text


def test_stop_ends_a_long_render_promptly_and_writes_no_more(tmp_path: Path) -> None:
    gw = make(tmp_path, job_seconds=0.2)
    try:
        job = create(gw, model="sora-2", duration=20, aspect_ratio="16:9")  # 480 frames at 720p
        outputs = gw.data_dir / "outputs"
        deadline = time.monotonic() + 20
        while not list(outputs.glob(".*.part")) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert list(outputs.glob(".*.part")), "the render never started"
        workers = [t for t in threading.enumerate() if t.name.startswith(("gateway-render", "render-encode"))]
        assert workers
    finally:
        gw.stop()
    stopped = time.monotonic()
    for t in workers:
        t.join(timeout=max(0.0, 2.0 - (time.monotonic() - stopped)))
    assert not [t for t in workers if t.is_alive()], "a render worker outlived stop() by 2 s"
    sizes = {p: p.stat().st_size for p in outputs.glob("*")}
    time.sleep(0.5)
    assert {p: p.stat().st_size for p in outputs.glob("*")} == sizes, "output still written after stop()"
    assert not (outputs / f"{job['id']}.mp4").exists()
