"""Media on S3-compatible storage (moto's real S3 server over HTTP) and in the local folder: stored before
the row, read back by a replica with an empty data folder, served by presigned URL, swept when orphaned,
and failing with clear messages that never hold a credential."""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from pathlib import Path

import pytest
import requests

from studio.errors import InputError, StorageError
from studio.settings import load_settings, parse_media_url
from studio.store import MediaFolder, open_library, open_store
from studio.store.media_files import ORPHAN_GRACE

S3_ENDPOINT = os.environ.get("STUDIO_TEST_S3_ENDPOINT", "")
SECRET = "wJalrXUtnFEMI-do-not-show-0123456789"
KEY_ID = "AKIASTUDIOTEST0001"
DAY = 24 * 3600.0


# --- settings and the local folder: no S3 needed ---------------------------------------------------
def test_settings_read_an_s3_media_url_and_split_bucket_and_prefix():
    settings = load_settings({"STUDIO_MEDIA_URL": " s3://b/p "})
    assert settings.media_url == "s3://b/p"
    assert parse_media_url("s3://b/p") == ("b", "p/")
    assert parse_media_url("s3://media.example/team/studio/") == ("media.example", "team/studio/")
    assert parse_media_url("s3://bucket") == ("bucket", "")
    assert load_settings({}).media_url is None


@pytest.mark.parametrize(
    "url", ["s3://", "http://x", "s3:/b", "b/p", "s3://b/../p", "s3://b/p?x=1", f"s3://{KEY_ID}:{SECRET}@b/p"]
)
def test_settings_refuse_a_media_url_that_is_not_a_bucket_without_echoing_it(url):
    with pytest.raises(ValueError) as refused:
        parse_media_url(url)
    assert "STUDIO_MEDIA_URL" in str(refused.value) and SECRET not in str(refused.value)
    settings = load_settings({"STUDIO_MEDIA_URL": url})
    assert SECRET not in repr(settings)


def test_opening_a_library_with_a_bad_media_url_is_a_storage_error_naming_the_variable(studio_home):
    settings = load_settings({"STUDIO_HOME": str(studio_home), "STUDIO_MEDIA_URL": "http://x/bucket"})
    with pytest.raises(StorageError) as refused:
        open_library(settings)
    assert "STUDIO_MEDIA_URL" in refused.value.message and refused.value.field == "studio_media_url"


def test_the_local_folder_has_no_urls_and_nothing_to_upload(studio_home):
    media = MediaFolder(studio_home)
    rel = media.store_bytes(b"poster", ".jpg", kind="posters")
    assert media.url(rel) is None
    media.put(rel)  # the file is already in place
    assert media.path(rel).read_bytes() == b"poster"
    with pytest.raises(InputError):
        media.url("../library.sqlite3")


def test_the_local_sweep_removes_only_old_uploads_no_take_names(studio_home):
    media = MediaFolder(studio_home)
    kept = media.store_bytes(b"kept", ".jpg", kind="inputs")
    orphan = media.store_bytes(b"orphan", ".jpg", kind="inputs")
    video = media.store_bytes(b"video", ".mp4", kind="videos")
    assert media.sweep_orphans({kept}) == 0, "a fresh upload may belong to a take being submitted"
    assert media.sweep_orphans({kept}, now=time.time() + 2 * DAY) == 1
    assert not media.path(orphan).exists()
    assert media.path(kept).exists() and media.path(video).exists(), "paid videos are never swept locally"


def test_a_library_naming_no_media_sweeps_nothing(studio_home):
    lib = open_store(None, studio_home)
    try:
        rel = lib.store_bytes(b"from an earlier library", ".jpg", kind="inputs")
        os.utime(lib.path(rel), (time.time() - 2 * DAY,) * 2)
        assert lib.media_paths() == set()
        assert lib.sweep_orphans() == 0
        assert lib.path(rel).exists(), "an empty (new or restored) library never empties the media"
    finally:
        lib.close()


def test_the_studio_sweeps_orphaned_uploads_when_it_opens_its_library(studio_home):
    from studio.services import Hub
    from tests.test_library import add

    lib = open_store(None, studio_home)
    named = lib.store_bytes(b"named", ".jpg", kind="inputs")
    orphan = lib.store_bytes(b"orphan", ".jpg", kind="inputs")
    add(lib, mode="image-to-video", source_file=named)
    for rel in (named, orphan):
        os.utime(lib.path(rel), (time.time() - 2 * DAY,) * 2)
    lib.close()
    hub = Hub(load_settings())
    try:
        opened = hub.library
        assert opened.path(named).exists() and not opened.path(orphan).exists()
    finally:
        hub.stop()


# --- S3 (moto's server) -----------------------------------------------------------------------------
@pytest.fixture
def aws(monkeypatch, tmp_path):
    """The standard AWS variables pointing at moto's server; no profile or config file of the machine."""
    if not S3_ENDPOINT:
        pytest.skip("no S3 server: scripts/test.sh starts moto's (STUDIO_TEST_S3_ENDPOINT)")
    pytest.importorskip("boto3")
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_S3"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_ENDPOINT_URL", S3_ENDPOINT)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")


@pytest.fixture
def bucket(aws):
    """A fresh bucket on moto, emptied and removed afterwards."""
    from studio.store.media_s3 import make_client

    client = make_client()
    name = "studio-" + uuid.uuid4().hex[:12]
    client.create_bucket(Bucket=name)
    yield name
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
        for item in page.get("Contents", ()):
            client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)


def _media(bucket: str, home: Path, prefix: str = "team/media"):
    from studio.store.media_s3 import S3Media

    return S3Media(bucket, prefix, home)


def _object(media, rel: str) -> bytes | None:
    try:
        return media.client.get_object(Bucket=media.bucket, Key=media.prefix + rel)["Body"].read()
    except media.client.exceptions.NoSuchKey:
        return None


def test_stored_bytes_become_an_object_under_the_prefix_and_an_equal_local_copy(bucket, studio_home):
    media = _media(bucket, studio_home)
    data = os.urandom(5000)
    rel = media.store_bytes(data, ".jpg", kind="inputs")
    assert rel.startswith("inputs/") and rel.endswith(".jpg")
    head = media.client.head_object(Bucket=bucket, Key=f"team/media/{rel}")
    assert head["ContentType"] == "image/jpeg"
    assert _object(media, rel) == data
    assert media.path(rel) == studio_home / "media-cache" / rel and media.path(rel).read_bytes() == data
    assert repr(media) == f"S3Media('s3://{bucket}/team/media/')"


def test_a_replica_with_an_empty_data_folder_reads_another_replicas_media(bucket, tmp_path):
    first = open_store(None, tmp_path / "replica-a", f"s3://{bucket}/shared")
    second = open_store(None, tmp_path / "replica-b", f"s3://{bucket}/shared")
    try:
        data = os.urandom(70_000)
        rel = first.store_bytes(data, ".mp4", kind="videos")
        local = second.path(rel)
        assert local.is_relative_to(tmp_path / "replica-b") and local.read_bytes() == data
        assert not list(local.parent.glob(".*.part")), "the copy is renamed into place, no leftovers"
        absent = second.path("videos/not-written-yet.mp4")
        assert not absent.exists(), "a writer's destination: no object, no file"
        with pytest.raises(InputError):
            second.path("../outside.mp4")
    finally:
        first.close()
        second.close()


def test_a_file_a_writer_produced_is_uploaded_by_commit_media(bucket, studio_home):
    lib = open_store(None, studio_home, f"s3://{bucket}")
    try:
        rel = "posters/take1.jpg"
        lib.path(rel).write_bytes(b"jpeg bytes")
        assert _object(lib.media, rel) is None
        lib.commit_media(rel, None)
        assert _object(lib.media, rel) == b"jpeg bytes"
    finally:
        lib.close()


def test_a_presigned_url_serves_the_bytes_honours_ranges_and_holds_no_secret(bucket, studio_home):
    media = _media(bucket, studio_home)
    data = os.urandom(20_000)
    rel = media.store_bytes(data, ".mp4", kind="videos")
    url = media.url(rel, expires=600)
    assert url is not None and url.startswith(S3_ENDPOINT) and SECRET not in url
    whole = requests.get(url, timeout=10)
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["Content-Type"] == "video/mp4"
    part = requests.get(url, headers={"Range": "bytes=100-1099"}, timeout=10)
    assert part.status_code == 206 and part.content == data[100:1100]
    assert media.url(rel, expires=600) == url, "the same link on a rerun: players are not reloaded"


def test_delete_removes_the_object_and_the_local_copy(bucket, studio_home):
    media = _media(bucket, studio_home)
    rel = media.store_bytes(b"gone soon", ".jpg", kind="posters")
    media.delete(rel)
    assert _object(media, rel) is None and not (studio_home / "media-cache" / rel).exists()
    media.delete(rel)  # already gone: fine


def test_deleting_a_take_deletes_its_objects(bucket, studio_home):
    from tests.test_library import add

    lib = open_store(None, studio_home, f"s3://{bucket}/p")
    try:
        source = lib.store_bytes(b"image", ".jpg", kind="inputs")
        take = add(lib, mode="image-to-video", source_file=source)[0]
        lib.delete(take.id)
        assert _object(lib.media, source) is None
    finally:
        lib.close()


def test_the_sweep_removes_old_unnamed_objects_and_keeps_named_and_fresh_ones(bucket, studio_home):
    media = _media(bucket, studio_home)
    named = media.store_bytes(b"named", ".mp4", kind="videos")
    orphan = media.store_bytes(b"orphan", ".mp4", kind="videos")
    media.client.put_object(Bucket=bucket, Key="team/media/notes/readme.txt", Body=b"not ours")
    assert media.sweep_orphans({named}) == 0, "within the grace period an upload may await its row"
    assert _object(media, orphan) == b"orphan"
    assert media.sweep_orphans({named}, now=time.time() + ORPHAN_GRACE + 60) == 1
    assert _object(media, orphan) is None and not (studio_home / "media-cache" / orphan).exists()
    assert _object(media, named) == b"named"
    assert media.client.head_object(Bucket=bucket, Key="team/media/notes/readme.txt"), "only media kinds"


def test_the_library_sweeps_what_no_take_names_on_each_engine(bucket, store):
    from tests.test_library import add

    lib = store()
    lib.media = _media(bucket, store.home)
    kept = lib.store_bytes(b"kept", ".jpg", kind="inputs")
    orphan = lib.store_bytes(b"orphan", ".jpg", kind="inputs")
    add(lib, mode="image-to-video", source_file=kept)
    assert lib.media_paths() == {kept}
    assert lib.sweep_orphans(older_than=-60) == 1, "a negative grace: everything counts as old"
    assert _object(lib.media, kept) == b"kept" and _object(lib.media, orphan) is None


def test_a_missing_bucket_is_a_clear_storage_error_without_a_secret(aws, studio_home, caplog):
    caplog.set_level(logging.DEBUG, logger="varg_studio")
    with pytest.raises(StorageError) as refused:
        open_store(None, studio_home, "s3://no-such-bucket-" + uuid.uuid4().hex[:8] + "/p")
    message = refused.value.message
    assert "does not exist" in message and S3_ENDPOINT in message
    assert SECRET not in message and SECRET not in caplog.text and SECRET not in repr(refused.value)


def test_an_unreachable_store_is_a_clear_storage_error_without_a_secret(aws, studio_home, monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", closed)
    with pytest.raises(StorageError) as refused:
        open_store(None, studio_home, "s3://bucket/p")
    assert "cannot be reached" in refused.value.message and closed in refused.value.message
    assert SECRET not in refused.value.message and KEY_ID not in refused.value.message


def test_without_boto3_the_message_says_what_to_install(bucket, studio_home, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_boto3(name, *args, **kwargs):
        if name.split(".")[0] in ("boto3", "botocore"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_boto3)
    with pytest.raises(StorageError) as refused:
        open_store(None, studio_home, f"s3://{bucket}")
    assert "requirements-team.txt" in refused.value.message


# --- end to end: a take made through the job manager lands in the bucket before it completes ----
def test_a_finished_take_is_in_the_bucket_before_its_row_says_completed(bucket, gateway, tmp_path):
    from studio.api.v2 import V2Backend
    from studio.jobs import JobManager
    from tests.test_jobs_v2 import ACCOUNT, FAST, KEY, T2V, _wait

    lib = open_store(None, tmp_path / "replica-a", f"s3://{bucket}/studio")
    seen: list[tuple[bytes | None, bytes | None]] = []
    real_transition = lib.transition

    def watching(take_id, from_statuses, **fields):
        if fields.get("status") == "completed":
            seen.append((_object(lib.media, fields["video_path"]), _object(lib.media, fields["poster_path"])))
        return real_transition(take_id, from_statuses, **fields)

    lib.transition = watching  # type: ignore[method-assign]
    backend = V2Backend(gateway.v2_url, KEY, timeout=(2.0, 5.0), backoff=0.05, poll_policy=FAST)
    mgr = JobManager(backend, lib, ACCOUNT, retry_backoff=0.05)
    try:
        done = _wait(mgr, mgr.submit(T2V, "s3-e2e").takes[0].id)
        assert done.status == "completed", done.error
        assert len(seen) == 1 and seen[0][0] and seen[0][1], (
            "both objects exist before the row says completed"
        )
        assert seen[0][0][4:8] == b"ftyp"
    finally:
        mgr.shutdown()
        lib.close()
    other = open_store(None, tmp_path / "replica-b", f"s3://{bucket}/studio")
    try:
        video = other.path(done.video_path)
        assert video.is_relative_to(tmp_path / "replica-b") and video.read_bytes() == seen[0][0]
        from studio import media

        assert media.probe_video(video).duration > 0
    finally:
        other.close()


def test_a_failed_upload_keeps_the_paid_take_and_retry_completes_it(
    bucket, gateway, studio_home, monkeypatch
):
    from botocore.exceptions import EndpointConnectionError

    from studio.api.v2 import V2Backend
    from studio.jobs import JobManager
    from tests.test_jobs_v2 import ACCOUNT, FAST, KEY, T2V, _wait

    lib = open_store(None, studio_home, f"s3://{bucket}/studio")
    real_put = lib.media.client.put_object

    def store_down(**kwargs):
        raise EndpointConnectionError(endpoint_url=S3_ENDPOINT)

    monkeypatch.setattr(lib.media.client, "put_object", store_down)
    backend = V2Backend(gateway.v2_url, KEY, timeout=(2.0, 5.0), backoff=0.05, poll_policy=FAST)
    mgr = JobManager(backend, lib, ACCOUNT, retry_backoff=0.05)
    try:
        take = mgr.submit(T2V, "s3-down").takes[0]
        stuck = _wait(mgr, take.id, until=lambda t: t.status == "downloading" and bool(t.error))
        assert "paid for" in stuck.error and "cannot be reached" in stuck.error and "Retry" in stuck.error
        assert stuck.video_path is None and SECRET not in stuck.error
        monkeypatch.setattr(lib.media.client, "put_object", real_put)
        mgr.retry(take.id)
        done = _wait(mgr, take.id)
        assert done.status == "completed" and _object(lib.media, done.video_path)
        assert gateway.stats()["creates"] == 1, "Retry fetched the paid video again; nothing new was created"
    finally:
        mgr.shutdown()
        lib.close()


# --- what widgets hand the browser ---------------------------------------------------------------
def _studio(library):
    from types import SimpleNamespace

    from studio.services import Studio

    studio = SimpleNamespace(library=library)
    studio.media_path = lambda rel: Studio.media_path(studio, rel)  # the real rule, on this library
    return studio


def test_widgets_get_a_presigned_url_from_s3_without_a_local_copy(bucket, tmp_path):
    from components import media_route

    writer = open_store(None, tmp_path / "replica-a", f"s3://{bucket}/w")
    reader = open_store(None, tmp_path / "replica-b", f"s3://{bucket}/w")
    try:
        poster = writer.store_bytes(b"\xff\xd8 poster", ".jpg", kind="posters")
        src = media_route.src(_studio(reader), poster)
        assert (
            src is not None
            and src.startswith(S3_ENDPOINT)
            and requests.get(src, timeout=10).content == (b"\xff\xd8 poster")
        )
        assert not (tmp_path / "replica-b" / "media-cache" / poster).exists(), (
            "the browser fetches it, not us"
        )
        assert media_route.media_url(_studio(reader), poster) == src, "compare and board use the same link"
        assert media_route.link(_studio(reader), poster) == src
        assert not (tmp_path / "replica-b" / "media-cache" / poster).exists()
        assert media_route.src(_studio(reader), "../library.sqlite3") is None
        assert media_route.src(_studio(reader), None) is None
    finally:
        writer.close()
        reader.close()


def test_widgets_get_the_local_file_or_a_signed_route_from_a_folder(studio_home):
    from components import media_route

    lib = open_store(None, studio_home)
    try:
        poster = lib.store_bytes(b"poster", ".jpg", kind="posters")
        assert media_route.src(_studio(lib), poster) == str(lib.path(poster))
        assert media_route.src(_studio(lib), "posters/missing.jpg") is None
        assert media_route.media_url(_studio(lib), poster).startswith(media_route.PREFIX + "/")
        assert media_route.link(_studio(lib), poster) == media_route.media_url(_studio(lib), poster)
        assert media_route.link(_studio(lib), "posters/missing.jpg") is None
    finally:
        lib.close()


# --- the local copies' bound ------------------------------------------------------------------------
def test_the_cache_bound_drops_least_recently_used_copies_never_recent_ones(tmp_path):
    from studio.store.media_cache import RECENT, CacheBound

    folder = tmp_path / "videos"
    folder.mkdir()
    now = time.time()
    ages = {"oldest": 3 * RECENT, "old": 2 * RECENT, "recent": RECENT / 2}
    for name, age in ages.items():
        (folder / name).write_bytes(b"x" * 1000)
        os.utime(folder / name, (now - age, now - age))
    (folder / ".in-flight.part").write_bytes(b"x" * 5000)  # a download in flight: not counted, not dropped
    bound = CacheBound([folder], limit=2500)
    bound.added(0)  # 3000 bytes counted: over the limit, trimmed to 80 % of it (2000)
    assert sorted(p.name for p in folder.iterdir()) == [".in-flight.part", "old", "recent"]
    bound.used(folder / "old")  # read again: now the most recent
    (folder / "new").write_bytes(b"x" * 1000)
    bound.added(1000)  # 3000 again, but every copy was used within RECENT: none is dropped
    assert sorted(p.name for p in folder.iterdir()) == [".in-flight.part", "new", "old", "recent"]
    assert load_settings({"STUDIO_MEDIA_CACHE_MB": "64"}).media_cache_bytes == 64 * 1024**2
    assert load_settings({}).media_cache_bytes == 4 * 1024**3


def test_s3_copies_past_the_bound_are_dropped_and_fetched_again_on_use(bucket, studio_home):
    from studio.store.media_s3 import S3Media

    media = S3Media(bucket, "bounded", studio_home, cache_limit=250_000)
    blobs = {media.store_bytes(os.urandom(100_000), ".mp4", kind="videos"): None for _ in range(2)}
    rels = list(blobs)
    old = time.time() - 3600
    for rel in rels:
        os.utime(media.path(rel), (old, old))  # both copies last used an hour ago
    third = media.store_bytes(os.urandom(100_000), ".mp4", kind="videos")  # 300 kB: over, trimmed to 200 kB
    kept = [rel for rel in rels if (studio_home / "media-cache" / rel).exists()]
    assert len(kept) == 1 and (studio_home / "media-cache" / third).exists()
    (dropped,) = set(rels) - set(kept)
    again = media.path(dropped)  # fetched back from the store, whole
    assert again.is_file() and again.read_bytes() == _object(media, dropped)
