"""The API key stays secret through a whole core session: never on disk, in logs, errors, URLs or reprs.

One session with a canary key against real local gateways: text-to-video to completion (stream and
download), image-to-video with an upload, a remix, a failed job, a 429 and a 500 from the fault
switch, a 401 from a gateway that refuses the key, a timed-out create, a cancel. Everything the
core leaves behind is then searched for the canary, its hex part and its sha256.
"""

from __future__ import annotations

import hashlib
import logging
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import factories
from demo_gateway import DemoGateway
from studio import services
from studio.api.v1 import V1Backend
from studio.errors import (
    AuthError,
    CreateOutcomeUnknown,
    GatewayUnreachable,
    NotFoundError,
    StudioError,
    ValidationError,
    describe,
)
from studio.jobs import JobManager, TakeRequest
from studio.library import Library, account_fingerprint
from studio.settings import Settings

CANARY = "varg_CANARY_5f1e2d3c4b5a69788796a5b4c3d2e1f0"
NEEDLES = {
    "the key": CANARY,
    "its secret part": CANARY.rsplit("_", 1)[1],
    "its sha256": hashlib.sha256(CANARY.encode()).hexdigest(),
    "the start of its sha256": hashlib.sha256(CANARY.encode()).hexdigest()[:16],
}


KEY_ITSELF = ("the key", "its secret part")


def _leaks(text: str | bytes, names: tuple[str, ...] = tuple(NEEDLES)) -> list[str]:
    needles = {name: NEEDLES[name] for name in names}
    if isinstance(text, bytes):
        found = [name for name, needle in needles.items() if needle.encode() in text]
        # SQLite or a UTF-16 writer could hold the text in another encoding.
        found += [name for name, needle in needles.items() if needle.encode("utf-16-le") in text]
        return found
    lowered = text.lower()
    return [name for name, needle in needles.items() if needle.lower() in lowered]


class _Records(logging.Handler):
    """Every log record of every logger, formatted with its traceback."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(self.format(record))
        except Exception as exc:  # a record that cannot even be formatted is a finding too
            self.lines.append(f"unformattable record from {record.name}: {exc!r}")


@pytest.fixture
def all_logs() -> Iterator[_Records]:
    root = logging.getLogger()
    handler = _Records()
    old_level = root.level
    quiet = {}
    for name, logger in logging.root.manager.loggerDict.items():
        if isinstance(logger, logging.Logger) and logger.level > logging.DEBUG:
            quiet[name] = logger.level
            logger.setLevel(logging.DEBUG)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)
    for name, level in quiet.items():
        logging.getLogger(name).setLevel(level)


class _Seen:
    """Wraps a gateway's ASGI app (before it serves) to record every request line and its headers."""

    def __init__(self, gw: DemoGateway) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        inner = gw.asgi

        async def record(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                path = scope["path"] + ("?" + scope["query_string"].decode("latin-1") if scope["query_string"] else "")
                headers = {k.decode("latin-1").title(): v.decode("latin-1") for k, v in scope["headers"]}
                self.requests.append((scope["method"], path, headers))
            await inner(scope, receive, send)

        gw.asgi = record  # type: ignore[assignment]


def _wait_done(library: Library, take_id: str, timeout: float = 60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        take = library.get(take_id)
        if take is not None and not take.is_open:
            return take
        time.sleep(0.05)
    raise AssertionError(f"take still open: {library.get(take_id)}")


def _wait_for(predicate: Callable[[], Any], timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out")


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    stack: list[Any] = [exc]
    while stack:
        e = stack.pop()
        if not isinstance(e, BaseException) or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        stack += [e.__cause__, e.__context__, *e.args]


def _exception_texts(exc: BaseException) -> list[str]:
    texts = ["".join(traceback.format_exception(exc)), describe(exc)]
    for e in _chain(exc):
        texts += [str(e), repr(e), str(getattr(e, "message", ""))]
    return texts


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


T2V = TakeRequest(mode="text-to-video", model="sora-2", prompt="a lighthouse at dusk, rain", duration=4)


@pytest.fixture
def gateways(tmp_path_factory):
    main = DemoGateway(tmp_path_factory.mktemp("gw-main"), job_seconds=0.8, keepalive_seconds=0.3)
    refusing = DemoGateway(
        tmp_path_factory.mktemp("gw-refusing"), job_seconds=0.8, accepted_keys=["varg_someone_else_0000"]
    )
    seen = _Seen(main), _Seen(refusing)
    main.start()
    refusing.start()
    yield main, refusing, seen
    main.stop()
    refusing.stop()


@pytest.fixture
def fresh_registry(studio_home):
    hub = services.Hub(Settings(studio_home=studio_home))
    yield hub
    hub.stop()


def test_a_whole_session_never_leaks_the_key(gateways, studio_home, all_logs, capfd, fresh_registry):
    gw, refusing, (seen, seen_refusing) = gateways
    raised: list[BaseException] = []

    def expect(kind: type[BaseException], call: Callable[[], Any]) -> BaseException:
        with pytest.raises(kind) as info:
            call()
        raised.append(info.value)
        return info.value

    settings = Settings(
        api_key=CANARY, base_url=gw.v1_url, studio_home=studio_home, connect_timeout=2.0, read_timeout=10.0
    )
    fresh_registry.settings = settings
    studio = fresh_registry.studio(CANARY)
    assert not studio.connection.demo and studio.connection.account == account_fingerprint(CANARY)
    library, client, jobs = studio.library, studio.client, studio.jobs
    try:
        assert studio.balance() == 5000

        # text-to-video to completion, then the stream and a download by hand
        t2v = _wait_done(library, jobs.submit(T2V, "t2v").takes[0].id)
        assert t2v.status == "completed", t2v.error
        statuses = [job.status for job in client.stream_job(t2v.job_id)]
        assert statuses[-1] == "completed"
        done = client.get_job(t2v.job_id)
        saved = client.download(done.output_url, studio_home / "exports" / "take.mp4")
        assert saved.read_bytes()[4:8] == b"ftyp"

        # image-to-video with an upload; a remix of the first take (uploads the video)
        i2v = TakeRequest(
            mode="image-to-video",
            model="sora-2",
            prompt="slow zoom in",
            duration=4,
            image=factories.photo(640, 480),
            image_name="holiday.jpg",
        )
        assert _wait_done(library, jobs.submit(i2v, "i2v").takes[0].id).status == "completed"
        remix = TakeRequest(mode="remix", model="sora-2-remix", prompt="noir", source_take_id=t2v.id)
        assert _wait_done(library, jobs.submit(remix, "remix").takes[0].id).status == "completed"

        # a job the provider fails
        failed = TakeRequest(**{**T2V.__dict__, "prompt": "a storm [fail]"})
        assert _wait_done(library, jobs.submit(failed, "failed").takes[0].id).status == "failed"

        # a 429 on the create (retried after Retry-After) and on a read
        gw.faults.update({"rate_limit": 1, "rate_limit_on": "create", "retry_after": 0.2})
        assert _wait_done(library, jobs.submit(T2V, "limited").takes[0].id).status == "completed"
        gw.faults.update({"rate_limit": 1, "rate_limit_on": "read", "retry_after": 0.2})
        assert client.balance().credits > 0

        # a 500 on the create (reported, not retried) and on a read (retried)
        gw.faults.update({"server_error": 1, "server_error_on": "create", "error_status": 500})
        boom = _wait_done(library, jobs.submit(T2V, "boom").takes[0].id)
        assert boom.status == "failed" and "not sent again" in boom.error
        gw.faults.update({"server_error": 1, "server_error_on": "read", "error_status": 502})
        assert client.get_job(t2v.job_id).status == "completed"

        # a download that fails once, then recovers
        gw.faults.update({"download_errors": 1})
        assert _wait_done(library, jobs.submit(T2V, "flaky-download").takes[0].id).status == "completed"

        # a cancel while the job runs
        gw.job_seconds = 30.0
        running = jobs.submit(T2V, "cancel-me").takes[0]
        _wait_for(lambda: library.get(running.id).job_id)
        jobs.cancel(running.id)
        assert _wait_done(library, running.id).status == "cancelled"
        gw.job_seconds = 0.8

        # errors straight from the client
        expect(NotFoundError, lambda: client.get_job("job_0000000000000000"))
        expect(ValidationError, lambda: client.create_video(model="sora-9", prompt="x"))
        expect(ValidationError, lambda: client.upload_file(b"", "image/png"))
        gw.faults.update({"create_hang": 1, "hang_seconds": 1.5})
        impatient = V1Backend(gw.v1_url, CANARY, timeout=(2.0, 0.4), backoff=0.01)
        expect(CreateOutcomeUnknown, lambda: impatient.create_video(model="sora-2", prompt="x", duration=4))
        impatient.close()
        offline = V1Backend(
            "http://127.0.0.1:9/v1", CANARY, timeout=(0.5, 0.5), read_retries=0, backoff=0.01
        )
        expect(GatewayUnreachable, offline.balance)
        offline.close()

        # a gateway that refuses this key: 401s for reads, streams and a submitted take
        other = V1Backend(refusing.v1_url, CANARY, timeout=(2.0, 10.0), backoff=0.01)
        other_jobs = JobManager(
            other, library, studio.connection.account, poll_interval=0.3, retry_backoff=0.05
        )
        try:
            expect(AuthError, other.balance)
            expect(AuthError, lambda: list(other.stream_job("job_0000000000000000")))
            expect(AuthError, lambda: other.create_video(model="sora-2", prompt="x", duration=4))
            refused = _wait_done(library, other_jobs.submit(T2V, "refused").takes[0].id)
            assert refused.status == "failed" and "refused" in refused.error.lower()
        finally:
            other_jobs.shutdown(wait=True)
            other.close()

        usage = client.usage()
        assert usage.records and studio.balance(max_age=0) is not None

        # -- nothing on disk: the library (db, WAL, shm, media, exports) and both gateways' folders
        # (the gateways' unsalted sha256 of the key is a known bug, pinned in its own test below)
        time.sleep(0.3)  # let the last writes land
        studio_files = _files(studio_home)
        assert any(p.name.endswith("-wal") for p in studio_files), "expected the SQLite WAL to be searched"
        assert any(p.suffix == ".sqlite3" for p in studio_files)
        for path in studio_files:
            assert not _leaks(path.read_bytes()), f"{_leaks(path.read_bytes())} in {path}"
        for path in _files(gw.data_dir) + _files(refusing.data_dir):
            assert not _leaks(path.read_bytes(), KEY_ITSELF), f"{path}"

        # -- nothing in the reprs a page or a log might show
        reprs = [
            repr(client),
            repr(other),
            repr(settings),
            str(settings),
            repr(library),
            repr(studio),
            repr(studio.connection),
            studio.connection.label,
            repr(jobs),
            repr(gw.faults),
            *(repr(t) for t in library.list(studio.connection.account, limit=None)),
        ]
        for text in reprs:
            assert not _leaks(text), f"{_leaks(text)} in {text!r}"

        # -- nothing in any exception (message, repr, cause chain, formatted traceback)
        assert len(raised) == 8
        for exc in raised:
            for text in _exception_texts(exc):
                assert not _leaks(text), f"{_leaks(text)} in {type(exc).__name__}: {text[:300]!r}"

        # -- nothing in any URL; the key went only to /v1 on the gateway, never to an output host
        requests = seen.requests + seen_refusing.requests
        assert len(requests) > 30
        for method, path, headers in requests:
            assert not _leaks(path), f"{method} {path}"
            auth = headers.get("Authorization")
            if path.startswith("/v1/"):
                assert auth == f"Bearer {CANARY}", "the key should travel, in its header, to the API"
            else:
                assert auth is None, f"{method} {path} carried Authorization"
            others = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            assert not _leaks(repr(others)), f"{method} {path} headers"
        assert any(path.startswith("/o/") for _, path, _ in seen.requests)
        stats = gw.stats()
        assert stats["output_downloads"] >= 6
        assert stats["output_downloads_with_auth"] == 0
        assert refusing.stats()["output_downloads_with_auth"] == 0
    finally:
        jobs.shutdown(wait=True)

    # -- nothing in the logs (every logger at DEBUG, tracebacks included) or on stdout/stderr
    assert len(all_logs.lines) > 50, "expected the session to be logged"
    assert any("urllib3" in line for line in all_logs.lines)
    for line in all_logs.lines:
        assert not _leaks(line), f"{_leaks(line)} in log line {line[:300]!r}"
    out, err = capfd.readouterr()
    assert not _leaks(out) and not _leaks(err)


def test_the_library_keeps_only_a_salted_one_way_fingerprint(gateways, studio_home):
    account = account_fingerprint(CANARY)
    assert account.startswith("acct_") and not _leaks(account)
    assert account != account_fingerprint(CANARY + "x")
    library = Library(studio_home)
    assert not _leaks(repr(library))
    gw, _, _ = gateways
    client = V1Backend(gw.v1_url, CANARY, timeout=(2.0, 10.0))
    try:
        assert client.balance().credits == 5000
    finally:
        client.close()
    assert not _leaks(repr(gw.stats()))


def test_the_gateway_stores_no_plain_hash_of_the_key(gateways):
    gw, _, _ = gateways
    client = V1Backend(gw.v1_url, CANARY, timeout=(2.0, 10.0))
    try:
        assert client.balance().credits == 5000
        client.create_video(model="sora-2", prompt="a quiet harbour", duration=4)
    finally:
        client.close()
    time.sleep(0.2)
    for path in _files(gw.data_dir):
        assert not _leaks(path.read_bytes()), f"{_leaks(path.read_bytes())} in {path.name}"


def test_a_read_that_keeps_failing_names_host_and_path_but_not_the_key(gateways):
    gw, _, _ = gateways
    gw.faults.update({"server_error": 10, "server_error_on": "read", "error_status": 500})
    client = V1Backend(gw.v1_url, CANARY, timeout=(2.0, 10.0), read_retries=1, backoff=0.01)
    try:
        with pytest.raises(StudioError) as info:
            client.get_job("job_0000000000000000")
    finally:
        client.close()
    for text in _exception_texts(info.value):
        assert not _leaks(text)
