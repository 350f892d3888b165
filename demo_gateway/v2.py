"""The /v2 routes (varg's current API, as docs/contract-v2.md fixes it): discovery, pricing, jobs, files, billing."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response

from demo_gateway import catalog
from demo_gateway.app import Endpoint, json_response
from demo_gateway.bodies import json_body
from demo_gateway.errors import HttpError, bad
from demo_gateway.jobs import TERMINAL, phase
from demo_gateway.media import HASH_HEADER, base_of
from demo_gateway.specs import Spec, check_v2
from demo_gateway.store import Job
from demo_gateway.v1 import (
    after_create_faults,
    available,
    cache_hit,
    current,
    job_for,
    new_job,
    receive_upload,
    record_or_503,
    start_job,
    usage_jobs,
)

if TYPE_CHECKING:
    from demo_gateway.gateway import DemoGateway

MAX_UPLOAD_BYTES = 200 * 1024 * 1024
TOOL_DESCRIPTION = "Generate a video from a prompt, an image, or a source video (remix/edit models)."
_KEY = re.compile(r"[\x21-\x7e]{1,255}")


# --- views ---------------------------------------------------------------------------------------------
def job_view(gw: DemoGateway, job: Job, base: str, now: float | None = None) -> dict[str, Any]:
    now = time.time() if now is None else now
    ph = phase(job, now)
    status = "running" if ph.status == "processing" else ph.status
    terminal = status in TERMINAL
    actual = job.cost if terminal else None
    output = None
    if status == "completed":
        src = job.output_job or job.job_id
        output = {
            "version": "v1",
            "outputs": [
                {
                    "url": f"{base}/o/{src}.mp4",
                    "file_id": src,
                    "media_type": "video/mp4",
                    "size_bytes": job.output_size or 0,
                    "thumbnail_url": None,
                }
            ],
        }
    error = None
    if status == "failed":
        error = {"code": job.error_code or "provider_error", "message": job.error or job.render_error or ""}
    me = f"{base}/v2/jobs/{job.job_id}"
    model = catalog.find_model(job.model)
    return {
        "id": job.job_id,
        "status": status,
        "tool": "video",
        "model": model.id if model else job.model,
        "input": json.loads(job.input_json or "{}"),
        "created_at": gw.iso(job.created),
        "completed_at": gw.iso(job.completed) if terminal and job.completed else None,
        "estimated_cost_cents": job.estimate,
        "actual_cost_cents": actual,
        "pricing": {
            "estimated": job.estimate,
            "actual": actual,
            "billing": "metered",
            "cached": job.cache_hit,
        },
        "progress": ph.progress,
        "progress_message": ph.message,
        "output": output,
        "error": error,
        "urls": {
            "self": me,
            "status": f"{me}/status",
            "cancel": f"{me}/cancel",
            "retry": f"{me}/retry",
            "price": f"{me}/price",
        },
    }


def _answer(gw: DemoGateway, request: Request, job: Job, status: int = 200) -> Response:
    job, now = current(gw, job)
    return json_response(status, job_view(gw, job, base_of(request), now))


# --- discovery and prices --------------------------------------------------------------------------------
async def tools(gw: DemoGateway, request: Request, account: str) -> Response:
    return json_response(200, {"tools": [{"name": "video", "description": TOOL_DESCRIPTION}]})


async def tool(gw: DemoGateway, request: Request, account: str, name: str) -> Response:
    if name != "video":
        raise HttpError(404, f"Unknown tool {name[:60]!r}.", code="tool_not_found")
    models = catalog.all_models()
    out: dict[str, Any] = {
        "name": "video",
        "description": TOOL_DESCRIPTION,
        "models": [m.id for m in models],
        "input_schema": catalog.tool_schema(models),
        "output_schema": catalog.OUTPUT_SCHEMA,
        "example": catalog.EXAMPLE,
    }
    wanted = request.query_params.get("model")
    if wanted is not None:
        model = catalog.find_model(wanted)
        if model is None:
            raise HttpError(404, f"Unknown model {wanted[:60]!r}.", code="model_not_found")
        out["model"] = model.id
        out["input_schema"] = catalog.model_schema(model)
    return json_response(200, out)


async def pricing(gw: DemoGateway, request: Request) -> Response:
    unpriced = gw.faults.unpriced_models()
    rows = [
        catalog.price_row(m) for m in catalog.all_models() if m.id not in unpriced and m.v1_id not in unpriced
    ]
    return json_response(200, {"currency": "usd", "data": rows})


def _check(gw: DemoGateway, request: Request, account: str, body: dict[str, Any]) -> Spec:
    if gw.faults.take("unprocessable"):
        raise HttpError(422, "The provider could not process this body (injected fault).", field="prompt")
    base = base_of(request)
    assert gw.files is not None
    files = gw.files
    return check_v2(body, lambda url: files.resolve(url, base, account, v1=False), gw.faults)


def _cache_key(account: str, spec: Spec) -> str:
    canonical = {k: v for k, v in spec.input.items() if k != "options"}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(f"v2\n{account}\n{text}".encode()).hexdigest()


async def estimate(gw: DemoGateway, request: Request, account: str) -> Response:
    spec = _check(gw, request, account, await json_body(request))
    cached = cache_hit(gw, account, _cache_key(account, spec)) is not None
    return json_response(
        200,
        {
            "estimated_cost_cents": 0 if cached else spec.estimate,
            "pricing": {
                "model": spec.model.id,
                "unit": "second",
                "unit_price_cents": spec.model.unit_price_cents,
                "billed_units": spec.billed_units,
                "cached": cached,
            },
            "input": spec.input,
            "warnings": list(spec.warnings),
        },
    )


# --- jobs ------------------------------------------------------------------------------------------------
async def create_video(gw: DemoGateway, request: Request, account: str) -> Response:
    body = await json_body(request)
    idem = request.headers.get("idempotency-key")
    if idem is not None and not _KEY.fullmatch(idem):
        raise HttpError(
            422, "Idempotency-Key must be 1 to 255 visible ASCII characters.", field="Idempotency-Key"
        )
    body_hash = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    store = gw.store

    def replay() -> Job | None:
        if idem is None:
            return None
        found = store.idempotent(account, idem)
        if found is None:
            return None
        if found[1] != body_hash:
            raise HttpError(422, "This Idempotency-Key was used with another body.", field="Idempotency-Key")
        return store.job(found[0])

    earlier = replay()
    if earlier is not None:
        return _answer(gw, request, earlier, 200)
    spec = _check(gw, request, account, body)
    key = _cache_key(account, spec)
    base = base_of(request)

    def write() -> tuple[Job, bool]:
        with store.tx():
            again = replay()
            if again is not None:
                return again, False
            hit = cache_hit(gw, account, key)
            cost = 0 if hit else spec.estimate
            have = available(gw, account)
            if have < cost:
                raise HttpError(
                    402,
                    f"Insufficient balance: this job needs {cost} credits, {have} are available.",
                    details={"needed": cost, "available": have},
                )
            job = new_job(
                gw, account, "v2", spec, base, estimate=cost, cache_key=key, webhook_url=spec.webhook_url
            )
            start_job(gw, job, hit)
            store.put_job(job)
            if idem is not None:
                store.put_idempotent(account, idem, job.job_id, body_hash)
            return job, True

    job, made = record_or_503(gw, write)
    if not made:
        return _answer(gw, request, job, 200)
    gw.count_create()
    assert gw.board is not None
    if job.status == "completed":
        gw.board.on_terminal(job)
    elif job.render_done is None:
        gw.board.submit(job)
    await after_create_faults(gw)
    return _answer(gw, request, job, 202)


async def list_jobs(gw: DemoGateway, request: Request, account: str) -> Response:
    raw = request.query_params.get("limit", "20")
    if not raw.isdigit() or not 1 <= int(raw) <= 100:
        raise bad("limit must be a whole number from 1 to 100", "limit")
    assert gw.board is not None
    gw.board.settle_all(account)
    now = time.time()
    base = base_of(request)
    jobs = [j for j in gw.store.jobs(account=account, limit=100_000) if j.api == "v2"][: int(raw)]
    return json_response(200, {"data": [job_view(gw, j, base, now) for j in jobs]})


async def get_job(gw: DemoGateway, request: Request, account: str, id: str) -> Response:
    return _answer(gw, request, job_for(gw, account, id))


async def job_status(gw: DemoGateway, request: Request, account: str, id: str) -> Response:
    job, now = current(gw, job_for(gw, account, id))
    view = job_view(gw, job, "", now)
    return json_response(200, {k: view[k] for k in ("id", "status", "progress", "progress_message")})


async def job_price(gw: DemoGateway, request: Request, account: str, id: str) -> Response:
    job, now = current(gw, job_for(gw, account, id))
    actual = job.cost if phase(job, now).status in TERMINAL else None
    return json_response(200, {"estimated": job.estimate, "actual": actual, "billed_units": job.billed_units})


def _terminal(job: Job, status: str, action: str) -> HttpError:
    return HttpError(409, f"Cannot {action}: the job is already {status}.", code="job_terminal")


async def cancel_job(gw: DemoGateway, request: Request, account: str, id: str) -> Response:
    assert gw.board is not None
    job, now = current(gw, job_for(gw, account, id))
    status = phase(job, now).status
    if status not in TERMINAL and gw.faults.take("cancel_conflict"):
        job = await _finish_now(gw, job)
        raise _terminal(job, phase(job, time.time()).status, "cancel")
    job, changed = gw.board.cancel(job)
    if not changed:
        raise _terminal(job, job.status, "cancel")
    return _answer(gw, request, job)


async def _finish_now(gw: DemoGateway, job: Job) -> Job:
    """The cancel_conflict fault: the job's time is up at once; wait (briefly) for its render to end."""
    assert gw.board is not None
    with gw.store.tx():
        fresh = gw.store.job(job.job_id) or job
        fresh.due = min(fresh.due, time.time())
        gw.store.put_job(fresh)
    end = time.monotonic() + 30
    while time.monotonic() < end and not gw.stopping.is_set():
        fresh = gw.board.settle(gw.store.job(job.job_id) or fresh)
        if fresh.status in TERMINAL:
            return fresh
        await asyncio.sleep(0.02)
    return fresh


async def retry_job(gw: DemoGateway, request: Request, account: str, id: str) -> Response:
    assert gw.board is not None
    job, now = current(gw, job_for(gw, account, id))
    status = phase(job, now).status
    if status != "failed":
        raise HttpError(409, f"Only a failed job can be retried; this one is {status}.", code="job_terminal")
    have = available(gw, account)
    if have < job.estimate:
        raise HttpError(
            402,
            f"Insufficient balance: this job needs {job.estimate} credits, {have} are available.",
            details={"needed": job.estimate, "available": have},
        )
    fail = "[fail]" in job.prompt.lower() or gw.faults.take("fail_jobs")
    job = gw.board.retry(job, gw.job_seconds, fail=fail)
    return _answer(gw, request, job)


# --- files and money -------------------------------------------------------------------------------------
async def upload_file(gw: DemoGateway, request: Request, account: str) -> Response:
    up = await receive_upload(gw, request, account, MAX_UPLOAD_BYTES, always_dedupe=True)
    f = up.file
    body = {
        "file_id": f.file_id,
        "url": f"{base_of(request)}/u/{f.name}",
        "media_type": f.media_type,
        "size_bytes": f.size,
        "hash": f"sha256:{f.sha}",
    }
    return json_response(200 if up.deduplicated else 201, body)


async def check_file(gw: DemoGateway, request: Request, account: str) -> Response:
    m = HASH_HEADER.fullmatch(request.query_params.get("hash", "").strip())
    if not m:
        raise bad("hash must look like sha256:<64 hex digits>", "hash")
    assert gw.files is not None
    f = gw.files.known(account, m.group(1).lower())
    if f is None:
        return json_response(200, {"exists": False})
    return json_response(200, {"exists": True, "file_id": f.file_id, "url": f"{base_of(request)}/u/{f.name}"})


async def balance(gw: DemoGateway, request: Request, account: str) -> Response:
    assert gw.board is not None
    gw.board.settle_all(account)
    total = gw.store.balance(account, gw.initial_balance)
    reserved = gw.store.reserved(account)
    return json_response(
        200,
        {
            "available": total - reserved,
            "reserved": reserved,
            "total_balance": total,
            "subscription_balance": 0,
            "rollover_balance": 0,
            "onetime_balance": total,
        },
    )


async def usage(gw: DemoGateway, request: Request, account: str) -> Response:
    records = [
        {
            "job_id": j.job_id,
            "model": j.model,
            "cost_cents": j.cost,
            "cached": j.cache_hit,
            "created_at": gw.iso(j.created),
        }
        for j in usage_jobs(gw, request, account)
    ]
    return json_response(200, {"data": records, "total_cents": sum(r["cost_cents"] for r in records)})


ENDPOINTS = [
    Endpoint("/v2/tools", "v2", {"GET": tools}),
    Endpoint("/v2/tools/{name}", "v2", {"GET": tool}),
    Endpoint("/v2/pricing", "public", {"GET": pricing}),
    Endpoint("/v2/estimate", "v2", {"POST": estimate}),
    Endpoint("/v2/video", "v2", {"POST": create_video}),
    Endpoint("/v2/jobs", "v2", {"GET": list_jobs}),
    Endpoint("/v2/jobs/{id}", "v2", {"GET": get_job}),
    Endpoint("/v2/jobs/{id}/status", "v2", {"GET": job_status}),
    Endpoint("/v2/jobs/{id}/cancel", "v2", {"POST": cancel_job}),
    Endpoint("/v2/jobs/{id}/retry", "v2", {"POST": retry_job}),
    Endpoint("/v2/jobs/{id}/price", "v2", {"GET": job_price}),
    Endpoint("/v2/files", "v2", {"POST": upload_file}),
    Endpoint("/v2/files/check", "v2", {"GET": check_file}),
    Endpoint("/v2/billing/balance", "v2", {"GET": balance}),
    Endpoint("/v2/billing/usage", "v2", {"GET": usage}),
]
