"""Media in S3-compatible object storage (`STUDIO_MEDIA_URL=s3://bucket/prefix`), read through a local cache.

Objects are immutable and named by the library (`inputs/…`, `videos/<id>.mp4`, `posters/<id>.jpg`)
under the prefix, so a local copy never goes stale: `path(rel)` returns the copy in
`<studio_home>/media-cache/`, fetched on first use (temporary file, then an atomic rename), and every
reader keeps working on plain files. A writer produces its file at `path(rel)` and calls `put(rel)`
before the row naming it is committed; an object no row names is an orphan, swept after a grace
period that covers a take between its upload and its commit. Browsers get presigned URLs (`url`),
so replicas need no shared disk.

boto3 is optional (requirements-team.txt) and configured by the standard AWS variables
(`AWS_ENDPOINT_URL` for a non-AWS store, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
`AWS_DEFAULT_REGION`), read by boto3 itself. No message ever holds a credential.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
import time
from collections.abc import Iterator, Set
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from studio.errors import InputError, StorageError
from studio.store.media_cache import DEFAULT_LIMIT, CacheBound
from studio.store.media_files import (
    MEDIA_KINDS,
    ORPHAN_GRACE,
    MediaFolder,
    atomic_write_bytes,
    content_type,
    storage_error_from_os,
)

CACHE_FOLDER = "media-cache"
CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 60.0
ATTEMPTS = 3  # botocore's "standard" retry mode: throttles, 5xx and broken connections, with jitter
MAX_URL_SECONDS = 7 * 24 * 3600  # the longest a SigV4 presigned URL may live
DEFAULT_URL_SECONDS = 12 * 3600
_URLS_KEPT = 4096
_CHUNK = 1 << 20
_MISSING = {"404", "NoSuchKey", "NotFound"}
_NO_BUCKET = {"NoSuchBucket"}
_REFUSED = {
    "403",
    "AccessDenied",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "AuthorizationHeaderMalformed",
}
FIELD = "studio_media_url"


def _botocore() -> Any:
    try:
        import boto3
        import botocore.config
        import botocore.exceptions
    except ImportError as exc:
        raise StorageError(
            "STUDIO_MEDIA_URL names S3 storage, but boto3 is not installed: pip install -r requirements-team.txt",
            field=FIELD,
        ) from exc
    return boto3, botocore


def endpoint_from_env(env: dict[str, str] | None = None) -> str | None:
    """The non-AWS endpoint the AWS variables name, if any (boto3 reads the same ones)."""
    env = dict(os.environ) if env is None else env
    return (env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or "").strip() or None


def shown_endpoint(url: str | None) -> str:
    """An endpoint as people may see it: scheme, host and port; never user, password or query."""
    if not url:
        return "Amazon S3"
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "the configured S3 endpoint"
    return f"{parts.scheme}://{host}{port}"


def make_client(
    connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT, attempts: int = ATTEMPTS
) -> Any:
    """An S3 client from the standard AWS environment, with retries, timeouts and SigV4."""
    boto3, botocore = _botocore()
    # A self-hosted store (MinIO, Ceph, moto) rarely has a wildcard DNS name per bucket: path style.
    addressing = "path" if endpoint_from_env() else "auto"
    config = botocore.config.Config(
        retries={"mode": "standard", "max_attempts": max(1, attempts)},
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        signature_version="s3v4",
        s3={"addressing_style": addressing},
    )
    try:
        return boto3.session.Session().client("s3", config=config)
    except botocore.exceptions.BotoCoreError as exc:
        raise StorageError(
            f"The S3 client could not be set up from the AWS settings: {type(exc).__name__}.", field=FIELD
        ) from exc


class S3Media:
    """A library's media as objects under `s3://bucket/prefix`, with local copies in media-cache/."""

    def __init__(
        self,
        bucket: str,
        prefix: str,
        home: Path,
        *,
        client: Any = None,
        check: bool = True,
        cache_limit: int = DEFAULT_LIMIT,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.cache = MediaFolder(home, CACHE_FOLDER)
        self.home = self.cache.home
        self.root = self.cache.root
        self.bound = CacheBound((self.root / kind for kind in MEDIA_KINDS), cache_limit)
        self._botocore = _botocore()[1]
        self.client = client if client is not None else make_client()
        self.endpoint = shown_endpoint(getattr(getattr(self.client, "meta", None), "endpoint_url", None))
        self._urls: dict[tuple[str, int], tuple[str, float]] = {}
        self._urls_lock = threading.Lock()
        if check:
            with self._errors("open the media store", bucket_call=True):
                self.client.head_bucket(Bucket=self.bucket)

    def __repr__(self) -> str:
        return f"S3Media({self.location!r})"

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def key(self, rel: str) -> str:
        """The object key of a relative path (checked as the local folder checks it)."""
        self.cache.path(rel)
        return self.prefix + rel

    # errors ---------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _errors(self, doing: str, *, bucket_call: bool = False) -> Iterator[None]:
        """botocore's errors as StorageError, saying what went wrong and where, never a credential.

        `bucket_call`: a call about the bucket itself, where a bare 404 means the bucket is missing."""
        exceptions = self._botocore.exceptions
        where = f"{self.location} at {self.endpoint}"
        try:
            yield
        except exceptions.ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
            if code in _NO_BUCKET or (bucket_call and "404" in (code, status)):
                msg = f"Could not {doing}: the bucket {self.bucket!r} does not exist at {self.endpoint}."
            elif code in _REFUSED or status == "403":
                msg = (
                    f"Could not {doing}: {self.endpoint} refused the credentials for {self.location} "
                    "(check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the bucket's permissions)."
                )
            else:
                msg = f"Could not {doing} in {where}: the store answered {code or status or 'an error'}."
            raise StorageError(msg, field=FIELD) from exc
        except exceptions.NoCredentialsError as exc:
            raise StorageError(
                f"Could not {doing}: no S3 credentials are set (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY).",
                field=FIELD,
            ) from exc
        except exceptions.ReadTimeoutError as exc:
            raise StorageError(
                f"Could not {doing}: the media store at {self.endpoint} did not answer in time. Try again.",
                field=FIELD,
            ) from exc
        except exceptions.ConnectionError as exc:
            raise StorageError(
                f"Could not {doing}: the media store at {self.endpoint} cannot be reached. Try again in a moment.",
                field=FIELD,
            ) from exc
        except exceptions.BotoCoreError as exc:
            raise StorageError(f"Could not {doing} in {where}: {type(exc).__name__}.", field=FIELD) from exc

    @staticmethod
    def _missing(exc: BaseException) -> bool:
        response = getattr(exc, "response", None) or {}
        code = str(response.get("Error", {}).get("Code", ""))
        status = str(response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        return code in _MISSING or (status == "404" and code not in _NO_BUCKET)

    # reads ----------------------------------------------------------------------------------
    def path(self, rel: str) -> Path:
        """The local copy of an object, fetched on first use; the same path, absent, when there is no
        such object yet (a writer's destination). StorageError when the store cannot be asked."""
        local = self.cache.path(rel)
        if local.is_file():
            self.bound.used(local)
            return local
        key = self.key(rel)
        with self._errors("fetch a media file"):
            try:
                response = self.client.get_object(Bucket=self.bucket, Key=key)
            except self._botocore.exceptions.ClientError as exc:
                if self._missing(exc):
                    return local
                raise
            self._save(response["Body"], local)
        self.bound.added(_size(local))
        return local

    def _save(self, body: Any, local: Path) -> None:
        """Stream an object body to `local`: a hidden `.part` file (swept if killed), then a rename."""
        tmp: str | None = None
        try:
            fd, tmp = tempfile.mkstemp(dir=local.parent, prefix=f".{local.name}.", suffix=".part")
            with os.fdopen(fd, "wb") as fh:
                for chunk in body.iter_chunks(_CHUNK):
                    fh.write(chunk)
            os.replace(tmp, local)
            tmp = None
        except OSError as exc:
            raise storage_error_from_os(exc, local.parent, "keep a copy of the media file") from exc
        finally:
            body.close()
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def url(self, rel: str, expires: int = DEFAULT_URL_SECONDS) -> str | None:
        """A presigned GET URL valid for `expires` seconds. The same URL comes back while more than
        half its life is left, so a page rerun does not reload its players."""
        seconds = max(60, min(MAX_URL_SECONDS, int(expires)))
        key = self.key(rel)
        now = time.time()
        with self._urls_lock:
            held = self._urls.get((key, seconds))
            if held is not None and held[1] - now > seconds / 2:
                return held[0]
        with self._errors("sign a media link"):
            url = str(
                self.client.generate_presigned_url(
                    "get_object", Params={"Bucket": self.bucket, "Key": key}, ExpiresIn=seconds
                )
            )
        with self._urls_lock:
            if len(self._urls) >= _URLS_KEPT:
                self._urls.clear()
            self._urls[(key, seconds)] = (url, now + seconds)
        return url

    def has_videos(self) -> bool:
        with self._errors("list the media store"):
            listed = self.client.list_objects_v2(
                Bucket=self.bucket, Prefix=self.prefix + "videos/", MaxKeys=1
            )
        return bool(listed.get("KeyCount") or listed.get("Contents"))

    # writes ---------------------------------------------------------------------------------
    def new_path(self, suffix: str, *, kind: str) -> str:
        return self.cache.new_path(suffix, kind=kind)

    def _upload(self, rel: str, body: Any) -> None:
        with self._errors("upload a media file"):
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.key(rel),
                Body=body,
                ContentType=content_type(rel),
            )

    def store_bytes(self, data: bytes, suffix: str, *, kind: str) -> str:
        """Upload bytes under a generated name, then keep the local copy; returns the relative path."""
        rel = self.new_path(suffix, kind=kind)
        data = bytes(data)
        self._upload(rel, data)
        atomic_write_bytes(self.cache.path(rel), data)
        self.bound.added(len(data))
        return rel

    def put(self, rel: str) -> None:
        """Upload the file a writer produced at `path(rel)`: before the row that names it is committed."""
        local = self.cache.path(rel)
        try:
            fh = local.open("rb")
        except OSError as exc:
            raise storage_error_from_os(exc, local.parent, "read the media file to upload") from exc
        with fh:
            self._upload(rel, fh)
        self.bound.added(_size(local))

    def delete(self, rel: str) -> None:
        """Delete an object and the local copy (an object already gone is fine)."""
        key = self.key(rel)
        with self._errors("delete a media file"):
            self.client.delete_object(Bucket=self.bucket, Key=key)
        self.cache.remove(rel)

    def remove(self, rel: str) -> None:
        """Delete if possible; a bad path or an unreachable store leaves an orphan for the sweep."""
        with contextlib.suppress(StorageError, InputError):
            self.delete(rel)

    # sweeps ---------------------------------------------------------------------------------
    def sweep_partial_files(self, older_than: float = 300.0) -> int:
        return self.cache.sweep_partial_files(older_than)

    def objects(self) -> Iterator[tuple[str, float]]:
        """(relative path, last modified) of every media object under the prefix."""
        paginator = self.client.get_paginator("list_objects_v2")
        with self._errors("list the media store"):
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Contents", ()):
                    rel = str(item["Key"])[len(self.prefix) :]
                    if rel.partition("/")[0] in MEDIA_KINDS:
                        modified = item["LastModified"]
                        yield rel, modified.timestamp() if isinstance(modified, datetime) else float(modified)

    def sweep_orphans(
        self, referenced: Set[str], older_than: float = ORPHAN_GRACE, now: float | None = None
    ) -> int:
        """Delete media objects no row names and older than `older_than` (the grace period covers a take
        between its upload and its commit), and their local copies. Returns how many objects."""
        cutoff = (time.time() if now is None else now) - older_than
        doomed = [rel for rel, modified in self.objects() if rel not in referenced and modified < cutoff]
        for start in range(0, len(doomed), 1000):
            batch = doomed[start : start + 1000]
            with self._errors("sweep the media store"):
                self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": self.prefix + rel} for rel in batch], "Quiet": True},
                )
            for rel in batch:
                self.cache.remove(rel)
        self._sweep_cache(referenced, cutoff)
        return len(doomed)

    def _sweep_cache(self, referenced: Set[str], cutoff: float) -> None:
        """Local copies no row names: always safe to drop (the store holds the original)."""
        for kind in MEDIA_KINDS:
            for path in (self.root / kind).iterdir():
                if path.name.startswith(".") or f"{kind}/{path.name}" in referenced:
                    continue
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < cutoff:
                        path.unlink()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def parse_location(url: str) -> tuple[str, str]:
    """(bucket, prefix) of `s3://bucket[/prefix]`; StorageError naming STUDIO_MEDIA_URL otherwise."""
    from studio.settings import parse_media_url

    try:
        return parse_media_url(url)
    except ValueError as exc:
        raise StorageError(str(exc), field=FIELD) from None


def open_s3_media(url: str, home: Path, cache_limit: int = DEFAULT_LIMIT) -> S3Media:
    bucket, prefix = parse_location(url)
    return S3Media(bucket, prefix, home, cache_limit=cache_limit)
