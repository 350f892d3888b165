"""The bound on S3 media's local copies: least recently used copies go once the folder is too big.

Every copy in `media-cache/` is a copy of an object the store keeps (a writer uploads its file before
the row naming it is committed), so dropping one loses nothing: the next `path(rel)` fetches it
again. Copies used in the last `RECENT` seconds are never dropped, so a file being written, uploaded,
stitched or served stays where its reader left it. Use refreshes a copy's modification time; the
folder's size is counted once, then kept up to date as copies arrive, and a trim is one scan.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterable
from pathlib import Path

DEFAULT_LIMIT = 4 * 1024**3  # STUDIO_MEDIA_CACHE_MB, 4 GB when unset
RECENT = 600.0  # seconds: a copy used this recently is never dropped
TRIM_TO = 0.8  # a trim goes down to this share of the limit, so it does not run on every fetch


class CacheBound:
    """Keeps the copies under `folders` within `limit` bytes (0: no bound)."""

    def __init__(self, folders: Iterable[Path], limit: int = DEFAULT_LIMIT) -> None:
        self.folders = tuple(folders)
        self.limit = max(0, int(limit))
        self._bytes: int | None = None  # counted on first use
        self._lock = threading.Lock()

    def used(self, path: Path) -> None:
        """A copy was read: it is recent again (its modification time is the use clock)."""
        with contextlib.suppress(OSError):
            os.utime(path)

    def added(self, size: int) -> None:
        """A copy of `size` bytes arrived (fetched or written); trims when the folder is over the limit."""
        if not self.limit:
            return
        with self._lock:
            if self._bytes is None:
                self._bytes = sum(size for _, size, _ in self._copies())
            else:
                self._bytes += size
            if self._bytes > self.limit:
                self._bytes = self._trim(int(self.limit * TRIM_TO))

    def _copies(self) -> list[tuple[float, int, Path]]:
        """(last use, size, path) of every copy; hidden files (downloads in flight) are left out."""
        found = []
        for folder in self.folders:
            with contextlib.suppress(OSError):
                for entry in os.scandir(folder):
                    if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                        continue
                    with contextlib.suppress(OSError):
                        st = entry.stat(follow_symlinks=False)
                        found.append((st.st_mtime, st.st_size, Path(entry.path)))
        return found

    def _trim(self, target: int, now: float | None = None) -> int:
        """Drop the least recently used copies (none used in the last RECENT s) down to `target`
        bytes; returns the bytes left."""
        copies = sorted(self._copies())
        total = sum(size for _, size, _ in copies)
        cutoff = (time.time() if now is None else now) - RECENT
        for used, size, path in copies:
            if total <= target or used >= cutoff:
                break
            with contextlib.suppress(OSError):
                path.unlink()
                total -= size
        return total
