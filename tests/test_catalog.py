"""The model catalog: one data file, snapping, estimates."""

from __future__ import annotations

import json

import pytest

from studio import catalog
from studio.errors import InputError


def test_every_model_in_the_reference_is_in_the_data_file():
    ids = {m.id for m in catalog.all_models()}
    assert ids == {
        "sora-2", "sora-2-pro", "sora-2-remix", "kling-v3", "kling-v3-standard", "seedance-2-preview",
        "seedance-2-fast-preview", "grok-imagine", "grok-imagine-edit", "wan-2.5", "minimax",
        "ltx-2-19b-distilled",
    }  # fmt: skip


def test_sora_facts_match_the_reference():
    sora, pro, remix = (catalog.get_model(i) for i in ("sora-2", "sora-2-pro", "sora-2-remix"))
    assert sora.durations == pro.durations == (4, 8, 12, 16, 20)
    assert (sora.credits, pro.credits, remix.credits) == (100, 300, 100)
    assert sora.aspect_ratios == ("16:9", "9:16")
    assert sora.ratios_for("image-to-video") == ("16:9", "9:16", "auto")
    assert remix.inherits_source and remix.modes == ("remix",)
    assert pro.is_pro and not sora.is_pro
    assert "Sora itself" in remix.notes


def test_data_file_is_consistent():
    raw = json.loads(catalog.DATA_FILE.read_text())
    for m in raw["models"]:
        assert set(m["modes"]) <= set(catalog.MODES), m["id"]
        if not m.get("inherits_source"):
            assert m["default_duration"] in m["durations"], m["id"]
            assert m["aspect_ratios"], m["id"]


def test_models_for_a_mode_lists_only_capable_models():
    assert [m.id for m in catalog.models_for("remix")] == [
        "sora-2-remix",
        "seedance-2-preview",
        "grok-imagine-edit",
    ]
    assert all("image-to-video" in m.modes for m in catalog.models_for("image-to-video"))
    assert catalog.models_for("text-to-video")[0].id == "sora-2"


@pytest.mark.parametrize(
    ("asked", "value", "snapped"),
    [(4, 4, False), (5, 4, True), (6, 4, True), (7, 8, True), (10, 8, True), (14, 12, True),
     (30, 20, True), (0.5, 4, True), ("12", 12, False)],
)  # fmt: skip
def test_sora_durations_snap_to_the_nearest_allowed_ties_going_shorter(asked, value, snapped):
    snap = catalog.snap_duration(catalog.get_model("sora-2"), asked)
    assert (snap.value, snap.snapped) == (value, snapped)
    assert bool(snap.message) == snapped


@pytest.mark.parametrize("bad", [0, -4, float("nan"), float("inf"), "soon", None, True])
def test_nonsense_durations_are_refused_with_a_field(bad):
    with pytest.raises(InputError) as exc:
        catalog.snap_duration(catalog.get_model("sora-2"), bad)
    assert exc.value.field == "duration"


def test_remix_models_have_no_duration_to_choose():
    with pytest.raises(InputError):
        catalog.snap_duration(catalog.get_model("sora-2-remix"), 4)


def test_estimate_reads_like_the_design():
    est = catalog.estimate(catalog.get_model("sora-2"), 4)
    assert (est.per_job, est.count, est.total) == (100, 4, 400)
    assert est.text(1250) == "4 × 100 = 400 credits · balance 1,250 → 850 after"


@pytest.mark.parametrize("bad", [0, 5, -1, 2.5, "2", True])
def test_variants_outside_one_to_four_are_refused(bad):
    with pytest.raises(InputError) as exc:
        catalog.estimate(catalog.get_model("sora-2"), bad)
    assert exc.value.field == "variants"


@pytest.mark.parametrize("bad", ["sora-9", "", None, 42, "x" * 500])
def test_unknown_models_are_refused_with_a_short_message(bad):
    with pytest.raises(InputError) as exc:
        catalog.get_model(bad)
    assert exc.value.field == "model" and len(exc.value.message) < 120


def test_ratios_are_checked_per_mode():
    sora = catalog.get_model("sora-2")
    assert catalog.check_ratio(sora, "image-to-video", "auto") == "auto"
    with pytest.raises(InputError):
        catalog.check_ratio(sora, "text-to-video", "auto")
    with pytest.raises(InputError):
        catalog.check_ratio(sora, "text-to-video", "1:1")


def test_pro_and_multi_variant_submissions_need_confirmation():
    assert catalog.needs_confirmation(catalog.get_model("sora-2-pro"), 1)
    assert catalog.needs_confirmation(catalog.get_model("sora-2"), 2)
    assert not catalog.needs_confirmation(catalog.get_model("sora-2"), 1)
