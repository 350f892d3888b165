"""A stitched MP4 of a storyboard's chosen takes, in order and trimmed, made locally with PyAV.

Two ways, decided for the whole film by `plan`:
- **Stream copy** when every shot already matches (same codec, size, pixel format, pixel shape,
  time base, frame rate and codec setup, the storyboard's format) and every trim can be cut from
  the stored packets: it starts on a keyframe, and with B-frames its end does not split a group of
  reordered frames. Packets are copied, nothing is decoded. An MP4 holds one codec setup per
  stream, so a shot cannot be re-encoded alone and spliced in: when one trim starts between
  keyframes (takes often have a single keyframe, at 0 s), the whole film is re-encoded, and the
  plan says why.
- **Re-encode** otherwise: frames are decoded, scaled to fit the storyboard's format with black
  bars (letterbox or pillarbox), and encoded with libx264 at the takes' common frame rate (24 fps
  when they differ; frames are repeated or dropped to keep time).

A stream copy of progressive H.264 MP4s (what takes are) is spliced at box level (`mp4_splice`):
sample tables merged, media bytes copied straight from the page cache, one range per shot; any file it does not
understand falls back to copying packet by packet with PyAV, which keeps the same packets.

Audio is kept when a take has it (copied alongside in stream copy; decoded, resampled to 48 kHz
stereo AAC in re-encode, with silence for shots without sound). The file is written beside its
destination and renamed into place, so a failed or interrupted stitch leaves nothing half-made;
its index (moov) comes first, in room kept for it, so a browser can start playing early.
"""

from __future__ import annotations

import contextlib
import math
import os
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from studio import mp4_splice
from studio.errors import InputError
from studio.letterbox import Letterbox
from studio.mp4_boxes import CannotSplice
from studio.shot_source import AV_ERRORS, DEFAULT_FPS, Clip, Source, open_for_packets, probe
from studio.soundtrack import AUDIO_RATE, Soundtrack

__all__ = [
    "X264",
    "Clip",
    "Progress",
    "Source",
    "StitchMode",
    "StitchPlan",
    "StitchResult",
    "plan",
    "probe",
    "stitch",
]

Progress = Callable[[int, int], None]  # (frames done, frames in all)
X264 = {"preset": "veryfast", "crf": "20"}


class StitchMode(StrEnum):
    COPY = "copy"  # packets copied as they are
    ENCODE = "encode"  # decoded, letterboxed, encoded again


@dataclass(frozen=True)
class StitchPlan:
    mode: StitchMode
    width: int
    height: int
    fps: Fraction
    audio: bool
    reasons: tuple[str, ...]  # why the film is re-encoded (empty for stream copy)
    sources: tuple[Source, ...]
    total_frames: int


@dataclass(frozen=True)
class StitchResult:
    path: Path
    mode: StitchMode
    width: int
    height: int
    frames: int
    duration: float
    audio: bool
    reasons: tuple[str, ...]
    spliced: bool = False  # stream copied at box level (False: packet by packet, or re-encoded)


# --- planning ------------------------------------------------------------------------------------------
def plan(clips: Sequence[Clip], width: int, height: int, *, force_encode: bool = False) -> StitchPlan:
    """How the film will be made: stream copy when it can be, else a re-encode, with the reasons."""
    if not clips:
        raise InputError("Add a shot to the storyboard first.", field="storyboard")
    sources = tuple(probe(c) for c in clips)
    for i, s in enumerate(sources):
        if not s.frame_times:
            raise InputError(f"{s.label(i)}: its video has no frames.", field="video")
        if s.trim_in >= s.trim_out or not s.kept:
            raise InputError(
                f"{s.label(i)}: its trim ({s.trim_in:g}–{s.trim_out:g} s) is outside its video "
                f"({s.duration:.2f} s).",
                field="trim_in",
            )
    first = sources[0]
    reasons: list[str] = ["asked for a re-encode"] if force_encode else []
    if abs(Fraction(first.width) * first.sar * height - first.height * width) > width:  # off by > 1 px
        reasons.append(f"{first.label(0)} is {first.width}×{first.height}, not the storyboard's format")
    for i, s in enumerate(sources):
        if i and _setup(s) != _setup(first):
            reasons.append(
                f"{s.label(i)} differs from the first shot ({_describe(s)} against {_describe(first)})"
            )
        if i and s.audio != first.audio:
            reasons.append(f"{s.label(i)}'s sound differs from the first shot's")
        cut = _uncuttable(s)
        if cut:
            reasons.append(f"{s.label(i)}'s trim {cut}")
    audio = any(s.audio for s in sources)
    if reasons:
        rates = {s.fps for s in sources}
        fps = rates.pop() if len(rates) == 1 else DEFAULT_FPS
        total = sum(_slots(s, fps) for s in sources)
        return StitchPlan(StitchMode.ENCODE, width, height, fps, audio, tuple(reasons), sources, total)
    total = sum(len(s.kept) for s in sources)
    return StitchPlan(StitchMode.COPY, first.width, first.height, first.fps, audio, (), sources, total)


def _uncuttable(s: Source) -> str | None:
    """Why the trim cannot be cut from the stored packets as they are (None: it can).

    The kept frames must be a run of stored packets that starts on a keyframe: then every kept
    frame decodes from kept frames only. With B-frames a cut can fall where a kept frame needs one
    shown after the out point: that run is broken, and the shot must be decoded and encoded again."""
    half = float(1 / s.fps) / 2
    lo, hi = s.trim_in - half, s.trim_out - half
    inside = [lo <= t < hi for t, _ in s.packets]
    first = inside.index(True)
    last = len(inside) - 1 - inside[::-1].index(True)
    if not s.packets[first][1] or abs(s.packets[first][0] - s.trim_in) >= half:
        return f"starts at {s.trim_in:g} s, between keyframes"
    if not all(inside[first : last + 1]):
        return f"ends at {s.trim_out:g} s, inside a group of reordered frames (B-frames)"
    return None


def _setup(s: Source) -> tuple[Any, ...]:
    return (s.codec, s.width, s.height, s.pix_fmt, s.sar, s.time_base, s.fps, s.extradata)


def _describe(s: Source) -> str:
    return " ".join(x for x in (s.codec, f"{s.width}×{s.height}", s.pix_fmt, f"{float(s.fps):g} fps") if x)


def _slots(s: Source, fps: Fraction) -> int:
    return max(1, round((s.trim_out - s.trim_in) * fps))


# --- making it ------------------------------------------------------------------------------------------
def stitch(
    clips: Sequence[Clip],
    out_path: Path,
    width: int,
    height: int,
    *,
    progress: Progress | None = None,
    force_encode: bool = False,
) -> StitchResult:
    """Stitch the clips into `out_path` (MP4), atomically; `progress(done, total)` as frames go by."""
    made = plan(clips, width, height, force_encode=force_encode)
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
    report = progress or (lambda done, total: None)
    try:
        frames = _splice(made, tmp, report) if made.mode is StitchMode.COPY else None
        spliced = frames is not None
        if frames is None:
            try:
                frames = _write(made, tmp, report, {"moov_size": str(_index_room(made))})
            except _RoomTooSmall:
                frames = _write(made, tmp, report, {"movflags": "+faststart"})
        os.replace(tmp, out_path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    report(made.total_frames, made.total_frames)
    return StitchResult(
        out_path,
        made.mode,
        made.width,
        made.height,
        frames,
        round(float(frames / made.fps), 3),
        made.audio,
        made.reasons,
        spliced,
    )


class _RoomTooSmall(Exception):
    """The room kept at the file's start for its index was too small."""


def _write(made: StitchPlan, path: Path, report: Progress, options: dict[str, str]) -> int:
    """The film into `path` (copied or encoded, as planned); the number of frames."""
    out = av.open(str(path), "w", format="mp4", options=options)
    try:
        frames = _copy(made, out, report) if made.mode is StitchMode.COPY else _encode(made, out, report)
    except BaseException:
        with contextlib.suppress(*AV_ERRORS):
            out.close()
        raise
    try:
        out.close()  # writes the index (moov)
    except av.FFmpegError:
        if "moov_size" in options:
            raise _RoomTooSmall from None
        raise
    return frames


def _index_room(made: StitchPlan) -> int:
    """Bytes kept at the file's start for its index (moov), written there at the end: players can
    start before the whole file is fetched (as with faststart) without the muxer moving every byte
    of the film afterwards to make room. A generous bound: ≤ 48 bytes a packet (size, time, showing
    offset, keyframe, chunk offset and sampling entries), sound at ≤ one packet per 960 samples."""
    packets = made.total_frames
    if made.audio:
        seconds = sum(s.trim_out - s.trim_in for s in made.sources) + len(made.sources)
        rate = max([AUDIO_RATE] + [s.audio[1] for s in made.sources if s.audio is not None])
        packets += math.ceil(seconds * rate / 960)
    return 16_384 + 48 * packets + 4 * len(made.sources[0].extradata)


@dataclass(frozen=True)
class _Window:
    """Which packets of a shot a stream copy keeps, and how far it moves their times (stream ticks)."""

    lo: int  # video packets kept: lo <= pts <= hi
    hi: int
    shift: int
    a_lo: int  # sound kept: a_lo <= pts < a_hi
    a_hi: int
    a_shift: int


def _window(s: Source, offset: Fraction, v0: int, a0: int = 0, atb: Fraction | None = None) -> _Window:
    """The shot's window, for a film where it starts at `offset` s; v0, a0: its streams' start times
    (libav's), atb: its sound's time base (None: no sound). Worked out once per shot, in integers."""
    kept = s.kept
    start, half, tb = Fraction(kept[0]), 1 / (2 * s.fps), s.time_base
    end = start + len(kept) / s.fps
    lo = v0 + math.ceil((start - half) / tb)
    hi = v0 + math.floor((Fraction(kept[-1]) + half) / tb)
    shift = round((offset - start.limit_denominator(100000)) / tb) - v0
    if atb is None:
        return _Window(lo, hi, shift, 0, 0, 0)
    a_lo = a0 + math.ceil((start - Fraction(1, 100)) / atb)
    a_hi = a0 + math.ceil(end / atb)
    a_shift = round(offset / atb) - a0 - round(start / atb)
    return _Window(lo, hi, shift, a_lo, a_hi, a_shift)


def _splice(made: StitchPlan, path: Path, report: Progress) -> int | None:
    """The stream copy at box level (the frames), or None (and no file) when a take is not a
    progressive MP4 it understands: the packets it keeps are `_copy`'s, shot by shot."""
    try:
        cuts, offset = [], Fraction(0)
        for s in made.sources:
            movie = s.boxes
            if movie is None:
                raise CannotSplice("read with libav")
            v, a = movie.video, movie.audio if made.audio else None
            if made.audio and a is None:
                raise CannotSplice("a shot without sound")
            pts = v.pts  # libav's times; the stream starts at the first
            w = _window(s, offset, int(pts[0]), 0, Fraction(1, a.timescale) if a is not None else None)
            video = _run((pts >= w.lo) & (pts <= w.hi))
            if video[1] - video[0] != len(s.kept):
                raise CannotSplice("kept frames that are not a run of stored ones")
            audio = None
            if a is not None:  # libav's times; the stream starts at 0 (the priming the edit skips: < 0)
                apts = a.dts - a.edit
                audio = _run((apts >= w.a_lo) & (apts < w.a_hi))
            cuts.append(mp4_splice.Cut(movie, video, w.shift, audio, w.a_shift))
            offset += len(s.kept) / s.fps
        return mp4_splice.splice(cuts, path, lambda done: report(done, made.total_frames))
    except CannotSplice:
        with contextlib.suppress(OSError):
            path.unlink()
        return None


def _run(keep: Any) -> tuple[int, int]:
    """[first, stop) of the one run of True in a boolean array; CannotSplice when not one run."""
    where = keep.nonzero()[0]
    if not len(where) or int(where[-1]) - int(where[0]) + 1 != len(where):
        raise CannotSplice("kept samples that are not one run")
    return int(where[0]), int(where[-1]) + 1


def _copy(made: StitchPlan, out: Any, report: Progress) -> int:
    """Packets copied with their times shifted; the first one of each shot is a keyframe.

    Per packet only integer work: which packets to keep and how far to shift them are worked out
    once per shot, in the stream's own ticks."""
    vout = aout = None
    done, offset = 0, Fraction(0)  # the film's time where the shot starts (s)
    last_dts = -(1 << 62)
    for s in made.sources:
        with open_for_packets(s.clip.path) as src:
            vs = src.streams.video[0]
            aud = src.streams.audio[0] if made.audio else None
            if vout is None:
                vout = out.add_stream_from_template(vs)
                aout = out.add_stream_from_template(aud) if aud is not None else None
            vi = vs.index
            atb = Fraction(aud.time_base or Fraction(1, AUDIO_RATE)) if aud is not None else None
            w = _window(s, offset, vs.start_time or 0, (aud.start_time or 0) if aud is not None else 0, atb)
            lo, hi, shift, a_lo, a_hi, a_shift = w.lo, w.hi, w.shift, w.a_lo, w.a_hi, w.a_shift
            for packet in src.demux(*(x for x in (vs, aud) if x is not None)):
                pts = packet.pts
                if pts is None:
                    continue
                if packet.stream_index == vi:
                    if pts < lo or pts > hi:
                        continue
                    dts = packet.dts
                    dts = pts + shift if dts is None else dts + shift
                    last_dts = dts if dts > last_dts else last_dts + 1
                    packet.pts, packet.dts = pts + shift, last_dts
                    packet.stream = vout
                    done += 1
                    report(done, made.total_frames)
                elif aout is not None and a_lo <= pts < a_hi:
                    packet.pts = packet.dts = pts + a_shift
                    packet.stream = aout
                else:
                    continue
                out.mux_one(packet)
            offset += len(s.kept) / s.fps
    return done


def _encode(made: StitchPlan, out: Any, report: Progress) -> int:
    """Frames decoded, fitted to the format with black bars, encoded with libx264 (+ AAC sound)."""
    vout = out.add_stream("libx264", rate=made.fps)
    vout.width, vout.height, vout.pix_fmt = made.width, made.height, "yuv420p"
    vout.options = dict(X264)
    cc = vout.codec_context
    cc.colorspace, cc.color_primaries, cc.color_trc, cc.color_range = 1, 1, 1, 1  # BT.709, limited
    aout = out.add_stream("aac", rate=AUDIO_RATE, layout="stereo") if made.audio else None
    sound = Soundtrack(out, aout) if aout is not None else None
    done = 0
    for s in made.sources:
        slots = _slots(s, made.fps)
        fit = Letterbox(made.width, made.height, s.time_base, s.sar)
        for frame in _frames(s, slots, made.fps):
            frame = fit(frame)
            frame.pts = done
            frame.time_base = Fraction(1) / made.fps
            out.mux(vout.encode(frame))
            done += 1
            report(done, made.total_frames)
        if sound is not None:
            sound.add(s, round(Fraction(done) / made.fps * AUDIO_RATE))
    out.mux(vout.encode(None))
    if sound is not None:
        sound.close()
    return done


def _frames(s: Source, slots: int, fps: Fraction) -> Any:
    """The shot's frames at the film's rate: slot k shows the last frame shown by its time."""
    start = s.kept[0]
    with av.open(str(s.clip.path)) as src:
        vs = src.streams.video[0]
        vs.thread_type = "AUTO"
        v0 = vs.start_time or 0
        if start > 0.5:
            src.seek(round((start - 0.5) / s.time_base) + v0, stream=vs, backward=True)
        k, held = 0, None
        for frame in src.decode(vs):
            t = float((frame.pts - v0) * s.time_base) - start if frame.pts is not None else 0.0
            if t < -float(1 / s.fps) / 2:
                continue
            while held is not None and k < slots and k / fps < t - 1e-6:
                yield held
                k += 1
            held = frame
            if k >= slots:
                break
        while held is not None and k < slots:
            yield held
            k += 1
