"""The demo renderer shows the prompt's subjects: read into the scene description, drawn, moving, per seed."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from demo_gateway.contact_sheet import PROMPTS
from demo_gateway.render import render_image_to_video, render_text_to_video
from demo_gateway.render.actors import FIGURES
from demo_gateway.render.finisher import lift_watermark
from demo_gateway.render.kinds import Kind, Motion
from demo_gateway.render.lexicon import LEXICON
from demo_gateway.render.scene import TextScene, read_prompt
from demo_gateway.render.sprites import Light, Pen
from demo_gateway.render.subjects import find_subjects

# the first subject each of the 40 contact-sheet prompts must name (noun, kind)
EXPECTED = {
    PROMPTS[0]: ("flower", Kind.FLOWER, Motion.BLOOM),
    PROMPTS[1]: ("car", Kind.VEHICLE, Motion.DRIVE),
    PROMPTS[2]: ("hot air balloon", Kind.BALLOON, Motion.RISE),
    PROMPTS[3]: ("lighthouse", Kind.LIGHTHOUSE, Motion.SWEEP),
    PROMPTS[4]: ("hummingbird", Kind.BIRD, Motion.HOVER),
    PROMPTS[5]: ("sailboat", Kind.BOAT, Motion.SAIL),
    PROMPTS[6]: ("birds", Kind.BIRD, Motion.FLY),
    PROMPTS[7]: ("woman", Kind.PERSON, Motion.WALK),
    PROMPTS[8]: ("dogs", Kind.ANIMAL, Motion.RUN),
    PROMPTS[9]: (None, None, None),  # rain on a city: the scene itself (rain particles, wet street)
    PROMPTS[10]: ("whale", Kind.FISH, Motion.JUMP),
    PROMPTS[11]: ("horse", Kind.ANIMAL, Motion.RUN),
    PROMPTS[12]: ("astronaut", Kind.PERSON, Motion.FLOAT),
    PROMPTS[13]: ("cabin", Kind.BUILDING, Motion.STILL),
    PROMPTS[14]: ("cup", Kind.CUP, Motion.STEAM),
    PROMPTS[15]: ("windmill", Kind.WINDMILL, Motion.SPIN),
    PROMPTS[16]: ("rocket", Kind.AIRCRAFT, Motion.RISE),
    PROMPTS[17]: ("butterfly", Kind.INSECT, Motion.FLY),
    PROMPTS[18]: ("dragon", Kind.BIRD, Motion.FLY),
    PROMPTS[19]: ("pirate ship", Kind.BOAT, Motion.SAIL),
    PROMPTS[20]: ("robot", Kind.PERSON, Motion.WALK),
    PROMPTS[21]: ("cat", Kind.ANIMAL, Motion.STILL),
    PROMPTS[22]: ("airplane", Kind.AIRCRAFT, Motion.FLY),
    PROMPTS[23]: ("campfire", Kind.FIRE, Motion.FLICKER),
    PROMPTS[24]: ("deer", Kind.ANIMAL, Motion.WALK),
    PROMPTS[25]: ("bus", Kind.VEHICLE, Motion.DRIVE),
    PROMPTS[26]: ("hot air balloon", Kind.BALLOON, Motion.RISE),
    PROMPTS[27]: ("elephant", Kind.ANIMAL, Motion.WALK),
    PROMPTS[28]: ("penguin", Kind.BIRD, Motion.WALK),
    PROMPTS[29]: ("jellyfish", Kind.FISH, Motion.SWIM),
    PROMPTS[30]: ("pizza", Kind.CAKE, None),
    PROMPTS[31]: ("fox", Kind.ANIMAL, Motion.WALK),
    PROMPTS[32]: ("tree", Kind.TREE, Motion.SWAY),
    PROMPTS[33]: ("train", Kind.VEHICLE, Motion.DRIVE),
    PROMPTS[34]: ("shooting star", Kind.CELESTIAL, Motion.FALL),
    PROMPTS[35]: ("bonsai", Kind.TREE, Motion.GROW),
    PROMPTS[36]: ("owl", Kind.BIRD, Motion.FLY),
    PROMPTS[37]: ("cake", Kind.CAKE, None),
    PROMPTS[38]: ("player", Kind.PERSON, Motion.WALK),  # the musician is a person, Paris a city
    PROMPTS[39]: ("cyclist", Kind.VEHICLE, Motion.DRIVE),
}


def test_there_are_forty_varied_prompts_and_the_seed_example_comes_first():
    assert len(PROMPTS) == 40 == len(set(PROMPTS)) == len(EXPECTED)
    assert PROMPTS[0] == "A time-lapse of a flower blooming in a sunlit garden"


@pytest.mark.parametrize("prompt", PROMPTS)
def test_the_scene_description_names_the_prompts_subject(prompt):
    noun, kind, motion = EXPECTED[prompt]
    spec = read_prompt(prompt, seed=1)
    if noun is None:
        assert not spec.subjects
        return
    first = spec.subjects[0]
    assert (first.noun, first.kind) == (noun, kind)
    if motion is not None:
        assert first.motion is motion


def test_the_lexicon_covers_at_least_150_nouns_and_every_kind_can_be_drawn():
    assert len(LEXICON) >= 150
    light = Light((1.0, 1.0, 1.0), (150.0, 170.0, 190.0), 0.05, False, (255.0, 200.0, 150.0))
    variants = {(e.kind, e.variant) for e in LEXICON.values()}
    for word, entry in LEXICON.items():
        if (entry.kind, entry.variant) not in variants:
            continue
        variants.discard((entry.kind, entry.variant))
        subject = find_subjects(f"a {word}", seed=3)[0]
        fig = FIGURES[subject.kind]
        pen = Pen(fig.box, 60, light)
        fig.draw(pen, subject, 0.3, 0.8)
        alpha = np.asarray(pen.image().getchannel("A"))
        assert (alpha > 128).sum() > 40, f"{word} ({entry.kind}/{entry.variant}) drew nothing"


def test_counts_colours_and_verbs_are_read():
    (s,) = find_subjects("two red cars parked by the lake", seed=1)
    assert (s.kind, s.count, s.colour, s.motion) == (Kind.VEHICLE, 2, (200, 40, 40), Motion.STILL)
    (s,) = find_subjects("a flock of seagulls", seed=1)
    assert s.count == 5 and s.kind is Kind.BIRD
    assert find_subjects("a dense forest", seed=1) == ()
    assert find_subjects("a mysterious portal in the sky", seed=1)[0].noun == "portal"
    # a verb form ends the noun phrase: the emblem names the noun, not the verb after it
    assert find_subjects("a remix source made by Sora", seed=1)[0].noun == "source"
    assert find_subjects("a brass sextant polished by hand", seed=1)[0].noun == "sextant"
    assert find_subjects("a saxophone glowing on a stage", seed=1)[0].noun == "saxophone"
    assert find_subjects("a glowing saxophone", seed=1)[0].noun == "saxophone"
    # a noun the lexicon does not know: an emblem
    assert find_subjects("an old typewriter", seed=1)[0].kind is Kind.EMBLEM


def test_another_seed_moves_and_recolours_the_subject():
    a, b = (TextScene(read_prompt("a car on a road", s), 640, 360, 24) for s in (1, 2))
    assert a.cast is not None and b.cast is not None
    pa, pb = a.cast.actors[0], b.cast.actors[0]
    assert (pa.x, pa.facing, pa.subject.colour) != (pb.x, pb.facing, pb.subject.colour)


# --- rendered frames ------------------------------------------------------------------------------------


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def changed(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(np.int16) - b.astype(np.int16)).max(axis=-1) > 30


@pytest.mark.parametrize(
    "prompt",
    [
        "A time-lapse of a flower blooming in a sunlit garden",
        "a red car driving along a coastal road at sunset",
        "a hot air balloon rising over the valley",
        "a lighthouse at night",
        "a hummingbird hovering by a flower",
    ],
)
def test_a_decoded_frame_shows_the_subject(tmp_path, prompt):
    with_, without = tmp_path / "with.mp4", tmp_path / "without.mp4"
    render_text_to_video(prompt, 0.5, "16:9", with_, seed=4)
    render_text_to_video(prompt, 0.5, "16:9", without, seed=4, subjects=False)
    a, b = frames_of(with_)[6], frames_of(without)[6]
    mask = changed(a, b)
    assert mask.mean() > 0.004, "the subject is not in the picture"
    ys, xs = np.nonzero(mask)
    # one compact thing, not a change all over the frame
    assert (xs.max() - xs.min()) < 0.9 * a.shape[1] or (ys.max() - ys.min()) < 0.9 * a.shape[0]


def _centroid(
    prompt: str, tmp_path: Path, seconds: float = 2.0, *, bands: bool = True
) -> tuple[np.ndarray, np.ndarray, list]:
    """Where the subjects are (mean x, mean y, pixels) in the first and last frames: what differs from
    the render without them. `bands=False` leaves out rows that differ across most of the width (the
    ground the subjects stand on is a band across the frame; its centre hardly moves in a pan)."""
    with_, without = tmp_path / "m-with.mp4", tmp_path / "m-without.mp4"
    render_text_to_video(prompt, seconds, "16:9", with_, seed=5)
    render_text_to_video(prompt, seconds, "16:9", without, seed=5, subjects=False)
    fa, fb = frames_of(with_), frames_of(without)
    out = []
    for k in (0, len(fa) - 1):
        mask = changed(fa[k], fb[k])
        if not bands:
            mask[mask.mean(axis=1) > 0.5] = False
        ys, xs = np.nonzero(mask)
        out.append((float(xs.mean()), float(ys.mean()), int(xs.size)))
    return out[0], out[1], out


def test_the_car_drives_the_balloon_rises_and_the_flower_opens(tmp_path):
    first, last, _ = _centroid("a car on a road, static locked-off camera", tmp_path)
    assert abs(last[0] - first[0]) > 40  # along the road
    first, last, _ = _centroid("a hot air balloon rising, static locked-off camera", tmp_path)
    assert last[1] < first[1] - 40  # up the frame
    first, last, _ = _centroid("a flower blooming, static locked-off camera", tmp_path)
    assert last[2] - first[2] > 0.01 * 1280 * 720  # the open flower covers more (the ground is alike)


def test_renders_repeat_for_a_seed_and_differ_across_seeds(tmp_path):
    prompt = "a sailboat on a calm lake at dawn"
    a, b, again = (tmp_path / f"{k}.mp4" for k in ("a", "b", "again"))
    render_text_to_video(prompt, 0.5, "16:9", a, seed=1)
    render_text_to_video(prompt, 0.5, "16:9", b, seed=2)
    render_text_to_video(prompt, 0.5, "16:9", again, seed=1)
    assert a.read_bytes() == again.read_bytes()
    fa, fb = frames_of(a)[6], frames_of(b)[6]
    assert np.abs(fa.astype(np.int16) - fb.astype(np.int16)).mean() > 8.0


def test_audio_only_when_asked_and_it_follows_the_scene_deterministically(tmp_path):
    quiet, rain, rain2, sea = (tmp_path / f"{k}.mp4" for k in ("q", "r", "r2", "s"))
    render_text_to_video("rain on a city street", 1.0, "16:9", quiet, seed=1)
    render_text_to_video("rain on a city street", 1.0, "16:9", rain, seed=1, audio=True)
    render_text_to_video("rain on a city street", 1.0, "16:9", rain2, seed=1, audio=True)
    render_text_to_video("waves on a calm sea", 1.0, "16:9", sea, seed=1, audio=True)
    with av.open(str(quiet)) as c:
        assert not c.streams.audio
    tracks = []
    for path in (rain, sea):
        with av.open(str(path)) as c:
            assert c.streams.audio[0].codec_context.name == "aac"
            pcm = np.concatenate([f.to_ndarray() for f in c.decode(audio=0)], axis=1)
        assert pcm.shape[1] >= 48_000 * 0.9
        assert 0.01 < float(np.abs(pcm).max()) < 0.3  # audible, and quiet
        tracks.append(pcm)
    assert rain.read_bytes() == rain2.read_bytes()
    spectra = [np.abs(np.fft.rfft(t[0, :40_000])) for t in tracks]
    high = np.fft.rfftfreq(40_000, 1 / 48_000) > 3000
    hf = [float(s[high].sum() / s.sum()) for s in spectra]  # the share above 3 kHz
    assert hf[0] > hf[1]  # rain hisses more than the sea


def test_a_1080p_render_is_1920_by_1080(tmp_path):
    out = tmp_path / "hd.mp4"
    result = render_text_to_video("a red car on a road", 0.25, "16:9", out, seed=1, resolution="1080p")
    assert (result.width, result.height) == (1920, 1080)
    assert frames_of(out)[0].shape[:2] == (1080, 1920)


# --- known glitches --------------------------------------------------------------------------------------


def test_forest_trees_never_leave_a_notch_cut_to_the_ground():
    for seed in range(5):
        scene = TextScene(read_prompt("a dense forest", seed), 1280, 720, 24)
        for layer in scene.layers:
            assert layer.floor is not None
            at_ground = layer.ridge >= layer.floor - 0.5
            step = np.abs(np.diff(layer.ridge))
            walls = np.where(at_ground[:-1] | at_ground[1:], step, 0.0)
            assert float(walls.max()) < 0.12 * layer.feature  # slopes meet the ground, no vertical walls


def test_a_frame_of_a_demo_take_is_animated_with_one_watermark(tmp_path):
    take = tmp_path / "take.mp4"
    render_text_to_video("a quiet lake at dawn", 0.5, "16:9", take, seed=3)
    marked = frames_of(take)[-1]
    clean, found = lift_watermark(marked)
    assert found
    assert not lift_watermark(clean)[1]
    from PIL import Image

    paths = {}
    for name, pic in (("marked", marked), ("clean", clean)):
        Image.fromarray(pic).save(tmp_path / f"{name}.png")
        paths[name] = tmp_path / f"{name}-anim.mp4"
        render_image_to_video(
            tmp_path / f"{name}.png", "static locked-off camera", 0.25, "16:9", paths[name], seed=1
        )
    a, b = frames_of(paths["marked"])[0], frames_of(paths["clean"])[0]
    corner = (slice(int(a.shape[0] * 0.85), None), slice(int(a.shape[1] * 0.7), None))
    # without lifting, the old mark shows again beside the new one (tens of levels around its glyphs)
    assert np.abs(a[corner].astype(np.int16) - b[corner].astype(np.int16)).max() < 40


def test_comic_style_keeps_glints_on_water_as_highlights_not_ink_specks():
    from demo_gateway.render.encode import YuvFrame
    from demo_gateway.render.styles import make_style

    w, h = 320, 180
    rng = np.random.default_rng(1)
    y = np.full((h, w), 60, np.uint8)
    ys, xs = rng.integers(10, h - 10, 120), rng.integers(10, w - 10, 120)
    y[ys, xs] = 230  # glitter: single bright pixels
    y[ys, xs + 1] = 230
    y[40:140, 200:300] = 200  # and one real shape, which should get its outline
    u = np.full((h // 2, w // 2), 128, np.uint8)
    out = YuvFrame(w, h)
    make_style("comic", w, h, 1).apply(y, u, u.copy(), 0.0, out)
    ink = out.y < 30
    assert ink[:, :190].mean() < 0.002, "glints were inked as black specks"
    assert ink[35:145, 195:305].mean() > 0.05, "the shape lost its outline"


def test_subjects_move_with_the_camera(tmp_path):
    first, last, _ = _centroid("a house on a hill, camera pans left", tmp_path, bands=False)
    assert last[0] > first[0] + 30  # panning left: the house slides right with the land


def test_style_words_apply_to_the_subjects_too(tmp_path):
    out = tmp_path / "noir.mp4"
    render_text_to_video("a red car driving along a road, film noir", 0.25, "16:9", out, seed=2)
    frame = frames_of(out)[3].astype(np.int16)
    spread = (frame.max(axis=-1) - frame.min(axis=-1)).mean()
    assert spread < 6  # black and white, the red car included


def test_image_to_video_of_an_audio_model_has_a_track(tmp_path):
    from PIL import Image

    pic = tmp_path / "pic.png"
    Image.new("RGB", (640, 360), (90, 120, 160)).save(pic)
    out = tmp_path / "i2v.mp4"
    render_image_to_video(pic, "waves on the shore", 0.5, "16:9", out, seed=1, audio=True)
    with av.open(str(out)) as c:
        assert [s.codec_context.name for s in c.streams.audio] == ["aac"]


def test_a_glow_wider_than_its_sprite_fades_out_before_the_box_edges():
    """A campfire's or a lighthouse's glow reaches past its sprite's box: it must fade out inside the
    box, or the box shows on screen as a tinted square."""
    light = Light(gain=(1.0, 1.0, 1.0), haze=(0.0, 0.0, 0.0), haze_amt=0.0, night=True, rim=(0.0, 0.0, 0.0))
    pen = Pen((-0.5, -0.5, 0.5, 0.5), 200.0, light)
    pen.halo(0.0, 0.0, 1.6, (255, 140, 50), 0.6)
    alpha = np.asarray(pen.image())[..., 3].astype(int)
    h, w = alpha.shape
    assert alpha[h // 2, w // 2] > 60, "the glow should still be there"
    border = np.concatenate([alpha[0], alpha[-1], alpha[:, 0], alpha[:, -1]])
    assert border.max() <= 6, f"the glow is cut off at the sprite's box (edge alpha {border.max()})"


def test_a_moon_in_the_prompt_is_drawn_once_as_the_subject_not_again_in_the_sky():
    moonlit = TextScene(read_prompt("a black cat on a rooftop under the moon", seed=1), 320, 180, 4)
    assert any(s.variant == "moon" for s in moonlit.spec.subjects)
    assert moonlit.sun is None
    plain = TextScene(read_prompt("a black cat on a rooftop at night", seed=1), 320, 180, 4)
    assert plain.sun is not None  # without a moon subject the sky keeps its own


def test_at_night_a_dark_subject_is_rim_lit_along_its_top_edge():
    """A black cat on a night roof reads because the sky's light catches its top edge; by day, no rim."""

    def drawn(night: bool) -> np.ndarray:
        light = Light((1.0, 1.0, 1.0), (0.0, 0.0, 0.0), 0.0, night, (150.0, 170.0, 220.0))
        pen = Pen((-0.5, -0.5, 0.5, 0.5), 120.0, light)
        pen.ell(0.0, 0.0, 0.3, 0.2, (20, 20, 24, 255))
        return np.asarray(pen.image()).astype(int)

    night, day = drawn(True), drawn(False)
    cols = np.nonzero(night[..., 3].max(axis=0) > 200)[0]
    mid = int(cols.mean())
    rows = np.nonzero(night[:, mid, 3] > 200)[0]
    top, inside = night[rows[0] + 1, mid, :3], night[(rows[0] + rows[-1]) // 2, mid, :3]
    assert top[2] > inside[2] + 40, (top, inside)  # the edge facing the sky is lit, bluish
    assert abs(int(day[rows[0] + 1, mid, 2]) - int(day[(rows[0] + rows[-1]) // 2, mid, 2])) < 8
    assert (night[..., 3] == day[..., 3]).all(), "the rim light changes colour only, not the shape"
