"""Board page with AppTest: ideas drawn as trees with prompt diffs and costs; rename, collapse, filter,
verdicts, and a one-click re-roll that reaches the demo gateway as a child of its take."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest
from test_pages import _app_env, _stats, _studio  # noqa: F401  (_app_env: autouse fixture)

import factories
from studio.api.request import same_model

APP = str(Path(__file__).resolve().parents[1] / "studio_frame.py")
BOARD = "app_pages/board.py"


def _app() -> AppTest:
    _studio().catalog.wait()
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(BOARD).run()
    return at


def _html(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.main.html)


_media: dict[str, str] = {}
_batch = itertools.count(1)


def _take(
    prompt: str,
    *,
    parent=None,
    relation: str | None = None,
    model: str = "kling-v3-standard",
    seed: int | None = 11,
    duration: int = 5,
    credits: int = 210,
    sweep_id: str | None = None,
    camera: str | None = None,
):
    """A completed take written straight to the library (a real short video and a real poster)."""
    lib = _studio().library
    from studio.library import NewTake

    if "video" not in _media or not lib.path(_media["video"]).exists():
        _media["video"] = lib.store_bytes(factories.mp4(1.0), ".mp4", kind="videos")
        _media["poster"] = lib.store_bytes(factories.photo(320, 180), ".jpg", kind="posters")
    n = next(_batch)
    made, _ = lib.add_batch(
        [
            NewTake(
                account="demo",
                batch_id=f"b{n}",
                submission_id=f"s{n}",
                variant_index=0,
                mode="text-to-video",
                model=model,
                prompt=prompt,
                duration_requested=duration,
                duration=duration,
                aspect_ratio="16:9",
                estimated_credits=credits,
                seed=seed,
                parent_id=parent.id if parent is not None else None,
                relation=relation,
                idea_id=parent.idea_id if parent is not None else None,
                sweep_id=sweep_id,
                camera=camera,
            )
        ]
    )
    time.sleep(0.002)  # distinct created_at: siblings and ideas have a defined order
    return lib.update(
        made[0].id,
        status="completed",
        video_path=_media["video"],
        poster_path=_media["poster"],
        job_id=f"job{n}",
        billed_credits=credits,
    )


def _family():
    """root → re-roll (new seed), root → edited prompt (lock seed) → final on Kling v3 Pro."""
    root = _take("a red fox crossing a snowy field at dusk, slow dolly", seed=11)
    reroll = _take(root.prompt, parent=root, relation="reroll", seed=77)
    edit = _take(
        "a red fox crossing a snowy field at golden hour, slow dolly",
        parent=root,
        relation="lock_seed",
        seed=11,
    )
    final = _take(
        edit.prompt, parent=edit, relation="final", model="kling-v3", duration=10, credits=884, seed=11
    )
    return root, reroll, edit, final


# --- tests ---------------------------------------------------------------------------------------
def test_an_empty_board_explains_itself_and_links_to_text_to_video():
    at = _app()
    assert not at.exception
    page = _html(at)
    assert "Your ideas grow here" in page and "tree" in page
    links = [link.proto for link in at.main.get("page_link")]
    assert [link.label for link in links] == ["Start an idea"] and links[0].page_script_hash


def test_an_idea_is_drawn_as_a_tree_with_word_diffs_changes_and_costs():
    root, reroll, edit, final = _family()
    at = _app()
    assert not at.exception, [e.value for e in at.exception]
    for take in (root, reroll, edit, final):
        assert at.main.get("button") and at.button(key=f"bopen_{take.id}")
    page = _html(at)
    assert "4</b> takes" in page and f"{210 * 3 + 884:,}</b> credits" in page  # the idea's cost
    assert "<del>dusk,</del> <ins>golden hour,</ins>" in page  # word diff of the edit
    assert "Seed 11 → 77" in page  # the re-roll's change
    assert "Model Kling v3 Standard → Kling v3" in page and "Duration 5 s → 10 s" in page
    assert f"branch {210 + 884:,} credits" in page  # the edit and its final
    # The tree: the children sit in the root's children container, the final under the edit's.
    root_kids = _container(at, f"bkids_{root.id}")
    assert _holds(root_kids, f"bopen_{reroll.id}") and _holds(root_kids, f"bopen_{final.id}")
    assert not _holds(_container(at, f"bkids_{edit.id}"), f"bopen_{reroll.id}")
    assert _holds(_container(at, f"bkids_{edit.id}"), f"bopen_{final.id}")


def _container(at: AppTest, key: str):
    found = [b for b in _blocks(at.main) if getattr(b, "key", None) == key]
    assert found, f"no container {key}"
    return found[0]


def _blocks(node):
    for child in getattr(node, "children", {}).values():
        yield child
        yield from _blocks(child)


def _holds(block, widget_key: str) -> bool:
    return any(getattr(w, "key", None) == widget_key for w in _blocks(block))


def test_prompts_and_names_are_text_never_html():
    root = _take('<img src=x onerror="alert(1)"> a <b>bold</b> fox', seed=3)
    _take(root.prompt + " <script>x()</script>", parent=root, relation="reuse", seed=4)
    _studio().library.name_idea("demo", root.idea_id, "<i>my</i> idea")
    at = _app()
    page = _html(at)
    assert "<img src=x" not in page and "<script>x()" not in page and "<i>my</i>" not in page
    assert "&lt;img src=x" in page and "&lt;script&gt;x()&lt;/script&gt;" in page
    assert "&lt;i&gt;my&lt;/i&gt; idea" in page


def test_renaming_an_idea_sticks_and_an_empty_name_goes_back_to_its_prompt():
    root, *_ = _family()
    at = _app()
    at.text_input(key=f"bname_{root.idea_id}").input("Fox in snow").run()
    at.button(key=f"bname_go_{root.idea_id}").click().run()
    assert "Fox in snow" in _html(at)
    assert _studio().library.idea_names("demo", [root.idea_id])[root.idea_id][0] == "Fox in snow"
    at.text_input(key=f"bname_{root.idea_id}").input("").run()
    at.button(key=f"bname_go_{root.idea_id}").click().run()
    assert "Fox in snow" not in _html(at)
    assert "a red fox crossing a snowy" in _html(at)


def test_collapsing_an_idea_shows_just_its_root_and_expands_again():
    root, reroll, edit, final = _family()
    at = _app()
    at.button(key=f"bfold_{root.idea_id}").click().run()
    keys = {b.key for b in at.button}
    assert f"bopen_{root.id}" in keys and f"bopen_{reroll.id}" not in keys and f"bopen_{final.id}" not in keys
    assert at.button(key=f"bfold_{root.idea_id}").label == "Expand · 3 more"
    assert _studio().library.idea_names("demo", [root.idea_id])[root.idea_id][1] is True
    at.button(key=f"bfold_{root.idea_id}").click().run()
    assert f"bopen_{final.id}" in {b.key for b in at.button}


def test_filter_by_verdict_keeps_the_ideas_with_such_a_take():
    fox, *_ = _family()
    owl = _take("an owl on a lamp post in fog", seed=5)
    lib = _studio().library
    lib.set_verdict(owl.id, "reject", ["motion"])
    at = _app()
    assert {f"bopen_{fox.id}", f"bopen_{owl.id}"} <= {b.key for b in at.button}
    at.segmented_control(key="board_filter").set_value("keep").run()
    assert not any(b.key.startswith("bopen_") for b in at.button)
    assert "No idea matches" in _html(at)
    at.segmented_control(key="board_filter").set_value("reject").run()
    keys = {b.key for b in at.button}
    assert f"bopen_{owl.id}" in keys and f"bopen_{fox.id}" not in keys
    assert "✕ Rejected · Motion" in _html(at)


def test_keep_and_reject_buttons_set_and_clear_the_verdict():
    root = _take("a lighthouse in a storm", seed=9)
    at = _app()
    assert f"bfold_{root.idea_id}" not in {b.key for b in at.button}, "one take: nothing to fold"
    at.button(key=f"bkeep_{root.id}").click().run()
    assert _studio().library.get(root.id).verdict == "keep"
    assert at.button(key=f"bkeep_{root.id}").label == "Kept"
    assert "✓ Kept" in _html(at)
    at.button(key=f"breject_{root.id}").click().run()
    assert _studio().library.get(root.id).verdict == "reject"
    at.button(key=f"breject_{root.id}").click().run()
    assert _studio().library.get(root.id).verdict is None


def test_show_more_pages_through_ideas_ten_at_a_time():
    for i in range(12):
        _take(f"idea number {i} of a dozen", seed=i + 1)
    at = _app()
    assert sum(b.key.startswith("bopen_") for b in at.button) == 10
    assert at.button(key="board_more").label == "Show more (2 left)"
    at.button(key="board_more").click().run()
    assert sum(b.key.startswith("bopen_") for b in at.button) == 12


def test_a_sweep_is_one_row_of_its_values():
    root = _take("a paper boat on a puddle", seed=1, camera=None)
    cells = [_take(root.prompt, parent=root, relation="sweep", seed=s, sweep_id="sw1") for s in (21, 22, 23)]
    at = _app()
    row = _container(at, "bsweep_sw1")
    for cell in cells:
        assert _holds(row, f"bopen_{cell.id}")
    page = _html(at)
    assert "Sweep over Seed" in page and "3 takes · <b>630</b> credits" in page
    assert "Seed 1 → 22" in page


def test_re_roll_shows_its_price_and_one_click_makes_a_child_take_at_the_gateway():
    root = _take("a hot air balloon over a canyon at sunrise", seed=11)
    at = _app()
    button = at.button(key=f"breroll_{root.id}")
    assert button.label.startswith("Re-roll · ") and "credits" in button.label
    before = _stats()["creates"]
    button.click().run()
    assert not at.exception, [e.value for e in at.exception]
    children = _studio().library.children(root.id)
    assert len(children) == 1
    child = children[0]
    assert child.relation == "reroll" and child.parent_id == root.id and child.idea_id == root.idea_id
    assert child.prompt == root.prompt and same_model(child.model, root.model)
    deadline = time.monotonic() + 30
    while _stats()["creates"] == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _stats()["creates"] == before + 1
    at.run()
    assert at.button(key=f"bopen_{child.id}")
    assert _holds(_container(at, f"bkids_{root.id}"), f"bopen_{child.id}")


def test_a_model_without_seeds_cannot_be_re_rolled_and_says_why():
    root = _take("a city at night from above", model="sora-2", seed=None, duration=4)
    at = _app()
    button = at.button(key=f"breroll_{root.id}")
    assert button.disabled and "takes no seed" in (button.help or "")


def test_open_goes_to_the_take_page():
    root = _take("a koi pond in the rain", seed=2)
    at = _app()
    at.button(key=f"bopen_{root.id}").click().run()
    assert at.query_params.get("take") in (root.id, [root.id])
    assert not at.exception


def test_a_take_still_rendering_shows_a_placeholder_and_only_finished_takes_play_on_hover():
    root = _take("a windmill at noon", seed=4)
    lib = _studio().library
    from studio.library import NewTake

    made, _ = lib.add_batch(
        [
            NewTake(
                account="demo",
                batch_id="open1",
                submission_id="open1",
                variant_index=0,
                mode="text-to-video",
                model="kling-v3-standard",
                prompt=root.prompt,
                duration_requested=5,
                duration=5,
                aspect_ratio="16:9",
                estimated_credits=150,
                seed=5,
                parent_id=root.id,
                relation="reroll",
                idea_id=root.idea_id,
            )
        ]
    )
    child = lib.update(made[0].id, status="processing", job_id="job-open")
    at = _app()
    assert f"bopen_{child.id}" in {b.key for b in at.button}
    page = _html(at)
    assert "Rendering…" in page and "150</b> credits" in page
    assert page.count('<video class="vs-hover" src="/studio-media/') == 1, "only the finished take plays"
