"""The /v1 routes (the legacy varg API): video, jobs, SSE stream, files, balance, usage."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import secrets
import sqlite3
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from demo_gateway import downloads
from demo_gateway.app import Endpoint, json_response
from demo_gateway.bodies import declared_length, json_body, read_body, too_large
from demo_gateway.catalog import find_model
from demo_gateway.errors import INTERNAL_MESSAGE, HttpError, bad
from demo_gateway.jobs import FAIL_MESSAGE, TERMINAL, phase, terminal_at
from demo_gateway.media import HASH_HEADER, base_of, sha256_hex
from demo_gateway.specs import Spec, check_v1
from demo_gateway.store import Job, StoredFile

if TYPE_CHECKING:
    from demo_gateway.gateway import DemoGateway

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- shared with v2 ------------------------------------------------------------------------------------
def job_for(gw: DemoGateway, account: str, job_id: str, *, code: str = "job_not_found") -> Job:
    job = gw.store.job(job_id) if len(job_id) < 100 else None
    if job is None or job.account != account:
        raise HttpError(404, "Job not found.", code=code)
    return job


def available(gw: DemoGateway, account: str) -> int:
    return gw.store.balance(account, gw.initial_balance) - gw.store.reserved(account)


def new_job(gw: DemoGateway, account: str, api: str, spec: Spec, base: str, **extra: Any) -> Job:
    now = time.time()
    money = {"estimate": 0, "cost": 0} | {k: extra.pop(k) for k in ("estimate", "cost") if k in extra}
    return Job(
        job_id="job_" + secrets.token_hex(8),
        account=account,
        api=api,
        model=spec.model.id,
        mode=spec.mode,
        prompt=spec.prompt,
        duration=float(spec.duration) if spec.duration is not None else None,
        aspect_ratio=spec.aspect_ratio,
        source=spec.source.rel if spec.source else None,
        seed=spec.seed,
        input_json=json.dumps(spec.input, separators=(",", ":"), ensure_ascii=False),
        **money,
        billed_units=spec.billed_units or float(spec.duration or 0),
        created=now,
        started=now,
        due=now + gw.job_seconds,
        base_url=base,
        **extra,
    )


def start_job(gw: DemoGateway, job: Job, hit: Job | None) -> None:
    """Mark a new job as a cache hit, a job doomed to fail, or one to render (caller saves it)."""
    now = job.created
    if hit is not None:
        job.status, job.completed, job.render_done = "completed", now, now
        job.output_job, job.output_seconds, job.output_size = (
            hit.output_job,
            hit.output_seconds,
            hit.output_size,
        )
        job.cache_hit = True
    elif "[fail]" in job.prompt.lower() or gw.faults.take("fail_jobs"):
        job.render_done, job.render_error = now, FAIL_MESSAGE


def cache_hit(gw: DemoGateway, account: str, key: str | None) -> Job | None:
    if not key:
        return None
    hit = gw.store.cached_job(account, key)
    if hit is None or not (gw.data_dir / "outputs" / f"{hit.output_job}.mp4").is_file():
        return None
    return hit


def record_or_503(gw: DemoGateway, write: Any) -> Any:
    try:
        return write()
    except sqlite3.Error:
        raise HttpError(503, "The gateway could not record the job; nothing was charged.") from None


async def after_create_faults(gw: DemoGateway) -> None:
    if gw.faults.take("create_commit_then_error"):
        raise HttpError(500, INTERNAL_MESSAGE)
    if gw.faults.take("create_hang"):
        end = time.monotonic() + gw.faults.hang_seconds
        while not gw.stopping.is_set() and time.monotonic() < end:
            await asyncio.sleep(min(0.05, max(0.0, end - time.monotonic())))


@dataclass(frozen=True)
class Upload:
    file: StoredFile
    deduplicated: bool


async def receive_upload(
    gw: DemoGateway, request: Request, account: str, limit: int, *, always_dedupe: bool = False
) -> Upload:
    """Store an upload (or find the same bytes already held): 400 on a bad hash or empty body, 413 over limit."""
    length = declared_length(request)
    if length is not None and length > limit:
        raise too_large(limit, "File")
    claimed = request.headers.get("x-content-hash")
    claimed_hex: str | None = None
    if claimed is not None:
        m = HASH_HEADER.fullmatch(claimed.strip())
        if not m:
            raise bad("X-Content-Hash must look like sha256:<64 hex digits>", "X-Content-Hash")
        claimed_hex = m.group(1).lower()
    data = await read_body(request, limit, what="File")
    sha = sha256_hex(data) if data else None
    if sha and claimed_hex and sha != claimed_hex:
        raise bad("X-Content-Hash does not match the uploaded bytes.", "X-Content-Hash")
    assert gw.files is not None
    key = sha or claimed_hex
    known = gw.files.known(account, key) if key else None
    if known is not None and (claimed_hex or always_dedupe):
        return Upload(known, True)
    if not data:
        raise bad("The upload is empty: send the file's bytes as the body.", "file")
    declared = request.headers.get("content-type", "").split(";")[0].strip().lower()
    f = await run_in_threadpool(gw.files.save_upload, account, data, declared, sha or "")
    return Upload(f, False)


# --- views ---------------------------------------------------------------------------------------------
def job_view(gw: DemoGateway, job: Job, base: str, now: float) -> dict[str, Any]:
    ph = phase(job, now)
    model = find_model(job.model)
    out: dict[str, Any] = {
        "job_id": job.job_id,
        "status": ph.status,
        "model": model.v1_id if model else job.model,
        "created_at": gw.iso(job.created),
    }
    if ph.status in TERMINAL:
        out["completed_at"] = gw.iso(job.completed or terminal_at(job) or now)
    if ph.status == "completed":
        out["output"] = {"url": f"{base}/o/{job.output_job or job.job_id}.mp4", "media_type": "video/mp4"}
    if job.cache_key:
        out["cache"] = {"hit": job.cache_hit, "key": job.cache_key}
    if ph.status == "failed":
        out["error"] = job.error or job.render_error or FAIL_MESSAGE
    return out


def current(gw: DemoGateway, job: Job) -> tuple[Job, float]:
    """The job settled at this moment, and the moment."""
    assert gw.board is not None
    now = time.time()
    return gw.board.settle(job, now), now


# --- handlers ------------------------------------------------------------------------------------------
async def create_video(gw: DemoGateway, request: Request, account: str) -> Response:
    body = await json_body(request)
    base = base_of(request)
    assert gw.files is not None
    files = gw.files
    spec = check_v1(body, lambda url: files.resolve(url, base, account, v1=True), gw.faults)
    key = None
    if gw.cache:
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        key = "sha256:" + hashlib.sha256(f"{account}\n{canonical}".encode()).hexdigest()
    store = gw.store

    def write() -> Job:
        with store.tx():
            hit = cache_hit(gw, account, key)
            cost = 0 if hit else spec.model.credits
            have = available(gw, account)
            if have < cost:
                raise HttpError(402, f"Insufficient balance: this job needs {cost} credits, you have {have}.")
            job = new_job(gw, account, "v1", spec, base, estimate=cost, cost=cost, cache_key=key)
            start_job(gw, job, hit)
            store.put_job(job)
            store.add_balance(account, -cost, gw.initial_balance)
            return job

    job = record_or_503(gw, write)
    gw.count_create()
    if job.status == "active" and job.render_done is None:
        assert gw.board is not None
        gw.board.submit(job)
    await after_create_faults(gw)
    job, now = current(gw, job)
    return json_response(202, job_view(gw, job, base, now))


async def get_job(gw: DemoGateway, request: Request, account: str, id: str) -> Response:
    job, now = current(gw, job_for(gw, account, id))
    return json_response(200, job_view(gw, job, base_of(request), now))


async def cancel_job(gw: DemoGateway, request: Request, account: str, id: str) -> Response:
    assert gw.board is not None
    gw.board.cancel(job_for(gw, account, id))
    return Response(status_code=204)


async def stream_job(gw: DemoGateway, request: Request, account: str, id: str) -> Response:
    job_id = job_for(gw, account, id).job_id
    base = base_of(request)

    def event(view: dict[str, Any]) -> bytes:
        return f"event: status\ndata: {json.dumps(view, separators=(',', ':'))}\n\n".encode()

    async def events() -> AsyncIterator[bytes]:
        start = time.monotonic()
        cut = start + gw.stream_cut_seconds
        drop = gw.faults.drop_stream_after
        if drop is not None:
            cut = min(cut, start + drop)
        next_keepalive = start + gw.keepalive_seconds
        last: str | None = None
        while not gw.stopping.is_set():
            try:
                job = gw.store.job(job_id)
                assert job is not None
                job, now = current(gw, job)
            except (HttpError, sqlite3.Error, AssertionError):
                return
            view = job_view(gw, job, base, now)
            if last is not None and time.monotonic() >= cut:
                return  # cut: no more events, not even a pending terminal one
            if view["status"] != last:
                last = view["status"]
                yield event(view)
                if last in TERMINAL:
                    return
            if time.monotonic() >= next_keepalive:
                yield b": keep-alive\n\n"
                next_keepalive = time.monotonic() + gw.keepalive_seconds
            wait = min(0.05, cut - time.monotonic(), next_keepalive - time.monotonic())
            await asyncio.sleep(max(0.005, wait))

    headers = {"Cache-Control": "no-cache", "Connection": "close", "X-Accel-Buffering": "no"}
    return StreamingResponse(events(), media_type="text/event-stream; charset=utf-8", headers=headers)


async def upload_file(gw: DemoGateway, request: Request, account: str) -> Response:
    up = await receive_upload(gw, request, account, MAX_UPLOAD_BYTES)
    f = up.file
    return json_response(
        200,
        {
            "file_id": f.file_id,
            "url": f"{base_of(request)}/u/{f.name}",
            "hash": f"sha256:{f.sha}",
            "size": f.size,
            "media_type": f.media_type,
            "deduplicated": up.deduplicated,
        },
    )


async def balance(gw: DemoGateway, request: Request, account: str) -> Response:
    assert gw.board is not None
    gw.board.settle_all(account)
    return json_response(200, {"balance_cents": available(gw, account), "currency": "usd"})


def date_bounds(request: Request, names: tuple[str, str] = ("from", "to")) -> tuple[date | None, date | None]:
    bounds: list[date | None] = []
    for name in names:
        values = request.query_params.getlist(name)
        if not values:
            bounds.append(None)
            continue
        value = values[-1].strip()
        try:
            if not _DATE.fullmatch(value):
                raise ValueError
            bounds.append(date.fromisoformat(value))
        except ValueError:
            raise bad(f"{name} must be a date like 2026-01-31", name) from None
    start, end = bounds
    if start and end and end < start:
        raise bad("to must not be before from", "to")
    return start, end


def usage_jobs(gw: DemoGateway, request: Request, account: str) -> list[Job]:
    start, end = date_bounds(request)
    assert gw.board is not None
    gw.board.settle_all(account)
    picked = []
    for job in gw.store.jobs(account=account):
        day = date.fromisoformat(gw.iso(job.created)[:10])
        if (start is None or day >= start) and (end is None or day <= end):
            picked.append(job)
    return picked


async def usage(gw: DemoGateway, request: Request, account: str) -> Response:
    records = []
    for job in usage_jobs(gw, request, account):
        model = find_model(job.model)
        records.append(
            {
                "job_id": job.job_id,
                "model": model.v1_id if model else job.model,
                "capability": "video",
                "cost_cents": job.cost,
                "cache_hit": job.cache_hit,
                "created_at": gw.iso(job.created),
            }
        )
    return json_response(200, {"usage": records, "total_cents": sum(r["cost_cents"] for r in records)})


ENDPOINTS = [
    Endpoint("/v1/video", "v1", {"POST": create_video}),
    Endpoint("/v1/jobs/{id}", "v1", {"GET": get_job, "DELETE": cancel_job}),
    Endpoint("/v1/jobs/{id}/stream", "v1", {"GET": stream_job}),
    Endpoint("/v1/files", "v1", {"POST": upload_file}),
    Endpoint("/v1/balance", "v1", {"GET": balance}),
    Endpoint("/v1/usage", "v1", {"GET": usage}),
]
FILE_ENDPOINTS = downloads.ENDPOINTS
