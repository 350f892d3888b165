"""The shot card expander (AppTest): compose into the prompt, price a sweep, confirm, submit once."""

from __future__ import annotations

import time

from streamlit.testing.v1 import AppTest
from test_pages import _app_env, _studio  # noqa: F401  (_app_env: autouse fixture)

CREATE = "POST /v2/video"


def page() -> None:
    """The text-to-video form with the shot card right under its settings row (as the page places it)."""
    from components import context, shot_builder
    from components import create_form as form
    from components.errors import Slots, guard

    @guard
    def body() -> None:
        context.start_session(0)
        slots = Slots()
        form.prompt_area("t2v", slots, mode="text-to-video")
        settings = form.settings_row("t2v", "text-to-video", slots)
        shot_builder.render("t2v", "text-to-video", settings)

    body()


def _creates() -> int:
    from components import wiring

    hub = wiring.hub()
    hub.gateway_url()
    return int(hub._gateway.stats()["requests"].get(CREATE, 0))


def _app(model: str = "kling_v3_standard") -> AppTest:
    _studio().catalog.wait()
    at = AppTest.from_function(page, default_timeout=60)
    at.session_state["t2v__store"] = {"model": model, "duration": 3}
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _input(at: AppTest, label: str):
    return next(w for w in at.text_input if w.label == label)


def _fill(at: AppTest, **values: str) -> None:
    for name, value in values.items():
        _input(at, name.title()).set_value(value)
    at.run()


def _html(at: AppTest) -> str:
    return "\n".join(h.proto.body for h in at.html)


def _button(at: AppTest, starts: str):
    return next(b for b in at.button if b.label.startswith(starts))


def test_the_card_previews_its_sentence_and_use_as_prompt_fills_the_prompt_field():
    at = _app()
    assert _button(at, "Use as prompt").disabled, "nothing to use yet"
    _fill(
        at,
        subject="a red balloon",
        action="rises over a harbour",
        lighting="golden-hour",
        style="watercolour",
    )
    at.selectbox(key="t2v_shot_camera").set_value("dolly_in").run()
    sentence = "A red balloon rises over a harbour, slow dolly in, golden-hour light, watercolour style."
    assert sentence in _html(at)
    _button(at, "Use as prompt").click().run()
    assert at.text_area(key="t2v_prompt").value == sentence
    saved = at.session_state["t2v__store"]
    assert saved["camera"] == "dolly_in" and '"subject": "a red balloon"' in saved["shot"]
    assert not at.exception


def test_a_sweep_with_one_value_says_what_is_missing_and_offers_no_button():
    at = _app()
    _fill(at, subject="a kite")
    at.text_area(key="t2v_sweep_values").set_value("watercolour\nWATERCOLOUR").run()
    assert any("one was given" in w.value for w in at.warning)
    assert not [b for b in at.button if b.label.startswith("Sweep ")]


def test_a_sweep_is_priced_exactly_and_sent_only_after_confirming_once(monkeypatch):
    at = _app()
    _fill(at, subject="a paper boat", action="drifts")
    at.text_area(key="t2v_sweep_values").set_value("watercolour\npixel art\n35 mm film").run()
    for _ in range(30):  # the gateway's exact price arrives within a few runs
        if "Price from varg" in _html(at):
            break
        time.sleep(0.2)
        at.run()
    html = _html(at)
    assert "A paper boat drifts, pixel art style." in html
    # Kling v3 Standard, 3 s: 30 credits/s → 90 each, exactly as the gateway prices it.
    assert "3 × 90 = 270 credits" in html
    before = _creates()
    _button(at, "Sweep 3 takes · 270 credits").click().run()
    assert _creates() == before, "the button only opens the confirm dialog"
    assert any(b.label == "Generate 3 takes" for b in at.button), "the dialog lists the takes and the total"
    _button(at, "Generate 3 takes").click().run()
    assert not at.exception
    lib = _studio().library
    takes = [t for t in lib.list("demo", limit=20) if t.sweep_id]
    assert len(takes) == 3 and len({t.sweep_id for t in takes}) == 1
    assert len({t.idea_id for t in takes}) == 1, "one idea: the board shows the sweep as one row"
    assert all(t.shot and '"style"' in t.shot for t in takes)
    assert len({t.seed for t in takes}) == 1, "one seed, so only the style changes"
    assert sorted(t.prompt for t in takes) == [
        "A paper boat drifts, 35 mm film.",
        "A paper boat drifts, pixel art style.",
        "A paper boat drifts, watercolour style.",
    ]
    assert any("Sweep submitted: 3 takes rendering" in s.value for s in at.success)
    # The same sweep again (a double-click that lands after the rerun) sends nothing new.
    _button(at, "Sweep 3 takes").click().run()
    _button(at, "Generate 3 takes").click().run()
    assert len([t for t in lib.list("demo", limit=20) if t.sweep_id]) == 3
    assert any("Already submitted" in i.value for i in at.info)


def test_a_sweep_over_the_session_budget_is_refused_before_any_call():
    at = _app()
    at.session_state["conn_budget"] = 100
    _fill(at, subject="a fox")
    at.text_area(key="t2v_sweep_values").set_value("dawn\ndusk").run()
    assert any("Over this session's budget" in w.value for w in at.warning)
    assert _button(at, "Sweep 2 takes").disabled
    assert not [t for t in _studio().library.list("demo", limit=20) if t.sweep_id]
