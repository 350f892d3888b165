"""Files: storing uploads, serving uploads and outputs (ranges via FileResponse), resolving file URLs in bodies."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import FileResponse
from starlette.types import Receive, Scope, Send

from demo_gateway.errors import HttpError
from demo_gateway.store import Store, StoredFile

OUTPUT_NAME = re.compile(r"(job_[0-9a-f]{16})\.mp4")
UPLOAD_NAME = re.compile(r"(file_[0-9a-f]{16})(\.[a-z0-9]{1,5})")
HASH_HEADER = re.compile(r"sha256:([0-9a-fA-F]{64})")
EXT = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
    "video/webm": ".webm",
    "audio/mpeg": ".mp3",
    "audio/wav": ".wav",
    "application/octet-stream": ".bin",
}
SERVABLE = frozenset(t for t in EXT if t != "application/octet-stream")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def sniff_media_type(data: bytes) -> str | None:
    """The media type by content (not by name) for the kinds the studio uploads."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[4:8] == b"ftyp":
        return "video/quicktime" if data[8:10] == b"qt" else "video/mp4"
    if data.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data.startswith(b"ID3"):
        return "audio/mpeg"
    return None


def video_seconds(path: Path) -> float | None:
    """A video's length in seconds (PyAV), or None if it cannot be read."""
    try:
        import av

        with av.open(str(path)) as c:
            if not c.streams.video:
                return None
            s = c.streams.video[0]
            if s.duration and s.time_base:
                return float(s.duration * s.time_base)
            return c.duration / 1_000_000 if c.duration else None
    except Exception:
        return None


MAX_SOURCE_SIDE = 4096  # "4K": a remix source above this is refused (its frames would cost GBs)
MAX_SOURCE_PIXELS = 4096 * 2160
MAX_SOURCE_SECONDS = 300.0  # far beyond any model's source limit (8 to 20 s)
MIN_SOURCE_FPS, MAX_SOURCE_FPS = 1.0, 250.0


def source_problem(path: Path, max_seconds: float = MAX_SOURCE_SECONDS) -> str | None:
    """Why a video can't be a remix source (absurd size, length or timing), or None if it can.

    Reads the headers and counts packets without decoding a frame; a file PyAV can't read is left
    to the renderer (which fails the job cleanly)."""
    try:
        import av

        with av.open(str(path)) as c:
            if not c.streams.video:
                return None
            s = c.streams.video[0]
            w, h = s.codec_context.width, s.codec_context.height
            if max(w, h) > MAX_SOURCE_SIDE or w * h > MAX_SOURCE_PIXELS:
                return f"the source video is {w}x{h}; sources above 4K ({MAX_SOURCE_SIDE} px on the long side) are refused"
            declared = 0.0
            if s.duration and s.time_base:
                declared = float(s.duration * s.time_base)
            elif c.duration:
                declared = c.duration / 1_000_000
            if declared > max_seconds:
                return f"the source video declares {declared:,.0f} s; sources longer than {max_seconds:g} s are refused"
            cap, frames = int(max_seconds * MAX_SOURCE_FPS) + 64, 0
            for packet in c.demux(s):
                if packet.size:
                    frames += 1
                    if frames > cap:
                        return f"the source video holds more than {cap:,} frames"
            if declared >= 2.0 and not MIN_SOURCE_FPS <= frames / declared <= MAX_SOURCE_FPS:
                return (
                    f"the source video declares {declared:,.1f} s but holds {frames} frames: "
                    "its timing is inconsistent"
                )
    except Exception:
        return None
    return None


def base_of(request: Request) -> str:
    """The request's base URL (scheme, host, root_path: a Mount's prefix too) without a trailing slash."""
    url = request.url
    return f"{url.scheme}://{url.netloc}{request.scope.get('root_path', '')}".rstrip("/")


@dataclass(frozen=True)
class Source:
    """A file a create body referenced: an upload or an earlier output of the same account."""

    path: Path
    media_type: str
    seconds: float | None
    rel: str  # path relative to the data dir


class Files:
    """Uploads and outputs on disk, their records in the store, and the URLs that name them."""

    def __init__(self, store: Store, data_dir: Path) -> None:
        self.store = store
        self.data_dir = data_dir
        self.files_dir = data_dir / "files"
        self.outputs_dir = data_dir / "outputs"

    def save_upload(self, account: str, data: bytes, declared: str, sha: str) -> StoredFile:
        media_type = sniff_media_type(data) or declared or "application/octet-stream"
        file_id = "file_" + secrets.token_hex(8)
        name = f"{file_id}{EXT.get(media_type, '.bin')}"
        path = self.files_dir / name
        tmp = path.with_name(f".{name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        seconds = video_seconds(path) if media_type.startswith("video/") else None
        f = StoredFile(file_id, account, name, sha, len(data), media_type, seconds)
        self.store.put_file(f)
        return f

    def known(self, account: str, sha: str) -> StoredFile | None:
        f = self.store.file_by_hash(account, sha)
        return f if f is not None and (self.files_dir / f.name).is_file() else None

    def resolve(self, url: str, base: str, account: str, *, v1: bool) -> Source:
        """The file a URL in a body names. HttpError 400/422 (not ours) or 404 (another account's)."""

        def not_ours() -> HttpError:
            return HttpError(
                400 if v1 else 422,
                "files[].url is not a file uploaded to this gateway (POST /files first) or one of its outputs.",
                field="files",
            )

        try:
            parts, mine = urlsplit(url), urlsplit(base)
            port, my_port = parts.port, mine.port
        except ValueError:
            raise not_ours() from None
        if parts.scheme not in ("http", "https") or port != my_port:
            raise not_ours()
        same_host = parts.hostname == mine.hostname or (
            parts.hostname in _LOOPBACK and mine.hostname in _LOOPBACK
        )
        prefix = mine.path.rstrip("/")
        if not same_host or not parts.path.startswith(prefix + "/"):
            raise not_ours()
        tail = parts.path[len(prefix) :]
        gone = HttpError(
            404, "That file belongs to no file of this account.", field="files", code="file_not_found"
        )
        if m := re.fullmatch(r"/u/" + UPLOAD_NAME.pattern, tail):
            f = self.store.file(m.group(1))
            if f is None or f.name != m.group(1) + m.group(2) or not (self.files_dir / f.name).is_file():
                raise not_ours()
            if f.account != account:
                raise gone
            return Source(self.files_dir / f.name, f.media_type, f.seconds, f"files/{f.name}")
        if m := re.fullmatch(r"/o/" + OUTPUT_NAME.pattern, tail):
            job = self.store.job(m.group(1))
            path = self.outputs_dir / f"{m.group(1)}.mp4"
            if job is None or not path.is_file():
                raise not_ours()
            if job.account != account:
                raise gone
            return Source(path, "video/mp4", job.output_seconds, f"outputs/{path.name}")
        raise not_ours()

    def upload_json(self, f: StoredFile, base: str) -> dict[str, Any]:
        return {
            "file_id": f.file_id,
            "url": f"{base}/u/{f.name}",
            "hash": f"sha256:{f.sha}",
            "media_type": f.media_type,
        }


class ServedFile(FileResponse):
    """A FileResponse (byte ranges by Starlette) for an upload or output, with nosniff; may ignore Range."""

    def __init__(
        self, path: Path, media_type: str, *, attachment: bool = False, ignore_range: bool = False
    ) -> None:
        super().__init__(
            path,
            media_type=media_type,
            headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
            filename=path.name if attachment else None,
            content_disposition_type="attachment",
        )
        self.ignore_range = ignore_range

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.ignore_range:
            scope = dict(scope)
            scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"range"]
        with contextlib.suppress(OSError):
            await super().__call__(scope, receive, send)


def range_usable(request: Request, size: int) -> bool:
    """True to honour the Range header (Starlette's own parser decides); HttpError 416 if unsatisfiable."""
    header = request.headers.get("range")
    if not header:
        return True
    try:
        FileResponse._parse_range_header(header, size)
    except Exception as exc:
        if type(exc).__name__ == "RangeNotSatisfiable":
            raise HttpError(
                416, "The requested range is outside the file.", headers={"Content-Range": f"bytes */{size}"}
            ) from None
        return False
    return True


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
