"""H.264 MP4 writing and YUV 4:2:0 frame helpers for the local renderer (BT.709, limited range)."""

from __future__ import annotations

import contextlib
import os
import queue
import secrets
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

import av
import numpy as np
from av.video.reformatter import Interpolation, VideoReformatter

FPS = 24
# libx264 settings shared by every output. MB-tree rate control is off: with it, this libx264 build
# gives different bytes for identical frames from run to run, and renders must be deterministic.
PRESET = "ultrafast"
X264_PARAMS = "mbtree=0:cabac=1:deblock=0,0"  # ultrafast, plus CABAC and deblocking back (cheap, better)
CRF = 21
_KR, _KB = 0.2126, 0.0722
_KG = 1.0 - _KR - _KB


# --- colour -------------------------------------------------------------------------------------
def rgb_to_yuv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float RGB in 0..255 (shape (..., 3)) to float Y, Cb, Cr code values (BT.709, limited range)."""
    rgb = np.asarray(rgb, dtype=np.float32)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luma = _KR * r + _KG * g + _KB * b
    y = 16.0 + luma * (219.0 / 255.0)
    cb = 128.0 + (b - luma) * (224.0 / 255.0 / (2.0 * (1.0 - _KB)))
    cr = 128.0 + (r - luma) * (224.0 / 255.0 / (2.0 * (1.0 - _KR)))
    return y, cb, cr


def luma_of(rgb: np.ndarray) -> np.ndarray:
    """The Y plane of `rgb_to_yuv` alone (float32)."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luma = np.float32(_KR) * r + np.float32(_KG) * g
    luma += np.float32(_KB) * b
    luma *= np.float32(219.0 / 255.0)
    luma += np.float32(16.0)
    return luma


def yuv_to_rgb(y: np.ndarray, cb: np.ndarray, cr: np.ndarray) -> np.ndarray:
    """The inverse of `rgb_to_yuv` (float in, float RGB 0..255 out, unclipped)."""
    luma = (np.asarray(y, np.float32) - 16.0) * (255.0 / 219.0)
    pb = (np.asarray(cb, np.float32) - 128.0) * (255.0 / 224.0)
    pr = (np.asarray(cr, np.float32) - 128.0) * (255.0 / 224.0)
    r = luma + 2.0 * (1.0 - _KR) * pr
    b = luma + 2.0 * (1.0 - _KB) * pb
    g = (luma - _KR * r - _KB * b) / _KG
    return np.stack([r, g, b], axis=-1)


def half(plane: np.ndarray) -> np.ndarray:
    """2x2 mean of a float plane with even dimensions (for 4:2:0 chroma)."""
    p = np.asarray(plane, np.float32)
    return 0.25 * (p[0::2, 0::2] + p[1::2, 0::2] + p[0::2, 1::2] + p[1::2, 1::2])


def to_u8(a: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(a), 0, 255).astype(np.uint8)


def rgb_to_planes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Float or uint8 RGB (H, W, 3) with even H, W to uint8 Y (H, W), U and V (H/2, W/2)."""
    y, cb, cr = rgb_to_yuv(rgb)
    return to_u8(y), to_u8(half(cb)), to_u8(half(cr))


class YuvFrame:
    """One yuv420p frame in a single buffer laid out as PyAV expects; `y`, `u`, `v` are views."""

    __slots__ = ("buf", "height", "u", "v", "width", "y")

    def __init__(self, width: int, height: int) -> None:
        self.width = width
        self.height = height
        self.buf = np.empty((height * 3 // 2, width), np.uint8)
        flat = self.buf.reshape(-1)
        n = width * height
        q = n // 4
        self.y = flat[:n].reshape(height, width)
        self.u = flat[n : n + q].reshape(height // 2, width // 2)
        self.v = flat[n + q : n + 2 * q].reshape(height // 2, width // 2)


def _one_thread() -> dict[str, int]:
    """`threads=1` for swscale where PyAV takes it (17+). Its default there is a pool of slice threads
    per context, set up again whenever the source size changes: for a crop that changes size every
    frame that doubles the CPU a scale costs, and the encoder thread already uses the other core."""
    try:
        VideoReformatter().reformat(av.VideoFrame(2, 2, "gray"), width=4, height=4, threads=1)
    except Exception:  # TypeError before PyAV 17; anything else: swscale's own default, still correct
        return {}
    return {"threads": 1}


SWS = _one_thread()


def scale_crop(f: YuvFrame, x0: int, y0: int, cw: int, ch: int) -> None:
    """Replace a frame in place by its crop (x0, y0, cw, ch; all even) scaled back up to the full size.

    swscale's bilinear filter does it in one call for all three planes, several times faster than
    resampling each plane with Pillow (it matters: a zooming camera does this every frame)."""
    w, h = f.width, f.height
    src = av.VideoFrame(cw, ch, "yuv420p")
    plane_view(src, 0)[:] = f.y[y0 : y0 + ch, x0 : x0 + cw]
    cy, cx = y0 // 2, x0 // 2
    plane_view(src, 1)[:] = f.u[cy : cy + ch // 2, cx : cx + cw // 2]
    plane_view(src, 2)[:] = f.v[cy : cy + ch // 2, cx : cx + cw // 2]
    out = src.reformat(width=w, height=h, format="yuv420p", interpolation="BILINEAR", **SWS)
    f.y[:] = plane_view(out, 0)
    f.u[:] = plane_view(out, 1)
    f.v[:] = plane_view(out, 2)


class PlaneScaler:
    """Scales a crop of one uint8 plane to a fixed size with swscale's bilinear filter.

    The crop snaps to whole source pixels (swscale has no sub-pixel source offset), which is fine for
    a camera move over a picture held at above the output resolution; it costs a third of Pillow's
    exact resize. Keep one per plane and size: swscale's context is reused while the crop size holds."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self._reformatter = VideoReformatter()

    def scale(self, plane: np.ndarray, box: tuple[float, float, float, float], out: np.ndarray) -> None:
        """Writes plane[box] (x0, y0, x1, y1 in source pixels, rounded) scaled to (height, width) into out."""
        ph, pw = plane.shape
        x0 = min(max(0, round(box[0])), pw - 2)
        y0 = min(max(0, round(box[1])), ph - 2)
        cw = min(max(2, round(box[2]) - x0), pw - x0)
        ch = min(max(2, round(box[3]) - y0), ph - y0)
        src = av.VideoFrame(cw, ch, "gray")
        plane_view(src, 0)[:] = plane[y0 : y0 + ch, x0 : x0 + cw]
        scaled = self._reformatter.reformat(
            src, width=self.width, height=self.height, interpolation=Interpolation.BILINEAR, **SWS
        )
        out[:] = plane_view(scaled, 0)


def plane_view(frame: av.VideoFrame, index: int) -> np.ndarray:
    """Plane `index` of a PyAV frame as a writable uint8 array view (its padding cut off)."""
    plane = frame.planes[index]
    return np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width]


# --- cancelling -----------------------------------------------------------------------------------
class RenderCancelled(Exception):
    """Raised inside a render when its cancel check says stop (the temp file is removed)."""


_scope = threading.local()


@contextlib.contextmanager
def cancel_scope(check: Callable[[], bool]) -> Iterator[None]:
    """Renders on this thread call `check()` before every frame and stop when it is true."""
    previous = getattr(_scope, "check", None)
    _scope.check = check
    try:
        yield
    finally:
        _scope.check = previous


def check_cancel() -> None:
    check = getattr(_scope, "check", None)
    if check is not None and check():
        raise RenderCancelled()


# --- writing --------------------------------------------------------------------------------------
_DONE = object()


class VideoWriter:
    """Writes frames to a temp file beside `out_path`; `close()` moves it into place atomically.

    Frames are encoded on a background thread (in order), so drawing the next frame overlaps
    with encoding the last one. `write` takes ownership of the frame: do not change it afterwards.
    """

    def __init__(
        self,
        out_path: Path,
        width: int,
        height: int,
        *,
        fps: int = FPS,
        preset: str | None = None,
        crf: int = CRF,
        audio: np.ndarray | Callable[[], np.ndarray] | None = None,
        audio_rate: int = 48_000,
    ) -> None:
        """`audio`: optional stereo float32 samples (2, n) in -1..1, written as an AAC track; or a
        function that makes them, called on the encoder thread. The track is encoded before the first
        frame arrives (while the caller is still setting up its scene) and muxed at the end."""
        if width % 2 or height % 2 or width <= 0 or height <= 0:
            raise ValueError(f"frame size must be positive and even, got {width}x{height}")
        self.out_path = Path(out_path)
        self.width = width
        self.height = height
        self.fps = fps
        self.frames = 0
        self.out_path.parent.mkdir(parents=True, exist_ok=True)
        self._tmp = self.out_path.with_name(
            f".{self.out_path.name}.{os.getpid()}.{secrets.token_hex(4)}.part"
        )
        self._closed = False
        self._error: BaseException | None = None
        self._queue: queue.Queue[object] = queue.Queue(maxsize=3)
        self._container = av.open(str(self._tmp), mode="w", format="mp4", options={"movflags": "+faststart"})
        try:
            stream = self._container.add_stream("libx264", rate=fps)
            stream.width = width
            stream.height = height
            stream.pix_fmt = "yuv420p"
            stream.options = {"preset": preset or PRESET, "crf": str(crf), "x264-params": X264_PARAMS}
            cc = stream.codec_context
            cc.thread_count = 2
            cc.colorspace = 1  # BT.709
            cc.color_primaries = 1
            cc.color_trc = 1
            cc.color_range = 1  # limited ("tv")
            self._stream = stream
            self._audio = None
            if audio is not None:
                astream = self._container.add_stream("aac", rate=audio_rate, layout="stereo")
                astream.bit_rate = 96_000
                # FFmpeg's fast AAC coder: a quarter of the default two-loop search's CPU, and an
                # ambient noise bed sounds the same through either
                astream.options = {"aac_coder": "fast"}
                self._audio = (astream, audio, audio_rate)
            self._audio_packets: list[av.Packet] = []
        except BaseException:
            self._container.close()
            self._remove_tmp()
            raise
        self._thread = threading.Thread(target=self._run, name="render-encode", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        done = False
        try:
            self._audio_packets = self._encode_audio()
            while True:
                item = self._queue.get()
                if item is _DONE:
                    done = True
                    break
                if self._error is None:
                    self._encode(item)  # type: ignore[arg-type]
            if self._error is None:
                for packet in self._stream.encode():
                    self._container.mux(packet)
                if self._audio is not None:  # no sound past the last frame
                    limit = int(round(self.frames / self.fps * self._audio[2]))
                    for packet in self._audio_packets:
                        if packet.pts is None or packet.pts < limit:
                            self._container.mux(packet)
        except BaseException as exc:  # reported by write() / close()
            self._error = exc
            while not done:  # keep taking frames so a writer never blocks on a full queue
                done = self._queue.get() is _DONE

    def _encode_audio(self) -> list[av.Packet]:
        if self._audio is None:
            return []
        stream, source, rate = self._audio
        samples = np.ascontiguousarray(source() if callable(source) else source, np.float32)
        packets: list[av.Packet] = []
        n, step = samples.shape[1], 1024
        for start in range(0, n, step):
            chunk = samples[:, start : min(n, start + step)]
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout="stereo")
            frame.sample_rate = rate
            frame.pts = start
            packets += stream.encode(frame)
        packets += stream.encode()
        return packets

    def _encode(self, item: tuple[int, YuvFrame]) -> None:
        index, frame = item
        # Copy into a frame FFmpeg allocated and reference-counts itself, rather than a zero-copy
        # frame over the numpy buffer whose lifetime the encoder cannot see.
        vf = av.VideoFrame(self.width, self.height, "yuv420p")
        for plane, src in zip(vf.planes, (frame.y, frame.u, frame.v), strict=True):
            np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, : plane.width] = src
        vf.pts = index
        for packet in self._stream.encode(vf):
            self._container.mux(packet)

    def write(self, frame: YuvFrame) -> None:
        if self._closed:
            raise ValueError("write to a closed VideoWriter")
        if self._error is not None:
            raise self._error
        check_cancel()
        self._queue.put((self.frames, frame))
        self.frames += 1

    def write_rgb(self, rgb: np.ndarray) -> None:
        f = YuvFrame(self.width, self.height)
        f.y[:], f.u[:], f.v[:] = rgb_to_planes(rgb)
        self.write(f)

    def close(self) -> Path:
        """Finish encoding and move the file into place; raises whatever the encoder raised."""
        if self._closed:
            return self.out_path
        self._closed = True
        self._queue.put(_DONE)
        self._thread.join()
        try:
            if self._error is not None:
                raise self._error
            self._container.close()
        except BaseException:
            with contextlib.suppress(Exception):
                self._container.close()
            self._remove_tmp()
            raise
        os.replace(self._tmp, self.out_path)
        return self.out_path

    def abort(self) -> None:
        """Stop, and leave nothing behind (the previous file at `out_path`, if any, is untouched)."""
        if not self._closed:
            self._closed = True
            self._error = self._error or RuntimeError("aborted")
            self._queue.put(_DONE)
            self._thread.join()
            with contextlib.suppress(Exception):
                self._container.close()
        self._remove_tmp()

    def _remove_tmp(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()
