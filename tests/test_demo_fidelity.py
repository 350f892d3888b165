"""Through the demo gateway, a take keeps its model's promises: 1080p models render 1080p, native-audio
models carry a sound track and the others do not (real HTTP, real MP4s)."""

from __future__ import annotations

import time
from pathlib import Path

import av
import pytest
import requests

from demo_gateway import DemoGateway

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
