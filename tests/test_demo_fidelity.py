"""Through the demo gateway, a take keeps its model's promises: 1080p models render 1080p, native-audio
models carry a sound track and the others do not (real HTTP, real MP4s)."""

from __future__ import annotations

import time
from pathlib import Path

import av
import numpy as np
import pytest
import requests

from demo_gateway import DemoGateway
from demo_gateway.render import render_text_to_video
from demo_gateway.render.audio import RATE, _swell, ambient_bed

AUTH = {"Authorization": "Bearer varg_fidelity_key_0123"}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory):
    gw = DemoGateway(tmp_path_factory.mktemp("gw"), job_seconds=0.1).start()
    yield gw
    gw.stop()


def take(gw: DemoGateway, tmp: Path, model: str, duration: int) -> Path:
    body = {
        "model": model,
        "prompt": "a red car driving along a road in the rain",
        "duration": duration,
        "aspect_ratio": "16:9",
    }
    resp = requests.post(f"{gw.v2_url}/video", json=body, headers=AUTH, timeout=10)
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["id"]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        job = requests.get(f"{gw.v2_url}/jobs/{job_id}", headers=AUTH, timeout=10).json()
        if job["status"] in ("completed", "failed", "cancelled"):
            break
        time.sleep(0.05)
    assert job["status"] == "completed", job
    data = requests.get(job["output"]["outputs"][0]["url"], headers=AUTH, timeout=30).content
    out = tmp / f"{model}.mp4"
    out.write_bytes(data)
    return out


def streams(path: Path) -> tuple[tuple[int, int], list[str]]:
    with av.open(str(path)) as c:
        v = c.streams.video[0].codec_context
        return (v.width, v.height), [s.codec_context.name for s in c.streams.audio]


def test_a_native_audio_model_gets_an_ambient_track_and_a_silent_model_none(gateway, tmp_path):
    size, audio = streams(take(gateway, tmp_path, "grok_imagine", 1))
    assert size == (1280, 720) and audio == ["aac"]
    size, audio = streams(take(gateway, tmp_path, "minimax", 1))
    assert size == (1280, 720) and audio == []


def test_a_1080p_model_renders_1080p(gateway, tmp_path):
    size, audio = streams(take(gateway, tmp_path, "sora_2_pro", 4))
    assert size == (1920, 1080)
    assert audio == ["aac"]


# --- the ambient bed itself (made with one inverse FFT per band, envelopes at a control rate) ---------


def band_share(x: np.ndarray, lo: float, hi: float) -> float:
    spec = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    f = np.fft.rfftfreq(x.size, 1.0 / RATE)
    return float(spec[(f >= lo) & (f < hi)].sum() / spec.sum())


def test_the_ambient_bed_is_quiet_seeded_and_sounds_like_its_scene():
    wind = ambient_bed({"wind"}, 2.0, 7)
    assert wind.shape == (2, 2 * RATE) and wind.dtype == np.float32
    assert np.array_equal(wind, ambient_bed({"wind"}, 2.0, 7))  # deterministic for a seed
    assert not np.allclose(wind, ambient_bed({"wind"}, 2.0, 8), atol=1e-3)  # another seed, another bed
    assert not np.allclose(wind[0], wind[1], atol=1e-3)  # stereo: the two sides differ
    assert 0.09 <= float(np.abs(wind).max()) <= 0.1001  # about -20 dBFS peak
    assert float(np.abs(wind[:, :48]).max()) < 0.002 and float(np.abs(wind[:, -48:]).max()) < 0.002  # fades
    rain = ambient_bed({"wind", "rain"}, 2.0, 7)
    assert band_share(wind[0], 0, 700) > 0.65  # wind rumbles low
    assert band_share(rain[0], 1500, 20000) > 0.5  # rain hisses high
    city = ambient_bed({"wind", "city"}, 2.0, 7)
    assert band_share(city[0], 0, 300) > band_share(wind[0], 0, 300)  # city traffic adds a low drone


def test_the_beds_swell_is_smooth_between_its_control_points():
    """Envelopes are computed every few dozen samples and eased between: no steps a listener would hear
    as a buzz, and the envelope still moves as slowly as it did."""
    rng = np.random.default_rng(5)
    env = _swell(rng, RATE * 3 + 17, 1.3, 1.0)
    assert env.shape == (RATE * 3 + 17,) and env.dtype == np.float32
    assert float(np.abs(np.diff(env)).max()) < 1e-4  # a full swing over ~0.65 s, spread over every sample
    assert float(env.min()) < 0.05 and float(env.max()) > 0.95  # depth 1: it breathes all the way


def test_an_audio_render_is_deterministic_and_its_track_ends_with_the_picture(tmp_path):
    paths = [tmp_path / f"a{k}.mp4" for k in range(2)]
    for p in paths:
        render_text_to_video("waves on the sea in the rain", 1.0, "16:9", p, audio=True)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    with av.open(str(paths[0])) as c:
        a = c.streams.audio[0]
        assert a.codec_context.name == "aac" and a.codec_context.channels == 2
        samples = sum(f.samples for f in c.decode(a))
    assert abs(samples / RATE - 1.0) < 0.05
