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


def test_the_v1_estimate_is_per_job_and_reads_like_the_design():
    est = catalog.estimate(catalog.v1().get("sora-2"), 4)
    assert (est.per_job, est.count, est.total, est.exact) == (100, 4, 400, True)
    assert est.text(1250) == "4 × 100 = 400 credits · available 1,250 → 850 after"


def test_the_offline_v2_figure_is_per_second_and_marked_approx():
    sora = catalog.get_model("sora_2")
    four, twenty = catalog.estimate(sora, 1, 4), catalog.estimate(sora, 2, 20)
    assert (four.per_job, twenty.per_job, twenty.total) == (105, 525, 1050)
    assert not four.exact and twenty.text(2000) == "approx. 2 × 525 = 1,050 credits · available 2,000 → 950 after"


def test_ids_match_under_either_spelling_and_sora_is_one_rule():
    assert catalog.get_model("sora_2").id == catalog.get_model("sora-2").id == "sora-2"
    assert catalog.get_model("wan_2.5").id == "wan-2.5"
    assert catalog.made_by_sora("sora_2_pro") and catalog.made_by_sora("sora-2") and not catalog.made_by_sora("kling-v3")
    assert catalog.label_of("sora_2") == "Sora 2" and catalog.label_of("new_model_x") == "New Model X"


def test_the_default_model_is_the_first_available_of_the_data_order():
    offline = catalog.offline()
    assert offline.default("text-to-video").id == "sora-2"
    gone = offline.without("sora-2", "gone").without("sora-2-pro", "gone")
    assert gone.default("text-to-video").id == "kling-v3"
    assert gone.alternative("sora-2", "text-to-video").family != "sora"
    assert offline.default("remix").id == "sora-2-remix"


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


def test_a_demo_take_is_labelled_a_local_preview_and_downloads_under_that_name():
    from studio.catalog import download_name, take_label
    from studio.take import Take

    def take(account: str) -> Take:
        return Take(
            id="1a2b3c4d5e6f", account=account, batch_id="b", submission_id="s", variant_index=0,
            mode="text-to-video", model="sora_2", prompt="p", duration_requested=4, duration=4,
            aspect_ratio="16:9", source_take_id=None, source_file=None, source_name=None,
            estimated_credits=40, job_id=None, status="completed", error=None, created_at=1.0,
            updated_at=1.0, completed_at=None, video_path=None, poster_path=None, favourite=False,
            cache_hit=False,
        )  # fmt: skip

    demo, paid = take("demo"), take("acct_0123")
    assert take_label(demo) == "Local preview · as Sora 2"
    assert take_label(paid) == "Sora 2"
    assert download_name(demo) == "local-preview-as-sora-2-1a2b3c4d.mp4"
    assert download_name(paid) == "varg-sora-2-1a2b3c4d.mp4"
