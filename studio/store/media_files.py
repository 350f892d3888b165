"""Media files in a local folder: generated names, atomic writes, paths that never leave the folder."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import time
import uuid
from collections.abc import Set
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Protocol

from studio.errors import InputError, StorageError

MEDIA_KINDS = ("inputs", "videos", "posters")
_SUFFIX_RE = re.compile(r"^\.[A-Za-z0-9]{1,10}$")
_READ_ONLY_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS}
_FULL_ERRNOS = {errno.ENOSPC, errno.EFBIG, getattr(errno, "EDQUOT", errno.ENOSPC)}
ORPHAN_GRACE = 24 * 3600.0  # seconds a stored file may wait for the row that will name it

_CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".mov": "video/quicktime",
    ".webm": "video/webm",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".webp": "image/webp",
}


def content_type(path: str | Path) -> str:
    """The HTTP media type of a kept media file, by its suffix (`application/octet-stream` if unknown)."""
    return _CONTENT_TYPES.get(Path(path).suffix.lower(), "application/octet-stream")


class MediaStore(Protocol):
    """Where a library keeps its media, named by relative paths (`videos/<id>.mp4`); readers and
    writers use local paths, a writer calls `put` before the row naming the file is committed."""

    home: Path
    root: Path

    def path(self, rel: str) -> Path: ...

    def new_path(self, suffix: str, *, kind: str) -> str: ...

    def store_bytes(self, data: bytes, suffix: str, *, kind: str) -> str: ...

    def put(self, rel: str) -> None: ...

    def url(self, rel: str, expires: int = ...) -> str | None: ...

    def remove(self, rel: str) -> None: ...

    def has_videos(self) -> bool: ...

    def sweep_partial_files(self, older_than: float = ...) -> int: ...

    def sweep_orphans(
        self, referenced: Set[str], older_than: float = ..., now: float | None = ...
    ) -> int: ...


def storage_error_from_os(exc: OSError, where: Path, doing: str) -> StorageError:
    """A user-facing StorageError for a failed file operation."""
    if exc.errno in _READ_ONLY_ERRNOS:
        msg = f"Could not {doing}: the folder {where} is read-only (or the studio may not write there)."
    elif exc.errno in _FULL_ERRNOS:
        msg = f"Could not {doing}: the disk holding {where} is full. Free some space and try again."
    elif exc.errno in {errno.ENOTDIR, errno.EEXIST}:
        msg = f"Could not {doing}: a file is in the way of the folder {where}. Choose another data folder."
    elif exc.errno == errno.ENOENT:
        msg = f"Could not {doing}: {where} does not exist."
    else:
        msg = f"Could not {doing} in {where}: {exc.strerror or exc}."
    err = StorageError(msg, field="studio_home")
    err.__cause__ = exc
    return err


def private(path: Path, mode: int) -> None:
    """Only the studio's user may read its library and media: group and world bits are removed,
    never added back to the owner (a folder made read-only on purpose stays read-only)."""
    with contextlib.suppress(OSError):
        if path.exists():
            current = path.stat().st_mode & 0o777
            if current & ~mode:
                path.chmod(current & mode)


def atomic_write_bytes(path: Path, data: bytes) -> Path:
    """Write `data` to `path` all-or-nothing: temp file in the same folder, fsync, rename.

    Raises StorageError (read-only folder, full disk...); never leaves a partial file behind.
    """
    path = Path(path)
    folder = path.parent
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=path.suffix)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
        _fsync_dir(folder)
    except OSError as exc:
        raise storage_error_from_os(exc, folder, "save the file") from exc
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return path


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class MediaFolder:
    """The media files of a library, under `<home>/media/<kind>/`, named by relative paths.

    `subfolder` names another folder of `home` (the S3 store keeps its local copies in `media-cache`).
    """

    def __init__(self, home: Path, subfolder: str = "media") -> None:
        self.home = Path(home).expanduser()
        self.root = self.home / subfolder
        for folder in (self.home, self.root, *(self.root / k for k in MEDIA_KINDS)):
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                where = folder.parent if exc.errno in _READ_ONLY_ERRNOS else folder
                raise storage_error_from_os(
                    exc, where, f"set up the studio's data folder {self.home}"
                ) from exc
            if not folder.is_dir():
                raise StorageError(
                    f"Could not create the studio's data folder: {folder} is a file, not a folder.",
                    field="studio_home",
                )
            private(folder, 0o700)
        self._root_resolved = self.root.resolve()

    def path(self, rel: str) -> Path:
        """The absolute path of a media file; refuses anything that would leave the media root."""
        bad = InputError("That file path is outside the studio's media folder.", field="path")
        if not isinstance(rel, str) or not rel or "\x00" in rel or "\\" in rel:
            raise bad
        posix = PurePosixPath(rel)
        if posix.is_absolute() or PureWindowsPath(rel).drive or ".." in posix.parts:
            raise bad
        full = (self.root / posix).resolve()
        if full == self._root_resolved or not full.is_relative_to(self._root_resolved):
            raise bad
        return full

    def new_path(self, suffix: str, *, kind: str) -> str:
        """A fresh relative path (not yet written) in media/<kind>/ for a writer that needs a Path."""
        if kind not in MEDIA_KINDS:
            raise ValueError(f"kind must be one of {', '.join(MEDIA_KINDS)}, not {kind!r}")
        if not _SUFFIX_RE.match(suffix):
            raise ValueError(f"suffix must look like '.mp4', not {suffix!r}")
        return f"{kind}/{uuid.uuid4().hex}{suffix.lower()}"

    def store_bytes(self, data: bytes, suffix: str, *, kind: str) -> str:
        """Save bytes under a generated name in media/<kind>/ atomically; returns the relative path."""
        rel = self.new_path(suffix, kind=kind)
        atomic_write_bytes(self.path(rel), bytes(data))
        return rel

    def put(self, rel: str) -> None:
        """Nothing to do: a file written at `path(rel)` is already stored (the S3 store uploads here)."""
        self.path(rel)

    def url(self, rel: str, expires: int = 0) -> str | None:
        """None: local files reach the browser through the studio's own signed route."""
        self.path(rel)
        return None

    def remove(self, rel: str) -> None:
        """Delete a media file if it is there (a bad or missing path is ignored)."""
        try:
            self.path(rel).unlink(missing_ok=True)
        except (OSError, InputError):
            pass

    def has_videos(self) -> bool:
        return any((self.root / "videos").glob("*.mp4"))

    def sweep_partial_files(self, older_than: float = 300.0) -> int:
        """Remove `.part` files a killed download left in the media folders. Returns how many."""
        cutoff = time.time() - older_than
        removed = 0
        for kind in MEDIA_KINDS:
            for path in (self.root / kind).glob(".*.part"):
                with contextlib.suppress(OSError):
                    if path.stat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
        return removed

    def sweep_orphans(
        self, referenced: Set[str], older_than: float = ORPHAN_GRACE, now: float | None = None
    ) -> int:
        """Remove uploads in media/inputs/ no take names, older than `older_than`. Returns how many.

        Only inputs: they are stored before their takes' rows (a submission that then failed leaves
        one behind). Videos and posters are named by their take and rewritten by Retry; they are
        never swept here, where a lost library row must not cost the only copy of a paid video.
        """
        cutoff = (time.time() if now is None else now) - older_than
        removed = 0
        for path in (self.root / "inputs").iterdir():
            rel = f"inputs/{path.name}"
            if path.name.startswith(".") or rel in referenced:
                continue
            with contextlib.suppress(OSError):
                if path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
        return removed
