"""The ISO-BMFF boxes of a progressive MP4: each track's headers and sample tables, read with struct.

Only what a box-level splice needs, and only files it can splice safely: one video track and at
most one sound track, one sample description each, sample tables in the moov (no fragments), at
most one edit per track. Anything else raises `CannotSplice`, and the caller goes the slow way.
Per-sample tables are expanded with numpy (integers, in the track's own ticks).
"""

from __future__ import annotations

import functools
import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["CannotSplice", "CutShort", "Movie", "Track", "children", "read"]

HEADER = struct.Struct(">I4s")  # a box: its size and kind
_TABLES = {b"stsd", b"stts", b"ctts", b"stss", b"stsc", b"stsz", b"stco", b"co64", b"sgpd", b"sbgp"}
_MOOV_LIMIT = 64 << 20  # a moov bigger than this is not a take's


class CannotSplice(Exception):
    """The file is not one the box splice understands (or is damaged): copy it packet by packet."""


class CutShort(CannotSplice):
    """An MP4 whose index lists samples past the end of the file: an incomplete download or copy."""


@dataclass(frozen=True)
class Track:
    """One track's boxes (kept whole, to write again) and its sample tables, expanded per sample."""

    handler: bytes  # b"vide" or b"soun"
    timescale: int  # ticks a second (mdhd)
    tkhd: bytes  # whole boxes, as stored
    mdhd: bytes
    hdlr: bytes
    media_header: bytes  # vmhd or smhd
    dinf: bytes
    stsd: bytes
    roll: bytes | None  # an sgpd box whose one group covers every sample (sbgp), else None
    edit: int  # the edit list's media time (ticks skipped at the start; 0 without one)
    sizes: np.ndarray  # bytes per sample (int64), in stored (decoding) order
    offsets: np.ndarray  # file offset per sample (int64)
    durations: np.ndarray  # ticks per sample (stts)
    composition: np.ndarray  # showing time minus decoding time, per sample (ctts; zeros without)
    sync: np.ndarray | None  # keyframe per sample (bool; None: every sample is one)

    @property
    def dts(self) -> np.ndarray:
        """Each sample's decoding time in ticks, from 0."""
        d = np.cumsum(self.durations)
        return d - self.durations

    @property
    def pts(self) -> np.ndarray:
        """Each sample's showing time in ticks as libav gives it: less the edit's start."""
        return self.dts + self.composition - self.edit

    def entry(self) -> tuple[bytes, bytes]:
        """The sample entry's kind (b"avc1", b"mp4a"…) and body (after its 8-byte header)."""
        _, kind = HEADER.unpack_from(self.stsd, 16)
        size = struct.unpack_from(">I", self.stsd, 16)[0]
        return kind, self.stsd[24 : 16 + size]


@dataclass(frozen=True)
class Movie:
    """A progressive MP4 as a splice sees it."""

    path: Path
    size: int  # the file's bytes
    stamp: tuple[int, int, int]  # its inode, size and modification time (ns) when read
    ftyp: bytes
    video: Track
    audio: Track | None


def children(buf: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """The boxes in buf[start:end]: (kind, body start, box end)."""
    found = []
    at = start
    while at + 8 <= end:
        size, kind = HEADER.unpack_from(buf, at)
        body = at + 8
        if size == 1:
            if at + 16 > end:
                raise CannotSplice("a box header is cut short")
            size = struct.unpack_from(">Q", buf, at + 8)[0]
            body = at + 16
        elif size == 0:
            size = end - at
        if size < body - at or at + size > end:
            raise CannotSplice(f"box {kind!r} runs past its parent")
        found.append((kind, body, at + size))
        at += size
    if at != end:
        raise CannotSplice("stray bytes between boxes")
    return found


def _one(boxes: list[tuple[bytes, int, int]], kind: bytes) -> tuple[int, int]:
    hits = [(b, e) for k, b, e in boxes if k == kind]
    if len(hits) != 1:
        raise CannotSplice(f"{len(hits)} {kind.decode('latin-1')} boxes where one was expected")
    return hits[0]


def read(path: Path) -> Movie:
    """Read an MP4's top-level boxes and its moov; raise CannotSplice for anything unexpected.

    An index read before is given again while the file is the same one (device, inode, size and
    modification time unchanged): one export reads each take for its film and for its timeline, and
    a creative re-exports after changing a trim. Its arrays are read-only: it is shared."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise CannotSplice(f"unreadable: {exc}") from None
    return _remembered(str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


@functools.lru_cache(maxsize=512)
def _remembered(path: str, dev: int, ino: int, size: int, mtime_ns: int) -> Movie:
    movie = _read(Path(path))
    for track in (movie.video, movie.audio):
        if track is not None:
            for a in (track.sizes, track.offsets, track.durations, track.composition, track.sync):
                if a is not None:
                    a.flags.writeable = False
    return movie


def forget() -> None:
    """Drop every remembered index (benchmarks time a first read with it)."""
    _remembered.cache_clear()


def _read(path: Path) -> Movie:
    try:
        with open(path, "rb") as f:
            stat = os.fstat(f.fileno())
            size, stamp = stat.st_size, (stat.st_ino, stat.st_size, stat.st_mtime_ns)
            ftyp = moov = b""
            at, mdat = 0, False
            while at + 8 <= size:
                f.seek(at)
                head = f.read(16)
                n, kind = HEADER.unpack_from(head, 0)
                if n == 1 and len(head) == 16:
                    n = struct.unpack_from(">Q", head, 8)[0]
                elif n == 0:
                    n = size - at
                if kind == b"mdat" and moov and at + n > size:
                    n = size - at  # cut short: whether samples are missing, the index tells
                if n < 8 or at + n > size:
                    raise CannotSplice(f"the file is cut short inside its {kind!r} box")
                if kind in (b"moof", b"mvex", b"sidx") or (kind == b"moov" and moov):
                    raise CannotSplice("a fragmented MP4")
                if kind == b"ftyp" and n <= 4096:
                    f.seek(at)
                    ftyp = f.read(n)
                elif kind == b"moov":
                    if n > _MOOV_LIMIT:
                        raise CannotSplice("an index too big for a take")
                    f.seek(at)
                    moov = f.read(n)
                mdat = mdat or kind == b"mdat"
                at += n
    except OSError as exc:
        raise CannotSplice(f"unreadable: {exc}") from None
    if not ftyp or not moov or not mdat or at != size:
        raise CannotSplice("not a whole progressive MP4 (ftyp, moov and mdat)")
    if len(moov) < 8 or HEADER.unpack_from(moov, 0)[0] == 1:
        raise CannotSplice("an unusual moov header")
    try:
        if any(k == b"mvex" for k, _, _ in children(moov, 8, len(moov))):
            raise CannotSplice("a fragmented MP4")
        tracks = [_track(moov, b, e) for k, b, e in children(moov, 8, len(moov)) if k == b"trak"]
    except (struct.error, ValueError, IndexError) as exc:
        raise CannotSplice(f"a damaged index: {exc}") from None
    video = [t for t in tracks if t.handler == b"vide"]
    audio = [t for t in tracks if t.handler == b"soun"]
    if len(video) != 1 or len(audio) > 1 or len(tracks) != len(video) + len(audio):
        raise CannotSplice("tracks other than one picture and at most one sound")
    for t in tracks:
        if int(t.offsets.min(initial=0)) < 0:
            raise CannotSplice("a damaged index: samples before the file's start")
        if len(t.sizes) and int((t.offsets + t.sizes).max()) > size:
            raise CutShort("samples past the end of the file: it is cut short")
    return Movie(Path(path), size, stamp, ftyp, video[0], audio[0] if audio else None)


def _track(buf: bytes, start: int, end: int) -> Track:
    trak = children(buf, start, end)
    if not {k for k, _, _ in trak} <= {b"tkhd", b"edts", b"mdia", b"udta", b"tref", b"meta"} or any(
        k == b"tref" for k, _, _ in trak
    ):
        raise CannotSplice("a track with references or boxes it does not know")
    tkhd = _whole(buf, *_one(trak, b"tkhd"))
    edit = _edit(buf, trak)
    mdia = children(buf, *_one(trak, b"mdia"))
    mdhd_at, mdhd_end = _one(mdia, b"mdhd")
    version = buf[mdhd_at]
    timescale = struct.unpack_from(">I", buf, mdhd_at + (20 if version == 1 else 12))[0]
    hdlr_at, hdlr_end = _one(mdia, b"hdlr")
    handler = buf[hdlr_at + 8 : hdlr_at + 12]
    minf = children(buf, *_one(mdia, b"minf"))
    header = b"vmhd" if handler == b"vide" else b"smhd"
    media_header = _whole(buf, *_one(minf, header)) if handler in (b"vide", b"soun") else b""
    dinf_at, dinf_end = _one(minf, b"dinf")
    dref = children(buf, dinf_at, dinf_end)
    dref_at, dref_end = _one(dref, b"dref")
    entries = children(buf, dref_at + 8, dref_end)
    if len(entries) != 1 or not buf[entries[0][1] + 3] & 1:
        raise CannotSplice("media in another file (data reference)")
    stbl = children(buf, *_one(minf, b"stbl"))
    kinds = [k for k, _, _ in stbl]
    if not set(kinds) <= _TABLES or len(kinds) != len(set(kinds)) or not timescale:
        raise CannotSplice("sample tables it does not know")
    table = {k: (b, e) for k, b, e in stbl}
    stsd_at, stsd_end = table[b"stsd"]
    if struct.unpack_from(">I", buf, stsd_at + 4)[0] != 1:
        raise CannotSplice("more than one sample description")
    sizes = _sizes(buf, *table[b"stsz"])
    count = len(sizes)
    durations = _runs(buf, table[b"stts"][0], count, np.uint32)
    composition = (
        _runs(buf, table[b"ctts"][0], count, np.int32) if b"ctts" in table else np.zeros(count, np.int64)
    )
    sync = None
    if b"stss" in table:
        at = table[b"stss"][0]
        n = struct.unpack_from(">I", buf, at + 4)[0]
        numbers = np.frombuffer(buf, ">u4", n, at + 8).astype(np.int64)
        if n and (numbers.min() < 1 or numbers.max() > count):
            raise CannotSplice("keyframe numbers outside the track")
        sync = np.zeros(count, bool)
        sync[numbers - 1] = True
    offsets = _offsets(buf, table, sizes)
    return Track(
        handler=handler,
        timescale=timescale,
        tkhd=tkhd,
        mdhd=_whole(buf, mdhd_at, mdhd_end),
        hdlr=_whole(buf, hdlr_at, hdlr_end),
        media_header=media_header,
        dinf=_whole(buf, dinf_at, dinf_end),
        stsd=_whole(buf, stsd_at, stsd_end),
        roll=_roll(buf, table, count),
        edit=edit,
        sizes=sizes,
        offsets=offsets,
        durations=durations,
        composition=composition,
        sync=sync,
    )


def _whole(buf: bytes, body: int, end: int) -> bytes:
    """The whole box (header too) whose body starts at `body` (8-byte headers only)."""
    if HEADER.unpack_from(buf, body - 8)[0] != end - body + 8:
        raise CannotSplice("a box with a 64-bit size where none is expected")
    return buf[body - 8 : end]


def _edit(buf: bytes, trak: list[tuple[bytes, int, int]]) -> int:
    """The media time the track's one edit starts at (0 without an edit list)."""
    edts = [(b, e) for k, b, e in trak if k == b"edts"]
    if not edts:
        return 0
    elst_at, _ = _one(children(buf, *edts[0]), b"elst")
    version, n = buf[elst_at], struct.unpack_from(">I", buf, elst_at + 4)[0]
    if n == 0:
        return 0
    if n != 1:
        raise CannotSplice("an edit list with more than one edit")
    if version == 1:
        _, media_time, rate = struct.unpack_from(">QqI", buf, elst_at + 8)
    else:
        _, media_time, rate = struct.unpack_from(">IiI", buf, elst_at + 8)
    if media_time < 0 or rate != 0x10000:
        raise CannotSplice("an empty or re-timed edit")
    return int(media_time)


def _sizes(buf: bytes, at: int, end: int) -> np.ndarray:
    same, n = struct.unpack_from(">II", buf, at + 4)
    if same:
        return np.full(n, same, np.int64)
    if at + 12 + 4 * n > end:
        raise CannotSplice("a sample size table cut short")
    return np.frombuffer(buf, ">u4", n, at + 12).astype(np.int64)


def _runs(buf: bytes, at: int, count: int, kind: type) -> np.ndarray:
    """A run-length table (stts, ctts: count, value) expanded to one value per sample."""
    n = struct.unpack_from(">I", buf, at + 4)[0]
    pairs = np.frombuffer(buf, ">u4", 2 * n, at + 8).reshape(n, 2)
    counts = pairs[:, 0].astype(np.int64)
    values = pairs[:, 1].astype(kind).astype(np.int64)  # ctts: signed in version 1 (and in practice)
    if int(counts.sum()) != count:
        raise CannotSplice("a timing table that does not cover every sample")
    return np.repeat(values, counts)


def _offsets(buf: bytes, table: dict[bytes, tuple[int, int]], sizes: np.ndarray) -> np.ndarray:
    """Each sample's file offset, from its chunk's offset (stco/co64) and the sizes before it (stsc)."""
    if (b"stco" in table) == (b"co64" in table):
        raise CannotSplice("no chunk offsets, or two tables of them")
    wide = b"co64" in table
    at, _ = table[b"co64" if wide else b"stco"]
    chunks = struct.unpack_from(">I", buf, at + 4)[0]
    starts = np.frombuffer(buf, ">u8" if wide else ">u4", chunks, at + 8).astype(np.int64)
    at, _ = table[b"stsc"]
    n = struct.unpack_from(">I", buf, at + 4)[0]
    rows = np.frombuffer(buf, ">u4", 3 * n, at + 8).reshape(n, 3).astype(np.int64)
    first = rows[:, 0]
    if (
        n == 0
        or first[0] != 1
        or (np.diff(first) <= 0).any()
        or first[-1] > chunks
        or (rows[:, 2] != 1).any()
    ):
        raise CannotSplice("a damaged sample-to-chunk table")
    per_chunk = np.repeat(rows[:, 1], np.diff(np.append(first, chunks + 1)))
    if int(per_chunk.sum()) != len(sizes):
        raise CannotSplice("chunks that do not hold every sample")
    chunk_of = np.repeat(np.arange(chunks), per_chunk)
    before = np.cumsum(sizes) - sizes  # bytes of the samples before each one
    chunk_first = np.cumsum(per_chunk) - per_chunk  # each chunk's first sample
    return starts[chunk_of] + before - before[chunk_first[chunk_of]]


def _roll(buf: bytes, table: dict[bytes, tuple[int, int]], count: int) -> bytes | None:
    """An sgpd box whose group (sbgp) is every sample's: kept for the joined track (sound pre-roll)."""
    if b"sgpd" not in table and b"sbgp" not in table:
        return None
    if b"sgpd" not in table or b"sbgp" not in table:
        raise CannotSplice("a sample group without its description")
    at, _ = table[b"sbgp"]
    version = buf[at]
    grouping = buf[at + 4 : at + 8]
    at += 12 if version == 1 else 8
    n = struct.unpack_from(">I", buf, at)[0]
    runs = np.frombuffer(buf, ">u4", 2 * n, at + 4).reshape(n, 2) if n else np.zeros((0, 2), np.uint32)
    sgpd_at, sgpd_end = table[b"sgpd"]
    if (
        n != 1
        or int(runs[0, 0]) != count
        or int(runs[0, 1]) != 1
        or buf[sgpd_at + 4 : sgpd_at + 8] != grouping
    ):
        raise CannotSplice("sample groups other than one for every sample")
    return _whole(buf, sgpd_at, sgpd_end)


# --- what the sample descriptions say (enough to compare shots without opening them with libav) ---------
