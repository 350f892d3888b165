"""Camera presets and the shot card: phrases put in once, cards composed, read back and swept."""

from __future__ import annotations

import json

import pytest

from studio import camera, shot_card
from studio.errors import InputError
from studio.shot_card import ShotCard, compose

PHRASES = {
    "static": "static locked-off camera",
    "dolly_in": "slow dolly in",
    "dolly_out": "slow dolly out",
    "pan_left": "camera pans left",
    "pan_right": "camera pans right",
    "orbit": "camera orbits around the subject",
    "crane_up": "crane up, rising above the scene",
    "crane_down": "crane down",
    "tilt_up": "tilt up",
    "handheld": "handheld camera, slight shake",
    "tracking": "tracking shot following the subject",
    "zoom_in": "slow zoom in",
}


def test_the_presets_are_the_exact_phrases_the_demo_renderer_knows():
    assert {p.key: p.phrase for p in camera.presets()} == PHRASES
    assert all(p.label and p.icon and p.material_icon.startswith(":material/") for p in camera.presets())


def test_get_refuses_an_unknown_key_with_a_readable_message():
    with pytest.raises(InputError, match="Unknown camera preset"):
        camera.get("barrel_roll")


@pytest.mark.parametrize("key", sorted(PHRASES))
def test_apply_puts_the_phrase_once_and_detect_finds_it_again(key):
    prompt = camera.apply("A lighthouse at dusk.", key)
    assert prompt == f"A lighthouse at dusk, {PHRASES[key]}"
    assert camera.apply(prompt, key) == prompt, "applying twice changes nothing"
    assert camera.detect(prompt) == key


def test_apply_replaces_another_preset_wherever_it_was():
    prompt = "slow dolly in, a cat on a roof, warm light"
    assert camera.apply(prompt, "orbit") == "a cat on a roof, warm light, camera orbits around the subject"
    assert camera.detect(camera.apply(prompt, "orbit")) == "orbit"


def test_apply_none_removes_any_preset_and_leaves_clean_commas():
    assert camera.apply("a cat, handheld camera, slight shake, at night", None) == "a cat, at night"
    assert camera.apply("Crane Up, Rising Above The Scene", None) == ""


def test_an_empty_prompt_becomes_just_the_phrase():
    assert camera.apply("", "tilt_up") == "tilt up"


def test_detect_ignores_words_that_only_look_like_a_phrase():
    assert camera.detect("a crane downtown at noon") is None
    assert camera.detect("a slow dolly input") is None
    assert camera.detect("") is None


def test_detect_prefers_the_longer_phrase_that_contains_a_shorter_one():
    assert camera.detect("a bird, crane up, rising above the scene") == "crane_up"


def test_compose_makes_one_natural_sentence():
    card = ShotCard("a red balloon", "rises over a harbour", "dolly_in", "golden-hour", "watercolour")
    assert (
        compose(card)
        == "A red balloon rises over a harbour, slow dolly in, golden-hour light, watercolour style."
    )


def test_compose_keeps_words_that_already_say_light_or_style_and_drops_empty_parts():
    assert compose(ShotCard(subject="a fox.", lighting="moonlight", style="anime style")) == (
        "A fox, moonlight, anime style."
    )
    assert compose(ShotCard(camera="a slow push on her face")) == "A slow push on her face."
    assert compose(ShotCard()) == "" and ShotCard().empty


def test_a_camera_field_naming_a_preset_by_label_composes_its_phrase_and_is_recorded():
    card = ShotCard(subject="a dancer", camera="Orbit")
    assert compose(card) == "A dancer, camera orbits around the subject."
    assert shot_card.camera_key(card) == "orbit"
    assert camera.detect(compose(card)) == "orbit"


def test_a_card_survives_json_and_unknown_keys_are_ignored():
    card = ShotCard("a fox", "jumps", "tilt_up", "dawn", "ukiyo-e")
    assert shot_card.from_json(shot_card.to_json(card)) == card
    raw = json.dumps({"subject": "a fox", "mood": "happy"})
    assert shot_card.from_json(raw) == ShotCard(subject="a fox")
    assert shot_card.from_json(None) == ShotCard() == shot_card.from_json("  ")


@pytest.mark.parametrize(
    "junk", ["{", "[1, 2]", '"a string"', '{"subject": 5}', '{"style": ["x"]}', "1e9999", "[" * 5000]
)
def test_junk_json_is_an_input_error_never_a_crash(junk):
    with pytest.raises(InputError) as caught:
        shot_card.from_json(junk)
    assert caught.value.field == "shot" and "shot card" in caught.value.message


def test_an_over_long_field_is_refused_naming_the_field():
    with pytest.raises(InputError, match="Lighting is 301 characters"):
        shot_card.from_json(json.dumps({"lighting": "x" * 301}))


def test_sweep_makes_one_card_per_distinct_value_of_one_field():
    card = ShotCard("a red balloon", "rises", "", "golden-hour", "watercolour")
    cards = shot_card.sweep(card, "style", "watercolour\n\n  film   noir \nWatercolour\npixel art")
    assert [c.style for c in cards] == ["watercolour", "film noir", "pixel art"]
    assert all(c.subject == "a red balloon" and c.lighting == "golden-hour" for c in cards)


@pytest.mark.parametrize(
    ("values", "says"),
    [
        ("", "none were given"),
        ("dusk\nDusk\n", "one was given"),
        ("a\nb\nc\nd\ne", "at most 4 lighting values; 5 were given"),
    ],
)
def test_a_sweep_outside_two_to_four_values_says_what_is_wrong(values, says):
    with pytest.raises(InputError, match=says) as caught:
        shot_card.sweep(ShotCard(subject="x"), "lighting", values)
    assert caught.value.field == "sweep"


def test_a_sweep_over_an_unknown_field_is_refused():
    with pytest.raises(InputError, match="Pick a field") as caught:
        shot_card.sweep(ShotCard(), "mood", ["a", "b"])
    assert caught.value.field == "sweep"
