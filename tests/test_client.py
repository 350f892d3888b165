"""The varg client against the real local gateway over real HTTP: every endpoint, every error status."""

from __future__ import annotations

import hashlib
import io
import json
import threading
import time
from datetime import date, timedelta
from pathlib import Path

import av
import jsonschema
import pytest
import requests
import yaml
from PIL import Image

from studio.api import v1 as client_module
from studio.api.v1 import Balance, Job, UploadedFile, Usage, V1Backend
from studio.errors import (
    AuthError,
    InsufficientBalanceError,
    NotFoundError,
    PayloadTooLargeError,
    ProtocolError,
    ProviderError,
    ServerError,
    ValidationError,
)

OPENAPI = Path(__file__).resolve().parents[1] / "docs" / "reference" / "varg-v1-openapi.yaml"
T2V = {"model": "sora-2", "prompt": "a calm sea at sunset", "duration": 4, "aspect_ratio": "16:9"}
# "[fail]" makes the gateway fail the job after job_seconds without rendering: cheap on the CPU
# for tests that only need a job to exist.
NO_RENDER = {**T2V, "prompt": "a job that needs no rendering [fail]"}


# --- helpers ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def components() -> dict:
    return yaml.safe_load(OPENAPI.read_text())["components"]


def check_schema(components: dict, name: str, instance: object) -> None:
    schema = {"$ref": f"#/components/schemas/{name}", "components": components}
    jsonschema.validate(instance, schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


class Recorder:
    """A real requests.Session whose response hook keeps each raw answer the client got."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.answers: list[tuple[str, str, int, str, bytes]] = []
        self.session.hooks["response"].append(self._keep)

    def _keep(self, resp: requests.Response, *args, **kwargs) -> None:
        ctype = resp.headers.get("Content-Type", "")
        body = b"" if "event-stream" in ctype else resp.content
        path = requests.utils.urlparse(resp.url).path
        self.answers.append((resp.request.method, path, resp.status_code, ctype, body))

    def bodies(self, method: str, suffix: str, status: int) -> list[object]:
        return [
            json.loads(body)
            for m, path, st, _, body in self.answers
            if m == method and path.endswith(suffix) and st == status
        ]


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def rclient(gateway, api_key, recorder):
    """The client over a recording session (same code path; the hook only looks)."""
    c = V1Backend(gateway.v1_url, api_key, timeout=(2.0, 10.0), backoff=0.05, session=recorder.session)
    yield c
    c.close()
    recorder.session.close()


def png_bytes(size=(320, 180)) -> bytes:
    img = Image.new("RGB", size, (30, 90, 160))
    for x in range(0, size[0], 20):
        for y in range(size[1]):
            img.putpixel((x, y), (250, 200, 40))
    out = io.BytesIO()
    img.save(out, "PNG")
    return out.getvalue()


def finish(client: V1Backend, job: Job, timeout: float = 60.0) -> Job:
    """Follow a job to its end through the stream, with a deadline."""
    stop = threading.Event()
    timer = threading.Timer(timeout, stop.set)
    timer.start()
    try:
        done = client.wait(job.job_id, stop=stop)
    finally:
        timer.cancel()
    assert done.terminal, f"job did not finish within {timeout}s: {done}"
    return done


def decode(path: Path) -> tuple[int, int, int]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = sum(1 for _ in container.decode(stream))
        return stream.codec_context.width, stream.codec_context.height, frames


# --- basics ----------------------------------------------------------------------------------
def test_repr_and_session_never_show_the_key_outside_the_authorization_header(gateway, api_key):
    c = V1Backend(gateway.v1_url + "/", api_key)
    try:
        assert api_key not in repr(c)
        assert c.base_url == gateway.v1_url  # trailing slash removed
        assert c.http.session.headers["Authorization"] == f"Bearer {api_key}"
        assert c.http.session.headers["User-Agent"].startswith("varg-studio/")
        assert "Authorization" not in c.http._downloads.headers
    finally:
        c.close()


def test_the_key_is_never_logged(client, api_key, caplog):
    caplog.set_level("DEBUG")
    job = client.create_video(**NO_RENDER)
    client.get_job(job.job_id)
    client.balance()
    assert "GET /jobs/" in caplog.text
    assert api_key not in caplog.text


# --- endpoints -------------------------------------------------------------------------------
def test_text_to_video_create_stream_and_download_a_real_mp4(
    rclient, recorder, components, gateway, tmp_path
):
    job = rclient.create_video(**T2V)
    assert isinstance(job, Job)
    assert job.status in ("queued", "processing") and job.model == "sora-2" and not job.terminal
    statuses = [j.status for j in rclient.stream_job(job.job_id, poll_interval=0.2)]
    assert statuses[-1] == "completed"
    assert len(statuses) == len(set(statuses))  # only changes are yielded
    assert statuses == [s for s in ("queued", "processing", "completed") if s in statuses]
    done = rclient.get_job(job.job_id)
    assert done.status == "completed" and done.terminal
    assert done.output_url and done.output_media_type == "video/mp4" and done.completed_at
    assert done.cache_hit is False and done.error is None

    out = rclient.download(done.output_url, tmp_path / "take" / "out.mp4")
    assert out == tmp_path / "take" / "out.mp4"
    assert [p.name for p in out.parent.iterdir()] == ["out.mp4"]  # no temp file left behind
    width, height, frames = decode(out)
    assert (width, height) == (1280, 720)
    assert frames == 4 * 24

    for body in recorder.bodies("POST", "/v1/video", 202) + recorder.bodies("GET", job.job_id, 200):
        check_schema(components, "JobResponse", body)
    assert gateway.stats()["requests"].get("GET /v1/jobs/{id}", 0) == 1  # followed by SSE, not polling


def test_image_to_video_via_upload(rclient, recorder, components, tmp_path):
    image = png_bytes()
    up = rclient.upload_file(image, "image/png")
    assert isinstance(up, UploadedFile)
    assert up.hash == "sha256:" + hashlib.sha256(image).hexdigest()
    assert up.size == len(image) and up.media_type == "image/png" and up.deduplicated is False
    check_schema(components, "FileUploadResponse", recorder.bodies("POST", "/v1/files", 200)[0])

    job = rclient.create_video(
        model="sora-2", prompt="slow zoom in", duration=4, aspect_ratio="9:16", files=[up.url]
    )
    done = finish(rclient, job)
    assert done.status == "completed"
    width, height, frames = decode(rclient.download(done.output_url, tmp_path / "i2v.mp4"))
    assert (width, height) == (720, 1280) and frames == 96


def test_remix_of_a_completed_output_uploaded_again(client, tmp_path):
    first = finish(client, client.create_video(**T2V))
    source = client.download(first.output_url, tmp_path / "source.mp4")
    up = client.upload_file(source.read_bytes(), "video/mp4")
    assert up.media_type == "video/mp4"
    remix = client.create_video(model="sora-2-remix", prompt="watercolour", files=[{"url": up.url}])
    done = finish(client, remix)
    assert done.status == "completed" and done.model == "sora-2-remix"
    width, height, frames = decode(client.download(done.output_url, tmp_path / "remix.mp4"))
    assert (width, height) == (1280, 720) and frames == 96


def test_upload_with_the_same_bytes_is_deduplicated(client, gateway):
    data = png_bytes((64, 64))
    first = client.upload_file(data, "image/png")
    again = client.upload_file(data, "image/png")
    assert again.deduplicated is True
    assert (again.file_id, again.url, again.hash) == (first.file_id, first.url, first.hash)
    other = client.upload_file(png_bytes((66, 64)), "image/png")
    assert other.deduplicated is False and other.file_id != first.file_id
    assert gateway.stats()["requests"]["POST /v1/files"] == 3


def test_get_job_reports_the_current_state(client):
    job = client.create_video(**T2V)
    now = client.get_job(job.job_id)
    assert now.job_id == job.job_id and now.created_at == job.created_at
    assert now.status in ("queued", "processing", "completed")


def test_cancel_a_running_job_refunds_it(client):
    before = client.balance().credits
    job = client.create_video(**T2V)
    assert client.balance().credits == before - 100
    assert client.cancel_job(job.job_id) is None
    assert client.get_job(job.job_id).status == "cancelled"
    assert client.wait(job.job_id).status == "cancelled"
    assert client.balance().credits == before
    client.cancel_job(job.job_id)  # cancelling a finished job is harmless


def test_balance(rclient, recorder, gateway):
    bal = rclient.balance()
    assert bal == Balance(available=5000, currency="usd") and bal.credits == 5000
    body = recorder.bodies("GET", "/v1/balance", 200)[0]
    assert body == {"balance_cents": 5000, "currency": "usd"}


def test_usage_lists_billed_jobs_between_dates(rclient, recorder, components):
    job = rclient.create_video(**T2V)
    today = date.today()
    usage = rclient.usage(today - timedelta(days=1), today + timedelta(days=1))
    assert isinstance(usage, Usage)
    assert [r.job_id for r in usage.records] == [job.job_id]
    rec = usage.records[0]
    assert (rec.model, rec.capability, rec.cost, rec.cache_hit) == ("sora-2", "video", 100, False)
    assert usage.total == 100
    assert rclient.usage().total == 100
    empty = rclient.usage(today - timedelta(days=30), today - timedelta(days=20))
    assert (empty.records, empty.total) == ((), 0) and abs(empty.server_time - time.time()) < 5  # the gateway clock
    for body in recorder.bodies("GET", "/v1/usage", 200):
        check_schema(components, "UsageResponse", body)


def test_usage_sends_from_and_to_as_iso_dates(rclient, recorder):
    seen: list[str] = []
    recorder.session.hooks["response"].append(lambda r, *a, **k: seen.append(r.url))
    rclient.usage(date(2026, 1, 2), date(2026, 1, 31))
    assert seen[-1].endswith("/v1/usage?from=2026-01-02&to=2026-01-31")


def test_a_failed_job_ends_failed_with_its_message(client):
    job = client.create_video(model="sora-2", prompt="a storm [fail]", duration=4)
    done = finish(client, job)
    assert done.status == "failed" and done.error and done.output_url is None


def test_a_cache_hit_comes_back_completed_from_the_create(tmp_path_factory, api_key):
    from demo_gateway import DemoGateway

    with DemoGateway(tmp_path_factory.mktemp("gw"), job_seconds=0.3, cache=True) as gw:
        c = V1Backend(gw.v1_url, api_key, timeout=(2.0, 10.0), backoff=0.05)
        first = finish(c, c.create_video(**T2V))
        again = c.create_video(**T2V)
        assert again.status == "completed" and again.cache_hit is True
        assert again.output_url == first.output_url
        assert list(c.stream_job(again.job_id)) == [c.get_job(again.job_id)]
        c.close()


# --- errors by status ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x" * 4001}, "prompt"),
        ({"model": "no-such-model"}, "model"),
        ({"aspect_ratio": "4:3"}, "aspect_ratio"),
        ({"files": ["http://example.com/cat.png"]}, "files"),
    ],
)
def test_400_is_a_validation_error_naming_the_field(rclient, recorder, components, change, field):
    with pytest.raises(ValidationError) as info:
        rclient.create_video(**{**T2V, **change})
    err = info.value
    assert (err.status, err.code, err.field) == (400, "ValidationError", field)
    assert err.message and field.split("_")[0] in err.message.lower()
    body = recorder.bodies("POST", "/v1/video", 400)[0]
    check_schema(components, "ErrorResponse", body)
    assert body["message"] == err.message and body["statusCode"] == 400


def test_remix_without_a_video_is_a_validation_error(client):
    with pytest.raises(ValidationError) as info:
        client.create_video(model="sora-2-remix", prompt="noir")
    assert info.value.field == "files"


@pytest.fixture
def strict_gateway(tmp_path_factory, api_key):
    from demo_gateway import DemoGateway

    with DemoGateway(tmp_path_factory.mktemp("strict"), job_seconds=0.3, accepted_keys=[api_key]) as gw:
        yield gw


@pytest.mark.parametrize("key", ["varg_wrong_key", ""])
def test_401_for_a_wrong_or_missing_key_on_every_call(strict_gateway, key, components):
    recorder = Recorder()
    c = V1Backend(strict_gateway.v1_url, key, timeout=(2.0, 5.0), backoff=0.05, session=recorder.session)
    calls = [
        lambda: c.balance(),
        lambda: c.usage(),
        lambda: c.get_job("job_0123456789abcdef"),
        lambda: c.cancel_job("job_0123456789abcdef"),
        lambda: c.create_video(**T2V),
        lambda: c.upload_file(b"\x89PNG\r\n\x1a\nxx", "image/png"),
        lambda: list(c.stream_job("job_0123456789abcdef", poll_interval=0.1)),
    ]
    for call in calls:
        with pytest.raises(AuthError) as info:
            call()
        assert info.value.status == 401 and info.value.code == "AuthError"
        assert ("Invalid" if key else "Missing") in info.value.message
    for *_, status, _, body in recorder.answers:
        assert status == 401
        check_schema(components, "ErrorResponse", json.loads(body))
    assert len(recorder.answers) == len(calls)  # 401 is not retried
    c.close()


def test_the_right_key_works_on_a_strict_gateway(strict_gateway, api_key):
    c = V1Backend(strict_gateway.v1_url, api_key, timeout=(2.0, 5.0))
    assert c.balance().credits == 5000
    c.close()


def test_402_when_the_balance_is_too_small(tmp_path_factory, api_key):
    from demo_gateway import DemoGateway

    with DemoGateway(tmp_path_factory.mktemp("poor"), job_seconds=0.3, initial_balance=50) as gw:
        c = V1Backend(gw.v1_url, api_key, timeout=(2.0, 5.0))
        with pytest.raises(InsufficientBalanceError) as info:
            c.create_video(**T2V)
        err = info.value
        assert (err.status, err.code) == (402, "InsufficientBalanceError")
        assert "100" in err.message and "50" in err.message
        assert c.balance().credits == 50 and gw.stats()["creates"] == 0
        c.close()


def test_404_for_an_unknown_job_on_get_cancel_and_stream(client, gateway):
    for call in (client.get_job, client.cancel_job, lambda j: list(client.stream_job(j, poll_interval=0.1))):
        with pytest.raises(NotFoundError) as info:
            call("job_0123456789abcdef")
        assert (info.value.status, info.value.code) == (404, "NotFoundError")
        assert "not found" in info.value.message.lower()
    assert gateway.stats()["requests"].get("GET /v1/jobs/{id}", 0) == 1  # the stream 404 did not poll


def test_404_for_another_accounts_job(client, gateway):
    job = client.create_video(**NO_RENDER)
    other = V1Backend(gateway.v1_url, "varg_someone_else", timeout=(2.0, 5.0))
    with pytest.raises(NotFoundError):
        other.get_job(job.job_id)
    assert other.balance().credits == 5000  # balances are per key
    other.close()


def test_413_over_50_mb_is_refused_locally_without_sending(client, gateway):
    with pytest.raises(PayloadTooLargeError) as info:
        client.upload_file(b"\0" * (50 * 1024 * 1024 + 1), "video/mp4")
    assert info.value.status == 413 and "50 MB" in info.value.message
    assert "POST /v1/files" not in gateway.stats()["requests"]


def test_413_from_the_gateway_maps_to_payload_too_large(client, gateway, monkeypatch, components):
    monkeypatch.setattr(client_module, "MAX_UPLOAD_BYTES", 10**9)  # skip the local check
    with pytest.raises(PayloadTooLargeError) as info:
        client.upload_file(b"\0" * (50 * 1024 * 1024 + 1), "video/mp4")
    err = info.value
    assert (err.status, err.code) == (413, "PayloadTooLargeError") and "50 MB" in err.message
    assert gateway.stats()["requests"]["POST /v1/files"] == 1


def test_500_and_502_on_reads_after_retries_are_server_and_provider_errors(client, gateway):
    gateway.faults.update({"server_error": 100, "server_error_on": "read"})
    with pytest.raises(ServerError) as info:
        client.balance()
    assert (info.value.status, info.value.code) == (500, "InternalError")
    gateway.faults.update({"error_status": 502})
    with pytest.raises(ProviderError) as info:
        client.get_job("job_0123456789abcdef")
    assert (info.value.status, info.value.code, info.value.provider) == (502, "ProviderError", "local")


@pytest.mark.parametrize(("status", "exc"), [(500, ServerError), (502, ProviderError)])
def test_500_and_502_on_a_create_are_raised_at_once(client, gateway, status, exc):
    gateway.faults.update({"server_error": 5, "server_error_on": "create", "error_status": status})
    with pytest.raises(exc) as info:
        client.create_video(**T2V)
    assert info.value.status == status
    assert gateway.stats()["requests"]["POST /v1/video"] == 1


def test_a_body_that_is_not_a_job_is_a_protocol_error():
    with pytest.raises(ProtocolError):
        Job.from_dict({"job_id": "j", "status": "exploded", "model": "m", "created_at": "t"})
    with pytest.raises(ProtocolError):
        Job.from_dict({"status": "queued", "model": "m", "created_at": "t"})
    with pytest.raises(ProtocolError):
        Job.from_dict(["not", "a", "job"])
    with pytest.raises(ProtocolError):
        Job.from_dict({"job_id": "j", "status": "completed", "model": "m", "created_at": "t", "output": "x"})
    ok = Job.from_dict({"job_id": "j", "status": "failed", "model": "m", "created_at": "t", "error": "nope"})
    assert ok.terminal and ok.error == "nope"


def test_a_200_that_is_not_json_is_a_protocol_error(client, gateway, api_key):
    # A real non-JSON 200 from the gateway: its file host, reached through a base URL that ends
    # in a query string so the client's own path lands in the query.
    up = client.upload_file(png_bytes((8, 8)), "image/png")
    odd = V1Backend(up.url + "?ignored=", api_key, timeout=(2.0, 5.0))
    with pytest.raises(ProtocolError) as info:
        odd.get_job("job_0123456789abcdef")
    assert "not JSON" in info.value.message
    with pytest.raises(ProtocolError):
        odd.balance()
    odd.close()


def test_stream_job_stop_ends_the_generator_promptly(client, gateway):
    gateway.job_seconds = 30.0
    job = client.create_video(**NO_RENDER)
    stop = threading.Event()
    seen = []
    t0 = time.monotonic()
    threading.Timer(0.5, stop.set).start()
    for j in client.stream_job(job.job_id, stop=stop):
        seen.append(j.status)
    assert time.monotonic() - t0 < 3.0
    assert seen and seen[-1] in ("queued", "processing")
    client.cancel_job(job.job_id)
