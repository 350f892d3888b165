"""A film spliced from takes' MP4s at box level: merged sample tables, one index before the media.

Each shot contributes a run of its stored samples per track (`Cut`); their bytes are moved by
mapping the take and writing the pages (one range per shot: from its first kept sample to the end of
its last, other bytes between them ride along unreferenced; `os.copy_file_range` when it cannot map), and the index (moov) is written first (faststart) with
the chunk offsets pointing at where they landed. Times follow what a packet-by-packet copy would
give: each sample's showing and decoding times shifted by its shot's shift; the edit list starts
the film at its first shown frame. Anything that would not make a correct file raises `CannotSplice`.
"""

from __future__ import annotations

import errno
import mmap
import os
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from studio.mp4_boxes import CannotSplice, Movie, Track
from studio.mp4_entry import bitrates

__all__ = ["Cut", "splice"]

MOVIE_TIMESCALE = 1000
FTYP = struct.pack(
    ">I4s4sI4s4s4s4s", 32, b"ftyp", b"isom", 0x200, b"isom", b"iso2", b"avc1", b"mp41"
)  # as FFmpeg
_MAP_FLAGS = mmap.MAP_SHARED | getattr(mmap, "MAP_POPULATE", 0)  # pages read in by the map (Linux)
_MAP_CHUNK = 256 << 20  # mapped at most this much at a time
_NO_FAST_COPY = {errno.EXDEV, errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP, errno.EPERM, errno.EBADF}
_U32 = (1 << 32) - 1
OFFSET_LIMIT = _U32  # byte offsets past this need 64-bit chunk offsets (co64) and a 64-bit mdat size


@dataclass(frozen=True)
class Cut:
    """One shot's part: its movie, the stored samples kept per track ([start, stop)), and how far their
    times move (ticks of each track, added to libav's times: showing time less the edit's start)."""

    movie: Movie
    video: tuple[int, int]
    shift: int
    audio: tuple[int, int] | None = None
    audio_shift: int = 0


@dataclass(frozen=True)
class _Joined:
    """One track of the film: its sample tables, before the byte offsets are known."""

    first: Track  # the first shot's track: its descriptions and headers are the film's
    sizes: np.ndarray
    sources: np.ndarray  # each sample's offset in its take's file
    shots: np.ndarray  # which shot each sample comes from
    durations: np.ndarray
    composition: np.ndarray
    sync: np.ndarray | None
    edit: int  # media time the film starts at (negative: the track starts that late, after an empty edit)
    shown: int  # ticks from the film's start to the end of its last sample shown


def splice(cuts: Sequence[Cut], path: Path, report: Callable[[int], None]) -> int:
    """Write the film into `path` (which must not exist yet) and return its number of frames.
    `report(frames done)` is called after each shot's bytes are in."""
    if not cuts:
        raise CannotSplice("nothing to splice")
    video = _join(cuts, sound=False)
    audio = _join(cuts, sound=True) if cuts[0].audio is not None else None
    spans = []  # per shot: its first byte and how many, from its first kept sample to its last's end
    for i, cut in enumerate(cuts):
        lo, hi = cut.movie.size, 0
        for t in (video, audio):
            if t is not None:
                mine = t.shots == i
                lo = min(lo, int(t.sources[mine].min()))
                hi = max(hi, int((t.sources + t.sizes)[mine].max()))
        if hi > cut.movie.size:
            raise CannotSplice("samples past the end of the take")
        spans.append((lo, hi - lo))
    starts = np.cumsum([0] + [n for _, n in spans])  # each shot's place in the media data
    data = int(starts[-1])
    ftyp = FTYP
    tracks = [video, audio]
    wide = False
    moov = _moov(tracks, spans, starts, 0, wide)
    if len(ftyp) + len(moov) + 16 + data > OFFSET_LIMIT:
        wide = True
        moov = _moov(tracks, spans, starts, 0, wide)
    head = 16 if data + 8 > OFFSET_LIMIT else 8
    base = len(ftyp) + len(moov) + head
    moov, sized = _moov(tracks, spans, starts, base, wide), len(moov)
    if len(moov) != sized:
        raise CannotSplice("an index whose size changed with its offsets")
    mdat = (
        struct.pack(">I4sQ", 1, b"mdat", data + 16) if head == 16 else struct.pack(">I4s", data + 8, b"mdat")
    )
    frames = 0
    with open(path, "xb") as out:
        _reserve(out.fileno(), base + data)
        out.write(ftyp + moov + mdat)
        out.flush()
        at = base
        for i, cut in enumerate(cuts):
            start, count = spans[i]
            with open(cut.movie.path, "rb") as src:
                stat = os.fstat(src.fileno())
                if (stat.st_ino, stat.st_size, stat.st_mtime_ns) != cut.movie.stamp:
                    raise CannotSplice("a take changed since it was read")
                _copy_range(src.fileno(), out.fileno(), start, count, at)
            at += count
            frames += cut.video[1] - cut.video[0]
            report(frames)
    return frames


def _join(cuts: Sequence[Cut], sound: bool) -> _Joined:
    """One track's kept samples from every shot (the sound's, or the pictures'), with times as a
    packet copy would give them."""
    kind = "sound" if sound else "picture"
    tracks: list[Track] = []
    pieces: dict[str, list[np.ndarray]] = {
        k: [] for k in ("sizes", "src", "shot", "pts", "dts", "dur", "sync")
    }
    for i, cut in enumerate(cuts):
        track = cut.movie.audio if sound else cut.movie.video
        kept = cut.audio if sound else cut.video
        if track is None or kept is None:
            raise CannotSplice(f"a shot without its {kind} track")
        a, b = kept
        if not 0 <= a < b <= len(track.sizes):
            raise CannotSplice(f"no {kind} samples kept in shot {i + 1}")
        tracks.append(track)
        shift = cut.audio_shift if sound else cut.shift
        dts = track.dts[a:b] - track.edit + shift
        pieces["sizes"].append(track.sizes[a:b])
        pieces["src"].append(track.offsets[a:b])
        pieces["shot"].append(np.full(b - a, i))
        pieces["dts"].append(dts)
        pieces["pts"].append(dts + track.composition[a:b])
        pieces["dur"].append(track.durations[a:b])
        pieces["sync"].append(np.ones(b - a, bool) if track.sync is None else track.sync[a:b])
    first = tracks[0]
    for t in tracks[1:]:
        if (t.timescale, _plain(t.stsd), t.roll) != (first.timescale, _plain(first.stsd), first.roll):
            raise CannotSplice(f"shots whose {kind} is described differently")
    dts, pts = np.concatenate(pieces["dts"]), np.concatenate(pieces["pts"])
    durations = np.concatenate(pieces["dur"])
    steps = np.diff(dts)
    if (steps <= 0).any():
        raise CannotSplice(f"{kind} times that do not increase across a cut")
    durations = np.append(steps, durations[-1])
    composition = pts - dts
    if (composition < 0).any() or int(composition.max()) > 1 << 30 or int(durations.max()) > _U32:
        raise CannotSplice(f"{kind} showing times it cannot store")
    sync = np.concatenate(pieces["sync"])
    return _Joined(
        first=first,
        sizes=np.concatenate(pieces["sizes"]),
        sources=np.concatenate(pieces["src"]),
        shots=np.concatenate(pieces["shot"]),
        durations=durations,
        composition=composition,
        sync=None if sync.all() else sync,
        edit=-int(dts[0]),
        shown=int((pts + durations).max()),  # the film starts at time 0
    )


def _plain(stsd: bytes) -> bytes:
    """A sample description without its stated bitrates (btrt, esds), which differ take by take."""
    plain = bytearray(stsd)
    for at, buffer in bitrates(stsd):
        plain[at : at + buffer + 8] = bytes(buffer + 8)
    return bytes(plain)


def _reserve(fd: int, size: int) -> None:
    """The film's blocks allocated up front: fewer pieces on disk, and ext4 need not allocate them
    all at once (flushing the file) when the film is renamed over an earlier export."""
    try:
        os.posix_fallocate(fd, 0, size)
    except (OSError, AttributeError):
        pass  # not on this file system: the writes allocate as they go


def _copy_range(src: int, dst: int, start: int, count: int, at: int) -> None:
    """`count` bytes from src at `start` to dst at `at`: mapped and written when it can, else in the
    kernel (copy_file_range), else read and written."""
    if os.fstat(src).st_size < start + count:
        raise CannotSplice("a take shorter than its index says")
    while count:
        n = min(count, _MAP_CHUNK)
        if not _mapped(src, dst, start, n, at):
            break
        start, at, count = start + n, at + n, count - n
    fast = hasattr(os, "copy_file_range")
    while count:
        if fast:
            try:
                n = os.copy_file_range(src, dst, count, start, at)
            except OSError as exc:
                if exc.errno not in _NO_FAST_COPY:
                    raise
                fast = False
                continue
        else:
            chunk = os.pread(src, min(count, 1 << 22), start)
            n = len(chunk)
            view = memoryview(chunk)
            while view:
                view = view[os.pwrite(dst, view, at + n - len(view)) :]
        if n == 0:
            raise CannotSplice("a take shorter than its index says")
        start, at, count = start + n, at + n, count - n


def _mapped(src: int, dst: int, start: int, count: int, at: int) -> bool:
    """Copy by mapping the source's pages (read-only, populated up front) and writing them with one
    pwrite: a single copy out of the page cache, a third faster for a take than copy_file_range's
    pipe of 16 pages, and faster than one sendfile of the same bytes. False when it cannot map.

    The range was checked to lie inside the file (its size and stamp) just before: takes are never
    cut short in place (downloads are renamed into place), which a mapping past the end would not
    survive."""
    base = start - start % mmap.ALLOCATIONGRANULARITY
    try:
        pages = mmap.mmap(src, start - base + count, flags=_MAP_FLAGS, prot=mmap.PROT_READ, offset=base)
    except (OSError, ValueError, OverflowError):
        return False
    with pages, memoryview(pages) as whole, whole[start - base :] as view:
        done = 0
        while done < count:
            done += os.pwrite(dst, view[done:], at + done)
    return True


# --- the index --------------------------------------------------------------------------------------------
def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _full(kind: bytes, version: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", version << 24), *parts)


def _moov(tracks: list[_Joined | None], spans: list, starts: np.ndarray, base: int, wide: bool) -> bytes:
    traks, longest = [], 0
    for number, track in enumerate((t for t in tracks if t is not None), start=1):
        shown = _to_movie(track.shown, track.first.timescale)
        longest = max(longest, shown)
        traks.append(_trak(track, number, shown, spans, starts, base, wide))
    matrix = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    small = longest <= _U32
    mvhd = _full(
        b"mvhd",
        0 if small else 1,
        struct.pack(">IIII" if small else ">QQIQ", 0, 0, MOVIE_TIMESCALE, longest),
        struct.pack(">IH10x", 0x10000, 0x100),
        matrix,
        bytes(24),
        struct.pack(">I", len(traks) + 1),
    )
    return _box(b"moov", mvhd, *traks)


def _to_movie(ticks: int, timescale: int) -> int:
    return (ticks * MOVIE_TIMESCALE + timescale // 2) // timescale


def _trak(
    t: _Joined, number: int, shown: int, spans: list, starts: np.ndarray, base: int, wide: bool
) -> bytes:
    first = t.first
    tkhd = bytearray(first.tkhd)
    if tkhd[8] == 1:
        struct.pack_into(">I", tkhd, 28, number)
        struct.pack_into(">Q", tkhd, 36, shown)
    else:
        struct.pack_into(">I", tkhd, 20, number)
        struct.pack_into(">I", tkhd, 28, min(shown, _U32))
    mdhd = bytearray(first.mdhd)
    total = int(t.durations.sum())
    if mdhd[8] == 1:
        struct.pack_into(">Q", mdhd, 32, total)
    elif total > _U32:
        raise CannotSplice("a track too long for its media header")
    else:
        struct.pack_into(">I", mdhd, 24, total)
    edits = [(shown, t.edit)]
    if t.edit < 0:  # the track starts late (sound after a trim): nothing shown until then
        late = _to_movie(-t.edit, first.timescale)
        edits = [(late, -1), (shown - late, 0)]
    small = shown <= _U32 and abs(t.edit) < 1 << 31
    entry = ">Iihh" if small else ">Qqhh"
    elst = _full(
        b"elst",
        0 if small else 1,
        struct.pack(">I", len(edits)),
        *(struct.pack(entry, length, start, 1, 0) for length, start in edits),
    )
    minf = _box(b"minf", first.media_header, first.dinf, _stbl(t, spans, starts, base, wide))
    return _box(b"trak", bytes(tkhd), _box(b"edts", elst), _box(b"mdia", bytes(mdhd), first.hdlr, minf))


def _stbl(t: _Joined, spans: list, starts: np.ndarray, base: int, wide: bool) -> bytes:
    firsts = np.array([s for s, _ in spans], np.int64)
    offsets = t.sources - firsts[t.shots] + starts[:-1][t.shots] + base
    new_chunk = np.ones(len(offsets), bool)
    new_chunk[1:] = offsets[1:] != offsets[:-1] + t.sizes[:-1]
    chunk_starts = np.flatnonzero(new_chunk)
    per_chunk = np.diff(np.append(chunk_starts, len(offsets)))
    changes = np.flatnonzero(np.diff(per_chunk, prepend=-1))  # chunks where the samples per chunk change
    stsc = np.stack([changes + 1, per_chunk[changes], np.ones(len(changes), np.int64)], axis=1)
    parts = [_stsd(t), _full(b"stts", 0, *_runs(t.durations))]
    if t.composition.any():
        parts.append(_full(b"ctts", 0, *_runs(t.composition)))
    if t.sync is not None:
        keys = np.flatnonzero(t.sync) + 1
        parts.append(_full(b"stss", 0, struct.pack(">I", len(keys)), keys.astype(">u4").tobytes()))
    parts.append(_full(b"stsc", 0, struct.pack(">I", len(stsc)), stsc.astype(">u4").tobytes()))
    parts.append(_full(b"stsz", 0, struct.pack(">II", 0, len(t.sizes)), t.sizes.astype(">u4").tobytes()))
    chunk_offsets = offsets[chunk_starts]
    kind, width = (b"co64", ">u8") if wide else (b"stco", ">u4")
    parts.append(_full(kind, 0, struct.pack(">I", len(chunk_offsets)), chunk_offsets.astype(width).tobytes()))
    if t.first.roll is not None:
        grouping = t.first.roll[12:16]
        parts += [t.first.roll, _full(b"sbgp", 0, grouping, struct.pack(">III", 1, len(t.sizes), 1))]
    return _box(b"stbl", *parts)


def _stsd(t: _Joined) -> bytes:
    """The first shot's sample description, its stated buffer size and bitrates made true for the film."""
    stsd = bytearray(t.first.stsd)
    seconds = t.shown / t.first.timescale or 1
    mean = round(int(t.sizes.sum()) * 8 / seconds)
    for at, buffer in bitrates(t.first.stsd):
        biggest = min(int(t.sizes.max()), (1 << 8 * buffer) - 1)
        peak = max(struct.unpack_from(">I", stsd, at + buffer)[0], mean)
        stsd[at : at + buffer] = biggest.to_bytes(buffer, "big")
        struct.pack_into(">II", stsd, at + buffer, min(peak, _U32), min(mean, _U32))
    return bytes(stsd)


def _runs(values: np.ndarray) -> tuple[bytes, bytes]:
    """A run-length table (count, value) of per-sample values: its entry count and its entries."""
    changes = np.flatnonzero(np.diff(values, prepend=values[0] - 1))
    counts = np.diff(np.append(changes, len(values)))
    rows = np.stack([counts, values[changes]], axis=1)
    return struct.pack(">I", len(rows)), rows.astype(">u4").tobytes()
