"""Prompts are plain text everywhere they appear: never Markdown, never HTML (issue 9, finding 2).

A prompt holding an image link would otherwise be fetched by the browser (from a lineage button,
a toast, a caption…). Takes with hostile prompts are shown on every page and in every place a
prompt appears; each Markdown body and label AppTest sees must carry the prompt escaped, and each
HTML body must carry it HTML-escaped.
"""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest
from test_pages import _app, _app_env, _pending, _studio  # noqa: F401  (_app_env: autouse fixture)

import factories

HOSTILE = (
    "![x](http://127.0.0.1:9/pixel.png) **bold** <img src=x onerror=alert(1)> "
    "[link](javascript:alert(1)) :red[colour]"
)
# What the Markdown renderer would turn into an element, once backslash-escaped characters are out.
MARKDOWN_ACTIVE = re.compile(r"!\[x\]|\]\(http|\]\(javascript|\*\*bold\*\*|<img|:red\[")
HTML_ACTIVE = re.compile(r"<img src=x|<a |javascript:alert\(1\)\">")


def _markdown_bodies(at: AppTest) -> list[str]:
    """Everything AppTest shows that Streamlit renders as Markdown: bodies, labels, toasts."""
    found: list[str] = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success", "toast", "title", "subheader"):
        found += [str(e.value) for e in at.get(kind)]
    for widget in ("button", "checkbox", "toggle", "selectbox", "text_area", "text_input", "expander"):
        found += [str(getattr(w, "label", "") or "") for w in at.get(widget)]
    found += [str(w.proto.label) for w in at.get("download_button")]
    found += [str(b.proto.text) for b in at.get("progress")]
    return found


def _check(at: AppTest, where: str) -> int:
    """No prompt-made element in Markdown nor HTML; returns how many places showed the prompt."""
    assert not at.exception, [e.value for e in at.exception]
    shown = 0
    for text in _markdown_bodies(at):
        plain = re.sub(r"\\.", "", text)  # an escaped character is literal text
        assert not MARKDOWN_ACTIVE.search(plain), f"{where}: Markdown from a prompt: {text!r}"
        shown += "bold" in text
    for h in at.get("html"):
        body = h.proto.body
        assert not HTML_ACTIVE.search(body), f"{where}: HTML from a prompt: {body[:300]!r}"
        shown += "bold" in body
    return shown


def _take(prompt: str, *, mode: str = "text-to-video", source: str | None = None, status: str = "completed"):
    from studio.library import NewTake

    lib = _studio().library
    video = lib.store_bytes(factories.mp4(1.0), ".mp4", kind="videos")
    poster = lib.store_bytes(factories.photo(320, 180), ".jpg", kind="posters")
    made, _ = lib.add_batch(
        [
            NewTake(
                account="demo",
                batch_id=f"hostile-{mode}-{source}",
                submission_id=f"hostile-{mode}-{source}-{status}",
                variant_index=0,
                mode=mode,
                model="sora-2",
                prompt=prompt,
                duration_requested=4,
                duration=4,
                aspect_ratio="16:9",
                estimated_credits=100,
                source_take_id=source,
            )
        ]
    )
    return lib.update(
        made[0].id, status=status, video_path=video, poster_path=poster, job_id=f"job_{made[0].id[:6]}"
    )


@pytest.fixture
def hostile():
    root = _take(HOSTILE)
    child = _take(HOSTILE + " remixed", mode="remix", source=root.id)
    running = _pending(HOSTILE + " running")
    asking = _studio().library.update(
        _pending(HOSTILE + " asking").id,
        status="unknown",
        candidates="job_maybe_1",
        error="The gateway's answer was lost (timeout). Is it yours?",
    )
    return root, child, running, asking


def test_a_hostile_prompt_is_plain_text_on_every_page_and_in_every_place(hostile):
    root, child, running, asking = hostile
    at = _app()
    assert _check(at, "text to video + tray") >= 2, "the tray shows the running and the asking take"

    at.switch_page("app_pages/gallery.py").run()
    assert _check(at, "gallery grid") >= 4

    # The take page with its lineage: "made from this take" (child) ...
    at.query_params["take"] = root.id
    at.run()
    assert any(b.key == f"detail_kid_{child.id}" for b in at.button), "the lineage lists the child"
    assert _check(at, "take page (root)") >= 1
    # ... and "made from" (root), the recipe, the prompt as code, the delete dialog.
    at.button(key=f"detail_kid_{child.id}").click().run()
    assert any(b.key == f"detail_src_{root.id}" for b in at.button), "the lineage lists the source"
    assert any(c.value == child.prompt for c in at.code), "the prompt itself, verbatim, as text"
    assert _check(at, "take page (child)") >= 1
    at.button(key="detail_delete").click().run()
    assert _check(at, "delete dialog") >= 1
    at.button(key="detail_delete_cancel").click().run()

    # Reuse: the remix page gets the prompt back (in its field) and lists the source take.
    at.button(key="detail_reuse").click().run()
    at.switch_page("app_pages/remix.py")
    at.query_params.clear()
    at.run()
    assert at.text_area(key="remix_prompt").value == child.prompt
    posters = [h.proto.body for h in at.main.html if "vs-src-snip" in h.proto.body]
    assert any("bold" in body for body in posters), "the source posters show their prompts"
    assert _check(at, "remix page") >= 1  # as escaped HTML text

    # Reuse of the text take, and animate its last frame: both creation pages.
    at.switch_page("app_pages/gallery.py")
    at.query_params["take"] = root.id
    at.run()
    at.button(key="detail_reuse").click().run()
    at.switch_page("app_pages/text_to_video.py")
    at.query_params.clear()
    at.run()
    assert at.text_area(key="t2v_prompt").value == root.prompt
    _check(at, "text to video (reused)")
    at.switch_page("app_pages/gallery.py")
    at.query_params["take"] = root.id
    at.run()
    at.button(key="detail_animate").click().run()
    at.switch_page("app_pages/image_to_video.py")
    at.query_params.clear()
    at.run()
    assert _check(at, "image to video (animate)") >= 1

    # Compare both takes side by side.
    at.switch_page("app_pages/gallery.py")
    at.query_params["compare"] = f"{root.id},{child.id}"
    at.run()
    player = [h.proto.body for h in at.html if 'class="vc"' in h.proto.body]
    assert len(player) == 1 and player[0].count("<video ") == 2
    assert _check(at, "compare") >= 1
    assert ":red[colour]</span>" in player[0] and ":red[colour] remixed</span>" in player[0]  # both, as text

    # A toast: the running take is cancelled from the tray and its end is announced.
    at.query_params.clear()
    at.run()
    at.sidebar.button(key=f"tray_cancel_{running.id}").click().run()
    toasts = [t.value for t in at.toast]
    assert any("pixel" in t for t in toasts), toasts
    _check(at, "toast")


def test_markdown_escaping_keeps_the_prompt_readable():
    from components.style import md_escape

    escaped = md_escape(HOSTILE)
    assert re.sub(r"\\(.)", r"\1", escaped) == HOSTILE, "unescaped, it reads exactly as typed"
    assert not MARKDOWN_ACTIVE.search(re.sub(r"\\.", "", escaped))
