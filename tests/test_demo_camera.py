"""The demo renderer's camera presets and seeds, measured on real decoded MP4 frames (no mocks)."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import av
import numpy as np
import pytest
import requests
from PIL import Image

from demo_gateway import DemoGateway
from demo_gateway.render import (
    CameraMove,
    camera_move,
    camera_of,
    render_image_to_video,
    render_text_to_video,
)
from demo_gateway.render.scene import read_prompt

# The phrases the studio's camera presets insert (studio/data/cameras.json), and the move each asks for.
PRESETS = {
    "static locked-off camera": CameraMove.STATIC,
    "slow dolly in": CameraMove.DOLLY_IN,
    "slow dolly out": CameraMove.DOLLY_OUT,
    "camera pans left": CameraMove.PAN_LEFT,
    "camera pans right": CameraMove.PAN_RIGHT,
    "camera orbits around the subject": CameraMove.ORBIT,
    "crane up, rising above the scene": CameraMove.CRANE_UP,
    "crane down": CameraMove.CRANE_DOWN,
    "tilt up": CameraMove.TILT_UP,
    "handheld camera, slight shake": CameraMove.HANDHELD,
    "tracking shot following the subject": CameraMove.TRACKING,
    "slow zoom in": CameraMove.ZOOM_IN,
}
PHRASE = {move: phrase for phrase, move in PRESETS.items()}
LAND = "mountains and forest in daylight"  # no water, no weather: only the camera moves the picture
YELLOW = (240, 200, 40)
RED = (220, 30, 30)


# --- reading the prompt -------------------------------------------------------------------------------


@pytest.mark.parametrize(("phrase", "move"), list(PRESETS.items()))
def test_every_preset_phrase_is_read_wherever_it_sits(phrase, move):
    assert camera_of(phrase) is move
    assert camera_of(f"A lighthouse on a cliff at dusk, {phrase}") is move
    assert camera_of(f"{phrase.capitalize()}:   a  red kite over the dunes") is move
    assert read_prompt(f"snowy peaks, {phrase}", 1).camera is move


@pytest.mark.parametrize(
    ("prompt", "move"),
    [
        ("a sunrise over the hills", CameraMove.DRIFT),
        ("a quiet forest at dawn", CameraMove.DRIFT),
        ("", CameraMove.DRIFT),
        ("zoom out slowly from the city", CameraMove.ZOOM_OUT),
        ("push in on the dancer", CameraMove.DOLLY_IN),
        ("pull back to reveal the valley", CameraMove.DOLLY_OUT),
        ("the drone orbits the lighthouse", CameraMove.ORBIT),
        ("shaky hand-held footage of a street market", CameraMove.HANDHELD),
        ("pan down to the river", CameraMove.TILT_DOWN),
        ("the camera descends into the canyon", CameraMove.CRANE_DOWN),
        ("a cyclist, side-scrolling tracking shot", CameraMove.TRACKING),
        ("a bowl of fruit, locked-off", CameraMove.STATIC),
        # a preset phrase wins over free wording that comes earlier
        ("pull back to reveal the harbour, slow dolly in", CameraMove.DOLLY_IN),
        ("zoom in on the moon, camera pans right", CameraMove.PAN_RIGHT),
        # free wording: the earliest mention wins
        ("pan left, then zoom in", CameraMove.PAN_LEFT),
    ],
)
def test_free_wording_is_read_too(prompt, move):
    assert camera_of(prompt) is move


def test_the_older_move_names_still_work():
    assert camera_move("dolly in") == "in"
    assert camera_move("pan left across the room") == "left"
    assert camera_move("tilt up to the sky") == "up"
    assert camera_move("a portrait") == "kenburns"
    assert camera_move("camera orbits around the subject") == "orbit"


# --- measuring frames ---------------------------------------------------------------------------------


def grey_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="gray").astype(np.float32) for f in c.decode(c.streams.video[0])]


def rgb_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(c.streams.video[0])]


def shift_of(a: np.ndarray, b: np.ndarray) -> tuple[int, int]:
    """(dy, dx) such that b is a moved by that much (phase correlation; + is down / right)."""
    win = np.outer(np.hanning(a.shape[0]), np.hanning(a.shape[1]))
    fa = np.fft.rfft2((a - a.mean()) * win)
    fb = np.fft.rfft2((b - b.mean()) * win)
    cross = fb * np.conj(fa)
    r = np.fft.irfft2(cross / (np.abs(cross) + 1e-9), s=a.shape)
    dy, dx = np.unravel_index(int(np.argmax(r)), r.shape)
    if dy > a.shape[0] // 2:
        dy -= a.shape[0]
    if dx > a.shape[1] // 2:
        dx -= a.shape[1]
    return int(dy), int(dx)


def travel(frames: list[np.ndarray], top: float, bottom: float) -> tuple[int, int]:
    """How far a band's content travels over the clip: frame-to-frame shifts, summed (each stays small)."""
    steps = [
        shift_of(band(a, top, bottom), band(b, top, bottom)) for a, b in zip(frames, frames[1:], strict=False)
    ]
    return sum(d[0] for d in steps), sum(d[1] for d in steps)


def band(frame: np.ndarray, top: float, bottom: float) -> np.ndarray:
    h = frame.shape[0]
    return frame[int(h * top) : int(h * bottom), :]


def zoom_between(a: np.ndarray, b: np.ndarray) -> float:
    """How much b is magnified about the centre against a (best of candidates 1..1.4), upper half only."""
    h, w = a.shape
    rows = slice(int(h * 0.08), int(h * 0.5))
    cols = slice(int(w * 0.1), int(w * 0.9))
    best = (float("inf"), 1.0)
    for s in np.arange(1.0, 1.41, 0.02):
        cw, ch = w / s, h / s
        box = ((w - cw) / 2, (h - ch) / 2, (w + cw) / 2, (h + ch) / 2)
        guess = np.asarray(Image.fromarray(a, "F").resize((w, h), Image.Resampling.BILINEAR, box=box))
        err = float(np.abs(guess[rows, cols] - b[rows, cols]).mean())
        best = min(best, (err, float(s)))
    return best[1]


def mad(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean())


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("camera")


@pytest.fixture(scope="module")
def text_clip(work: Path):
    made: dict[CameraMove, list[np.ndarray]] = {}

    def clip(move: CameraMove) -> list[np.ndarray]:
        if move not in made:
            prompt = LAND if move is CameraMove.DRIFT else f"{LAND}, {PHRASE[move]}"
            out = work / f"text-{move.value}.mp4"
            render_text_to_video(prompt, 1.0, "16:9", out, seed=11)
            made[move] = grey_frames(out)
        return made[move]

    return clip


# --- text to video: every preset moves the scene its own way -------------------------------------------


def test_text_static_camera_holds_still(text_clip):
    frames = text_clip(CameraMove.STATIC)
    assert max(mad(a, b) for a, b in zip(frames, frames[1:], strict=False)) < 0.8  # encoder noise only
    assert mad(frames[0], frames[-1]) < 1.0
    drift = text_clip(CameraMove.DRIFT)  # while a prompt without a camera drifts
    assert mad(drift[0], drift[-1]) > 3.0


@pytest.mark.parametrize(("move", "sign"), [(CameraMove.PAN_LEFT, 1), (CameraMove.PAN_RIGHT, -1)])
def test_text_pans_slide_the_whole_scene_the_right_way(text_clip, move, sign):
    frames = text_clip(move)
    far = travel(frames, 0.3, 0.6)
    near = travel(frames, 0.75, 0.95)
    # panning left turns the camera left: the picture slides right, far and near almost alike
    assert far[1] * sign > 30 and near[1] * sign > 30
    assert abs(near[1] - far[1]) < 0.5 * abs(near[1])
    assert abs(far[0]) <= 2


def test_text_tracking_travels_steadily_with_strong_parallax(text_clip):
    frames = text_clip(CameraMove.TRACKING)
    near = travel(frames, 0.75, 0.95)[1]
    far = travel(frames, 0.3, 0.6)[1]
    assert abs(near) > 40 and abs(near) > 2.5 * abs(far)
    # steady: the first and the second half of the clip travel about as far (no ease in or out)
    mid = len(frames) // 2
    first = travel(frames[: mid + 1], 0.75, 0.95)[1]
    second = travel(frames[mid:], 0.75, 0.95)[1]
    assert first * near > 0 and second * near > 0
    assert 0.6 < first / second < 1.6


def test_text_orbit_swings_near_and_far_opposite_ways(text_clip):
    frames = text_clip(CameraMove.ORBIT)
    near = travel(frames, 0.8, 0.95)[1]
    sky = travel(frames, 0.02, 0.3)[1]
    assert abs(near) > 30 and abs(sky) > 5
    assert near * sky < 0  # round a subject: what is behind it goes the other way
    mid = len(frames) // 2
    assert zoom_between(frames[0], frames[mid]) > 1.0  # and the view swells a little on the way


@pytest.mark.parametrize("move", [CameraMove.DOLLY_IN, CameraMove.ZOOM_IN])
def test_text_dolly_and_zoom_in_magnify_the_centre(text_clip, move):
    frames = text_clip(move)
    assert zoom_between(frames[0], frames[-1]) >= 1.15
    assert zoom_between(frames[0], frames[len(frames) // 2]) > 1.03


def test_text_dolly_out_shrinks_the_centre(text_clip):
    frames = text_clip(CameraMove.DOLLY_OUT)
    assert zoom_between(frames[-1], frames[0]) >= 1.15  # the first frame is a close-up of the last


def test_text_dolly_in_has_parallax(text_clip):
    frames = text_clip(CameraMove.DOLLY_IN)
    first, last = frames[0], frames[-1]
    h, w = first.shape
    # zoom the first frame as much as the far scene grew; the near ground has come further down than that
    s = zoom_between(first, last)
    box = ((w - w / s) / 2, (h - h / s) / 2, (w + w / s) / 2, (h + h / s) / 2)
    zoomed = np.asarray(Image.fromarray(first, "F").resize((w, h), Image.Resampling.BILINEAR, box=box))
    extra = shift_of(band(zoomed, 0.6, 0.95), band(last, 0.6, 0.95))[0]
    assert extra > 0.015 * h
    plain = text_clip(CameraMove.ZOOM_IN)  # a plain zoom has no such parallax
    s = zoom_between(plain[0], plain[-1])
    box = ((w - w / s) / 2, (h - h / s) / 2, (w + w / s) / 2, (h + h / s) / 2)
    zoomed = np.asarray(Image.fromarray(plain[0], "F").resize((w, h), Image.Resampling.BILINEAR, box=box))
    assert abs(shift_of(band(zoomed, 0.6, 0.95), band(plain[-1], 0.6, 0.95))[0]) <= 3


@pytest.mark.parametrize(("move", "sign"), [(CameraMove.CRANE_UP, 1), (CameraMove.CRANE_DOWN, -1)])
def test_text_crane_moves_the_scene_vertically_with_parallax(text_clip, move, sign):
    frames = text_clip(move)
    sky = travel(frames, 0.05, 0.4)[0]
    near = travel(frames, 0.6, 0.95)[0]
    # rising: the scene sinks in the frame, the near ground most
    assert sky * sign > 10
    assert near * sign > sky * sign + 20


def test_text_tilt_up_moves_everything_down_alike(text_clip):
    frames = text_clip(CameraMove.TILT_UP)
    sky = travel(frames, 0.05, 0.4)
    land = travel(frames, 0.55, 0.9)
    assert sky[0] > 30 and abs(land[0] - sky[0]) <= 4
    assert abs(sky[1]) <= 2


def test_text_handheld_wobbles_a_little(text_clip):
    frames = text_clip(CameraMove.HANDHELD)
    shifts = np.array([shift_of(band(frames[0], 0.1, 0.9), band(f, 0.1, 0.9)) for f in frames])
    size = np.abs(shifts).max()
    assert 2 <= size <= 24  # small...
    assert np.ptp(shifts[:, 1]) >= 2 and np.ptp(shifts[:, 0]) >= 2  # ...in both directions...
    steps = np.abs(np.diff(shifts, axis=0)).max()
    assert steps <= 6  # ...and smooth, not a jump cut
    # it wanders back and forth rather than travelling one way
    moves = np.diff(shifts, axis=0)
    assert (moves > 0).any(axis=0).all() and (moves < 0).any(axis=0).any()


@pytest.mark.parametrize("move", [CameraMove.HANDHELD, CameraMove.ORBIT, CameraMove.CRANE_UP])
def test_text_camera_moves_are_deterministic(work, move):
    outs = [work / f"det-{move.value}-{k}.mp4" for k in range(2)]
    for out in outs:
        render_text_to_video(f"{LAND}, {PHRASE[move]}", 0.5, "16:9", out, seed=5)
    assert outs[0].read_bytes() == outs[1].read_bytes()


# --- image to video: the same presets over a still -----------------------------------------------------


def photo_file(path: Path) -> Path:
    """Smooth colour field, a yellow disc in the centre, a red marker left of it."""
    w, h = 1200, 800
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack(
        [60 + 40 * np.sin(xx / 90), 90 + 50 * np.cos(yy / 70), 140 + 60 * np.sin((xx + yy) / 120)], axis=-1
    )
    img[(xx - w / 2) ** 2 + (yy - h / 2) ** 2 < (min(w, h) / 8) ** 2] = YELLOW
    img[int(h * 0.45) : int(h * 0.55), int(w * 0.3) : int(w * 0.34)] = RED
    Image.fromarray(np.clip(img, 0, 255).astype(np.uint8)).save(path)
    return path


def marker(frame: np.ndarray, colour: tuple[int, int, int]) -> tuple[float, float, float]:
    """(x, y, share of the frame) of a flat colour."""
    d = np.abs(frame.astype(np.int16) - np.array(colour, np.int16)).max(axis=-1)
    ys, xs = np.nonzero(d < 40)
    assert xs.size, "marker not visible"
    return float(xs.mean()), float(ys.mean()), xs.size / d.size


@pytest.fixture(scope="module")
def image_clip(work: Path):
    photo = photo_file(work / "photo.png")
    made: dict[CameraMove, list[np.ndarray]] = {}

    def clip(move: CameraMove) -> list[np.ndarray]:
        if move not in made:
            out = work / f"image-{move.value}.mp4"
            prompt = "a still life" if move is CameraMove.DRIFT else PHRASE[move]
            render_image_to_video(photo, prompt, 1.0, "16:9", out, seed=2)
            made[move] = rgb_frames(out)
        return made[move]

    return clip


def test_image_static_camera_holds_still(image_clip):
    frames = image_clip(CameraMove.STATIC)
    assert max(mad(a, b) for a, b in zip(frames, frames[1:], strict=False)) < 0.8  # encoder noise only
    drift = image_clip(CameraMove.DRIFT)  # while a prompt without a camera gets a Ken Burns
    assert mad(drift[0], drift[-1]) > 3.0


@pytest.mark.parametrize(
    ("move", "axis", "sign"),
    [
        (CameraMove.PAN_LEFT, 0, 1),  # the picture slides right
        (CameraMove.PAN_RIGHT, 0, -1),
        (CameraMove.CRANE_UP, 1, 1),  # the picture sinks
        (CameraMove.TILT_UP, 1, 1),
        (CameraMove.CRANE_DOWN, 1, -1),
    ],
)
def test_image_travel_moves_the_picture_the_right_way(image_clip, move, axis, sign):
    frames = image_clip(move)
    moved = marker(frames[-1], RED)[axis] - marker(frames[0], RED)[axis]
    assert moved * sign > 15


def test_image_tracking_travels_sideways_steadily(image_clip):
    frames = image_clip(CameraMove.TRACKING)
    xs = [marker(f, RED)[0] for f in frames]
    total = xs[-1] - xs[0]
    assert abs(total) > 30
    half = xs[len(xs) // 2] - xs[0]
    assert 0.35 < half / total < 0.65  # linear, not eased


@pytest.mark.parametrize(
    ("move", "grow"), [(CameraMove.DOLLY_IN, True), (CameraMove.ZOOM_IN, True), (CameraMove.DOLLY_OUT, False)]
)
def test_image_dolly_and_zoom_change_the_subject_size(image_clip, move, grow):
    frames = image_clip(move)
    first, last = marker(frames[0], YELLOW)[2], marker(frames[-1], YELLOW)[2]
    assert (last > first * 1.3) if grow else (first > last * 1.3)


def test_image_orbit_swings_sideways_and_swells(image_clip):
    frames = image_clip(CameraMove.ORBIT)
    first, mid, last = (marker(frames[k], YELLOW) for k in (0, len(frames) // 2, -1))
    assert abs(last[0] - first[0]) > 30
    assert mid[2] > 1.04 * min(first[2], last[2])


def test_image_handheld_wobbles_a_little(image_clip):
    frames = image_clip(CameraMove.HANDHELD)
    pos = np.array([marker(f, RED)[:2] for f in frames])
    travel = pos - pos[0]
    assert 1.5 <= np.abs(travel).max() <= 20
    assert np.ptp(pos[:, 0]) >= 1.5 and np.ptp(pos[:, 1]) >= 1.0
    assert np.abs(np.diff(pos, axis=0)).max() <= 5


# --- seeds ----------------------------------------------------------------------------------------------


def middle(path: Path) -> np.ndarray:
    frames = rgb_frames(path)
    return frames[len(frames) // 2]


@pytest.mark.parametrize("prompt", ["snowy mountains at dawn", f"{LAND}, slow dolly in", "a quiet lake"])
def test_text_seeds_make_different_takes_and_a_seed_repeats_exactly(work, prompt):
    tag = hashlib.sha256(prompt.encode()).hexdigest()[:8]
    a, b, again = (work / f"seed-{tag}-{k}.mp4" for k in ("a", "b", "again"))
    render_text_to_video(prompt, 0.5, "16:9", a, seed=1)
    render_text_to_video(prompt, 0.5, "16:9", b, seed=2)
    render_text_to_video(prompt, 0.5, "16:9", again, seed=1)
    assert mad(middle(a), middle(b)) > 8.0
    assert a.read_bytes() == again.read_bytes()


@pytest.mark.parametrize(
    "prompt", ["a portrait", "slow zoom in", "static locked-off camera", "camera pans left", "tilt up"]
)
def test_image_seeds_make_different_takes_and_a_seed_repeats_exactly(work, prompt):
    photo = photo_file(work / "seed-photo.png")
    tag = hashlib.sha256(prompt.encode()).hexdigest()[:8]
    a, b, again = (work / f"iseed-{tag}-{k}.mp4" for k in ("a", "b", "again"))
    render_image_to_video(photo, prompt, 0.5, "16:9", a, seed=1)
    render_image_to_video(photo, prompt, 0.5, "16:9", b, seed=2)
    render_image_to_video(photo, prompt, 0.5, "16:9", again, seed=1)
    assert mad(middle(a), middle(b)) > 4.0
    assert a.read_bytes() == again.read_bytes()


# --- through the gateway: what the studio gets in demo mode --------------------------------------------


def test_the_gateway_renders_the_preset_and_the_seed_it_is_sent(tmp_path: Path):
    auth = {"Authorization": "Bearer varg_camera_key_0123"}
    gw = DemoGateway(tmp_path / "gw", job_seconds=0.2).start()
    try:

        def video(seed: int) -> Path:
            body = {
                "model": "minimax",
                "prompt": f"{LAND}, camera pans left",
                "duration": 1,
                "aspect_ratio": "16:9",
                "seed": seed,
            }
            resp = requests.post(f"{gw.v2_url}/video", json=body, headers=auth, timeout=10)
            assert resp.status_code == 202, resp.text
            job_id = resp.json()["id"]
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                job = requests.get(f"{gw.v2_url}/jobs/{job_id}", headers=auth, timeout=10).json()
                if job["status"] in ("completed", "failed", "cancelled"):
                    break
                time.sleep(0.05)
            assert job["status"] == "completed", job
            data = requests.get(job["output"]["outputs"][0]["url"], headers=auth, timeout=30).content
            out = tmp_path / f"gw-{seed}-{job_id}.mp4"
            out.write_bytes(data)
            return out

        one, two, one_again = video(1), video(2), video(1)
        frames = grey_frames(one)
        assert travel(frames, 0.3, 0.6)[1] > 30  # panning left: the picture slides right
        assert mad(middle(one), middle(two)) > 8.0
        assert one.read_bytes() == one_again.read_bytes()
    finally:
        gw.stop()
