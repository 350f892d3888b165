"""The sample description of an MP4 track (its stsd entry): H.264 picture or AAC sound setup, bitrates.

What `shot_source.probe` learns from a progressive MP4 without libav, and what a splice compares
between takes (`mp4_boxes` reads the boxes; this reads what one entry says).
"""

from __future__ import annotations

import struct

from studio.mp4_boxes import HEADER, Track, children

__all__ = ["bitrates", "picture", "sound"]

_CODECS = {b"avc1": "h264", b"avc3": "h264"}
_AAC_RATES = (96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350)
_LAYOUTS = {1: "mono", 2: "stereo"}


def picture(track: Track) -> tuple[str, int, int, bytes, tuple[int, int]] | None:
    """An H.264 track's codec, width, height, setup (avcC) and pixel shape (pasp); None for others."""
    kind, body = track.entry()
    if kind not in _CODECS or len(body) < 78:
        return None
    width, height = struct.unpack_from(">HH", body, 24)
    inner = {k: body[b:e] for k, b, e in children(body, 78, len(body))}
    if b"avcC" not in inner:
        return None
    shape = struct.unpack_from(">II", inner[b"pasp"]) if len(inner.get(b"pasp", b"")) >= 8 else (1, 1)
    return _CODECS[kind], width, height, inner[b"avcC"], shape


def sound(track: Track) -> tuple[str, int, str, bytes] | None:
    """An AAC track's codec, sample rate, channel layout and setup (from esds); None for others."""
    kind, body = track.entry()
    if kind != b"mp4a" or len(body) < 28 or struct.unpack_from(">H", body, 8)[0] != 0:
        return None  # QuickTime sound entries (version 1, 2) carry more fields first
    inner = {k: body[b:e] for k, b, e in children(body, 28, len(body))}
    setup = _decoder_setup(inner.get(b"esds", b""))
    if setup is None or len(setup) < 2:
        return None
    bits = int.from_bytes(setup[:4].ljust(4, b"\0"), "big")
    kind_bits, index, channels = bits >> 27, (bits >> 23) & 15, (bits >> 19) & 15
    if kind_bits == 31 or index >= len(_AAC_RATES) or channels not in _LAYOUTS:
        return None
    return "aac", _AAC_RATES[index], _LAYOUTS[channels], setup


def _decoder_setup(esds: bytes) -> bytes | None:
    """The DecoderSpecificInfo in an esds box body (MPEG-4 audio, object type 0x40), else None."""
    found = _decoder_config(esds)
    return None if found is None else found[1]


def _decoder_config(esds: bytes) -> tuple[int, bytes] | None:
    """Where the DecoderConfigDescriptor's body starts in an esds box body (MPEG-4 audio), and its
    DecoderSpecificInfo; None for anything else."""

    def descriptor(at: int) -> tuple[int, int, int]:
        tag, size, at = esds[at], 0, at + 1
        for _ in range(4):
            size = size << 7 | esds[at] & 0x7F
            at += 1
            if not esds[at - 1] & 0x80:
                break
        return tag, at, at + size

    try:
        tag, at, end = descriptor(4)
        if tag != 3:
            return None
        flags, at = esds[at + 2], at + 3
        at += 2 if flags & 0x80 else 0  # depends on another stream
        at += 1 + esds[at] if flags & 0x40 else 0  # a URL
        at += 2 if flags & 0x20 else 0  # a clock reference stream
        tag, config, end = descriptor(at)
        if tag != 4 or esds[config] != 0x40:
            return None
        tag, at, end = descriptor(config + 13)
        return (config, esds[at:end]) if tag == 5 and end <= len(esds) else None
    except IndexError:
        return None


def bitrates(stsd: bytes) -> list[tuple[int, int]]:
    """Where a sample description (whole stsd box) states its buffer size and bitrates, which differ
    take by take when the setup is the same: (offset, bytes given to the buffer size), each followed
    by the peak and mean bit/s (4 bytes each): btrt's (4-byte buffer), esds's (3-byte buffer)."""
    size, kind = HEADER.unpack_from(stsd, 16)
    skip = 28 if kind == b"mp4a" else 78  # an audio sample entry's fields, or a visual one's
    found = []
    for k, b, e in children(stsd, 24 + skip, 16 + size):
        if k == b"btrt" and e - b == 12:
            found.append((b, 4))
        elif k == b"esds":
            config = _decoder_config(stsd[b:e])
            if config is not None:  # objectType, streamType, then the buffer size
                found.append((b + config[0] + 2, 3))
    return found
