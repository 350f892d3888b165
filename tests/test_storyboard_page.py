"""The Storyboards page with AppTest: create a storyboard, add takes as shots, reorder, trim (a bad value is
answered under the shot), choose a candidate, totals; continue a shot through the demo gateway (price on
the button, the new take joins the next shot); exports; "Add to storyboard" from a take page."""

from __future__ import annotations

import json
import time
import urllib.parse
from pathlib import Path

from streamlit.testing.v1 import AppTest
from test_board import _take
from test_pages import _app_env, _stats, _studio, _wait  # noqa: F401  (_app_env: autouse fixture)

import factories
from studio import media

APP = str(Path(__file__).resolve().parents[1] / "studio_frame.py")
PAGE = "app_pages/storyboards.py"


def _app(board_id: str | None = None) -> AppTest:
    _studio().catalog.wait()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if board_id:
        at.query_params["board"] = board_id
    at.switch_page(PAGE).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _html(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.main.html)


def _button(at: AppTest, key: str):
    return at.button(key=key)


def _lib():
    return _studio().library


def _board_with(n: int, name: str = "The lighthouse"):
    lib = _lib()
    board = lib.create_storyboard("demo", name)
    takes = [_take(f"shot {i}: a lighthouse at dusk, wide", duration=5, credits=100 + i) for i in range(n)]
    for t in takes:
        lib.add_shot("demo", board.id, t.id)
    return board, takes


def _order(board_id: str) -> list[str | None]:
    return [s.take_id for s in _lib().shots("demo", board_id)]


def test_a_storyboard_is_created_opened_and_listed_with_its_length_and_spend():
    at = _app()
    assert "Put your takes in order" in _html(at)
    at.text_input(key="sb_new_name").set_value("The lighthouse")
    _button(at, "sb_create").click().run()
    assert not at.exception
    (summary,) = _lib().storyboards("demo")
    assert summary.board.name == "The lighthouse"
    assert at.query_params["board"] == summary.board.id
    assert at.title[0].value == "The lighthouse"
    assert "No shots yet" in _html(at)
    _button(at, "sb_back").click().run()
    assert "board" not in at.query_params
    card = at.main.get("html")
    assert any("The lighthouse" in h.proto.body and "0</b> shots" in h.proto.body for h in card)


def test_takes_picked_on_the_page_become_shots_in_order_and_the_totals_add_up():
    board = _lib().create_storyboard("demo", "Picked")
    takes = [_take(f"take {i}", duration=5, credits=210) for i in range(3)]
    at = _app(board.id)
    at.multiselect(key=f"sb_pick_takes_{board.id}").set_value([takes[2].id, takes[0].id, takes[1].id])
    _button(at, f"sb_add_shots_{board.id}").click().run()
    assert not at.exception
    assert _order(board.id) == [takes[2].id, takes[0].id, takes[1].id]
    page = _html(at)
    assert "<b>3</b><span>shots</span>" in page
    assert "<b>15.0 s</b><span>length</span>" in page
    assert "<b>630</b><span>credits spent</span>" in page
    titles = [h.proto.body for h in at.main.html if 'class="sb-title"' in h.proto.body]
    assert [("1" in t, "Shot 1" in t) for t in titles[:1]] == [(True, True)]


def test_moving_a_shot_down_and_up_reorders_the_storyboard():
    board, takes = _board_with(3)
    shots = _lib().shots("demo", board.id)
    at = _app(board.id)
    assert _button(at, f"sb_up_{shots[0].id}").disabled
    assert _button(at, f"sb_down_{shots[2].id}").disabled
    _button(at, f"sb_down_{shots[0].id}").click().run()
    assert _order(board.id) == [takes[1].id, takes[0].id, takes[2].id]
    _button(at, f"sb_up_{shots[2].id}").click().run()
    assert _order(board.id) == [takes[1].id, takes[2].id, takes[0].id]
    assert not at.exception


def test_a_trim_past_the_take_is_refused_under_the_shot_and_a_good_one_changes_the_length():
    board, takes = _board_with(2)
    shot = _lib().shots("demo", board.id)[0]
    at = _app(board.id)
    out_key = f"sb_out_{shot.id}_{takes[0].id}"
    in_key = f"sb_in_{shot.id}_{takes[0].id}"
    at.number_input(key=out_key).set_value(9.0).run()
    errors = [e.value.replace("\\", "") for e in at.main.error]
    assert any("past the end of the take (5 s)" in e for e in errors), errors
    assert _lib().shots("demo", board.id)[0].trim_out is None, "the stored trim is unchanged"
    at.number_input(key=out_key).set_value(3.5).run()
    at.number_input(key=in_key).set_value(1.0).run()
    assert not at.main.error
    stored = _lib().shots("demo", board.id)[0]
    assert (stored.trim_in, stored.trim_out) == (1.0, 3.5)
    assert "<b>7.5 s</b><span>length</span>" in _html(at)
    at.number_input(key=in_key).set_value(3.5).run()
    assert any("must come before the out point" in e.value.replace("\\", "") for e in at.main.error)


def test_choosing_a_candidate_makes_it_the_shot_s_take():
    board, takes = _board_with(1)
    other = _take("the same lighthouse, closer", duration=4, credits=90, seed=99)
    shot = _lib().shots("demo", board.id)[0]
    _lib().add_candidate("demo", shot.id, other.id)
    at = _app(board.id)
    picker = at.get("button_group")[0]
    labels = [o.content for o in picker.proto.options]
    assert labels[1].startswith("B · Local preview · as "), labels  # demo takes say what they are
    picker.set_value(other.id).run()
    assert not at.exception
    assert _lib().shots("demo", board.id)[0].take_id == other.id
    assert "<b>4.0 s</b><span>length</span>" in _html(at)


def test_continue_from_last_frame_shows_its_price_and_its_take_joins_the_next_shot():
    lib = _lib()
    board = lib.create_storyboard("demo", "Continued")
    video = lib.store_bytes(factories.mp4(1.0), ".mp4", kind="videos")
    first = _take("a red fox trots across a snowy field", duration=5, credits=210)
    lib.update(first.id, video_path=video)
    shot = lib.add_shot("demo", board.id, first.id)
    at = _app(board.id)
    button = _button(at, f"sb_cont_last_{shot.id}")
    assert button.label.startswith("Continue from last frame · ") and "credits" in button.label
    creates = _stats()["creates"]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    shots = lib.shots("demo", board.id)
    assert len(shots) == 2 and shots[0].id == shot.id
    (new_id,) = shots[1].candidates
    made = lib.get(new_id)
    assert (made.parent_id, made.relation, made.mode, made.source_take_id) == (
        first.id,
        "continue",
        "image-to-video",
        first.id,
    )
    assert made.frame_time is not None and made.frame_time > 0.9
    _wait(lambda: _stats()["creates"] == creates + 1)
    at.run()  # a rerun places nothing twice
    assert len(lib.shots("demo", board.id)) == 2


def test_the_export_panel_stitches_a_real_mp4_and_writes_timelines_to_files():
    board, takes = _board_with(2)
    at = _app(board.id)
    _button(at, f"sb_stitch_{board.id}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    from components import storyboard_export

    path = Path(at.session_state[storyboard_export.STATE.format(board=board.id, kind="mp4")])
    assert path.parent.name == "exports" and path.is_file()
    info = media.probe_video(path)
    assert abs(info.duration - 2.0) < 0.15 and info.width * 9 == info.height * 16  # two 1 s shots, 16:9
    assert at.get("download_button"), "a download button offers the film"
    _button(at, f"sb_timeline_{board.id}").click().run()
    otio = Path(at.session_state[storyboard_export.STATE.format(board=board.id, kind="otio")])
    assert json.loads(otio.read_text())["OTIO_SCHEMA"].startswith("Timeline")
    assert len(at.get("download_button")) == 4


def test_add_to_storyboard_on_a_take_page_makes_a_new_storyboard_then_a_candidate():
    take = _take("a lighthouse beam sweeping over waves", duration=5)
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.query_params["take"] = take.id
    at.session_state["detail_storyboard"] = True  # the popover is open
    at.switch_page("app_pages/gallery.py").run()
    assert not at.exception, [e.value for e in at.exception]
    at.text_input(key="detail_storyboard_name").set_value("Beams")
    _button(at, "detail_storyboard_go").click().run()
    (summary,) = _lib().storyboards("demo")
    assert summary.board.name == "Beams" and _order(summary.board.id) == [take.id]
    second = _take("the beam again, from the sea", duration=5)
    time.sleep(0.01)
    at.query_params["take"] = second.id
    at.session_state["detail_storyboard"] = True
    at.run()
    at.radio(key="detail_storyboard_mode").set_value("candidate").run()
    _button(at, "detail_storyboard_go").click().run()
    (shot,) = _lib().shots("demo", summary.board.id)
    assert shot.candidates == (take.id, second.id) and shot.take_id == take.id


def test_continue_from_a_picked_frame_sends_that_time_and_joins_the_existing_next_shot():
    lib = _lib()
    board, takes = _board_with(2)
    shots = lib.shots("demo", board.id)
    at = _app(board.id)
    at.slider(key=f"sb_frame_{shots[0].id}").set_value(0.5).run()
    button = _button(at, f"sb_cont_frame_{shots[0].id}")
    assert button.label.startswith("Continue from 0:00.5 · ") and "credits" in button.label
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    now = lib.shots("demo", board.id)
    assert len(now) == 2, "the next shot existed: the take joins it, no new shot"
    assert now[1].take_id == takes[1].id, "a candidate joins; the chosen take stays"
    (new_id,) = [c for c in now[1].candidates if c != takes[1].id]
    made = lib.get(new_id)
    assert (made.frame_time, made.parent_id, made.relation) == (0.5, takes[0].id, "continue")


def test_the_present_page_plays_the_chosen_takes_in_order_with_their_trims():
    board, takes = _board_with(3)
    lib = _lib()
    shots = lib.shots("demo", board.id)
    lib.set_trim("demo", shots[1].id, 0.25, 0.75)
    lib.rename_shot("demo", shots[0].id, "Dawn </script><b>")
    lib.remove_candidate("demo", shots[2].id, takes[2].id)  # no take left: left out of the film
    _studio().catalog.wait()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.query_params["board"] = board.id
    at.switch_page("app_pages/present.py").run()
    assert not at.exception, [e.value for e in at.exception]
    (player,) = [h.proto.body for h in at.main.html if 'data-testid="present-player"' in h.proto.body]
    raw = player.split('class="vp-data">', 1)[1].split("</script>", 1)[0]
    data = json.loads(raw)
    assert [d["label"] for d in data] == ["Dawn </script><b>", "Shot 2"]
    assert (data[1]["a"], data[1]["b"], data[1]["len"]) == (0.25, 0.75, 0.5)
    assert all(d["src"].startswith("/studio-media/") for d in data)
    assert "1 shot without a finished take is left out." in [c.value for c in at.caption]


def test_the_gallerys_picked_takes_are_presented_whole_in_the_order_picked_with_a_wipe():
    takes = [_take(f"take {i}: <b>a fox</b> in snow", duration=5) for i in range(3)]
    picked = [takes[2].id, takes[0].id, "not-a-take", takes[2].id]  # a stranger and a repeat are dropped
    _studio().catalog.wait()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.query_params["takes"] = ",".join(picked)
    at.switch_page("app_pages/present.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [t.value for t in at.title] == ["2 takes"]
    (player,) = [h.proto.body for h in at.main.html if 'data-testid="present-player"' in h.proto.body]
    data = json.loads(player.split('class="vp-data">', 1)[1].split("</script>", 1)[0])
    assert [d["label"].split(" · ")[:2] for d in data] == [
        ["1", "take 2: <b>a fox</b> in snow"],
        ["2", "take 0: <b>a fox</b> in snow"],
    ]
    assert all((d["a"], d["b"]) == (0.0, None) for d in data), "whole takes: no trims"
    assert "<b>a fox" not in player.split('class="vp-data">', 1)[0], "a prompt is data, never markup"
    assert any("vc-cell" in h.proto.body for h in at.main.html), "the A/B wipe of the two takes"


def test_the_gallery_compare_bar_offers_to_present_the_picked_takes():
    from components import take_card

    takes = [_take(f"pick {i}", duration=5) for i in range(2)]
    _studio().catalog.wait()
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state[take_card.COMPARE] = [t.id for t in takes]
    at.run()
    at.switch_page("app_pages/gallery.py").run()
    assert not at.exception, [e.value for e in at.exception]
    links = [p for p in at.get("page_link") if "Present" in p.proto.label]
    assert links and links[0].proto.label == "Present 2"
    query = urllib.parse.parse_qs(links[0].proto.query_string)
    assert links[0].proto.page == "present" and query == {"takes": [",".join(t.id for t in takes)]}
