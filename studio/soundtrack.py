"""A stitched film's sound track: each shot's sound (or silence) cut to its trim, as 48 kHz stereo AAC."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

import av
import numpy as np

if TYPE_CHECKING:
    from studio.shot_source import Source

AUDIO_RATE = 48_000
AUDIO_CHUNK = 1024  # AAC's frame size


class Soundtrack:
    """The film's sound: each shot's audio (or silence) cut to its trim, in AAC-sized frames."""

    def __init__(self, out: Any, stream: Any) -> None:
        self.out, self.stream = out, stream
        self.pending = np.zeros((2, 0), np.float32)
        self.written = 0  # samples handed to the encoder
        self.queued = 0  # samples added so far (written + pending)

    def add(self, s: Source, until: int) -> None:
        """Add the shot's sound so the film's sound lasts `until` samples (matching its pictures)."""
        need = until - self.queued
        if need <= 0:
            return
        pcm = shot_sound(s, need) if s.audio is not None else np.zeros((2, need), np.float32)
        self.pending = np.concatenate([self.pending, pcm], axis=1)
        self.queued += need
        while self.pending.shape[1] >= AUDIO_CHUNK:
            self._encode(self.pending[:, :AUDIO_CHUNK])
            self.pending = self.pending[:, AUDIO_CHUNK:]

    def _encode(self, pcm: np.ndarray) -> None:
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(pcm), format="fltp", layout="stereo")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self.written
        frame.time_base = Fraction(1, AUDIO_RATE)
        self.written += pcm.shape[1]
        self.out.mux(self.stream.encode(frame))

    def close(self) -> None:
        if self.pending.shape[1]:
            self._encode(self.pending)
        self.out.mux(self.stream.encode(None))


def shot_sound(s: Source, need: int) -> np.ndarray:
    """`need` samples of a shot's sound from its trim in point, 48 kHz stereo (silence where it ends)."""
    resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
    start = round(s.trim_in * AUDIO_RATE)
    chunks: list[np.ndarray] = []
    at: int | None = None  # the sample index of the first chunk
    got = 0
    with av.open(str(s.clip.path)) as src:
        aud = src.streams.audio[0]
        a0 = aud.start_time or 0
        tb = Fraction(aud.time_base or Fraction(1, AUDIO_RATE))
        for frame in src.decode(aud):
            for piece in resampler.resample(frame):
                if at is None:
                    at = round(float((frame.pts - a0) * tb) * AUDIO_RATE) if frame.pts is not None else 0
                chunks.append(piece.to_ndarray().reshape(2, -1))
                got += chunks[-1].shape[1]
            if at is not None and at + got >= start + need:
                break
        else:
            for piece in resampler.resample(None):
                chunks.append(piece.to_ndarray().reshape(2, -1))
    pcm = np.concatenate(chunks, axis=1) if chunks else np.zeros((2, 0), np.float32)
    first = start - (at or 0)
    if first < 0:
        pcm = np.concatenate([np.zeros((2, -first), np.float32), pcm], axis=1)
        first = 0
    pcm = pcm[:, first : first + need]
    if pcm.shape[1] < need:
        pcm = np.concatenate([pcm, np.zeros((2, need - pcm.shape[1]), np.float32)], axis=1)
    return pcm.astype(np.float32, copy=False)
