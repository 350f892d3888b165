"""Framing for image to video: anchors and zoom pick the crop; the nearest offered ratio follows the source."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from studio import media
from studio.errors import InputError
from studio.media import Framing

RED, GREEN, BLUE, YELLOW = (220, 30, 30), (30, 200, 60), (40, 60, 220), (240, 220, 30)


def quadrants(width: int = 1600, height: int = 900) -> bytes:
    """A PNG in four coloured quadrants: red top-left, green top-right, blue bottom-left, yellow bottom-right."""
    im = Image.new("RGB", (width, height))
    half_w, half_h = width // 2, height // 2
    im.paste(RED, (0, 0, half_w, half_h))
    im.paste(GREEN, (half_w, 0, width, half_h))
    im.paste(BLUE, (0, half_h, half_w, height))
    im.paste(YELLOW, (half_w, half_h, width, height))
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def colours(data: bytes) -> set[tuple[int, int, int]]:
    """The quadrant colours a prepared image shows (each pixel snapped to the nearest of the four)."""
    im = Image.open(io.BytesIO(data)).convert("RGB").resize((64, 36))
    seen = set()
    for pixel in im.getdata():
        nearest = min((RED, GREEN, BLUE, YELLOW), key=lambda c: _distance(c, pixel))
        if _distance(nearest, pixel) < 60**2:
            seen.add(nearest)
    return seen


def _distance(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    return sum((x - y) ** 2 for x, y in zip(a, b, strict=True))


def test_framing_round_trips_through_its_text():
    frame = Framing(1.0, 0.0, 2.0)
    assert str(frame) == "1,0,2"
    assert Framing.parse(str(frame)) == frame
    assert Framing.parse(None) == Framing() and Framing.parse("").centred


@pytest.mark.parametrize("text", ["1,2", "a,b,c", "0.5,0.5,9", "-1,0,1", "0.5,0.5,0.5"])
def test_a_bad_framing_is_an_input_error_about_the_crop(text):
    with pytest.raises(InputError) as err:
        Framing.parse(text)
    assert err.value.field == "crop"


@pytest.mark.parametrize(
    ("x", "y", "colour"),
    [(0, 0, RED), (1, 0, GREEN), (0, 1, BLUE), (1, 1, YELLOW)],
)
def test_a_corner_anchor_at_zoom_2_shows_only_that_quadrant(x, y, colour):
    prep = media.prepare_image(quadrants(), "16:9", fit="crop", framing=Framing(x, y, 2.0))
    assert (prep.width, prep.height) == (1280, 720)
    assert colours(prep.data) == {colour}
    assert "2× zoom" in prep.note


def test_the_centred_widest_crop_keeps_all_four_quadrants():
    prep = media.prepare_image(quadrants(), "16:9", fit="crop", framing=Framing())
    assert colours(prep.data) == {RED, GREEN, BLUE, YELLOW}


def test_a_tall_crop_of_a_wide_image_slides_with_the_horizontal_anchor():
    data = quadrants()
    left = media.prepare_image(data, "9:16", framing=Framing(0.0, 0.5, 1.0))
    right = media.prepare_image(data, "9:16", framing=Framing(1.0, 0.5, 1.0))
    assert colours(left.data) == {RED, BLUE}
    assert colours(right.data) == {GREEN, YELLOW}
    assert left.data != right.data


def test_fit_ignores_the_framing():
    data = quadrants()
    plain = media.prepare_image(data, "9:16", fit="fit")
    framed = media.prepare_image(data, "9:16", fit="fit", framing=Framing(1.0, 1.0, 3.0))
    assert plain.data == framed.data


@pytest.mark.parametrize(
    ("size", "ratios", "expected"),
    [
        ((1080, 1920), ["16:9", "9:16", "auto"], "9:16"),
        ((1920, 1080), ["9:16", "16:9"], "16:9"),
        ((1000, 1000), ["16:9", "9:16", "1:1"], "1:1"),
        ((1200, 1000), ["16:9", "9:16", "1:1"], "1:1"),
        ((1000, 1300), ["16:9", "3:4", "9:16"], "3:4"),
        ((1000, 1000), ["auto"], "auto"),
        ((1000, 1000), ["16:9", "9:16"], "16:9"),  # a tie goes to the ratio offered first
    ],
)
def test_the_nearest_offered_ratio_follows_the_source_shape(size, ratios, expected):
    assert media.nearest_ratio(*size, ratios) == expected


def test_nearest_ratio_skips_auto_and_unknown_entries():
    assert media.nearest_ratio(720, 1280, ["auto", "weird", "16:9", "9:16"]) == "9:16"
