"""Compare 2–4 takes side by side with one play / pause / seek for all of them.

Media serving: each video is an `st.video`, so Streamlit's own media endpoint serves it (same
origin as the page, HTTP Range for seeking, works when the studio is opened from another
machine, no extra port or thread). A small script in an `st.html` block (JavaScript enabled;
no user text in it) finds those <video> elements inside this view's keyed container and drives
them together: the longest take is the clock, the others follow it.
"""

from __future__ import annotations

import uuid

import streamlit as st

from components import take_card
from components.style import esc, snippet, take_meta

CONTAINER = "cmp_videos"

_SCRIPT = """
<div class="vs-cmp" id="__ID__" data-testid="compare-controls">
  <button type="button" class="vs-cmp-play">&#9654; Play all</button>
  <input type="range" class="vs-cmp-seek" min="0" max="1000" value="0" aria-label="Seek all">
  <span class="vs-cmp-time">0:00 / 0:00</span>
</div>
<script>
(function () {
  var root = document.getElementById("__ID__");
  if (!root || root.dataset.ready) { return; }
  root.dataset.ready = "1";
  var btn = root.querySelector(".vs-cmp-play");
  var seek = root.querySelector(".vs-cmp-seek");
  var label = root.querySelector(".vs-cmp-time");
  var seeking = false;
  function vids() {
    return Array.prototype.slice.call(document.querySelectorAll(".st-key-__BOX__ video"));
  }
  function lead() {
    var v = vids(), best = v[0];
    v.forEach(function (x) { if ((x.duration || 0) > ((best && best.duration) || 0)) { best = x; } });
    return best;
  }
  function fmt(t) {
    t = Math.max(0, t || 0);
    var m = Math.floor(t / 60), s = Math.floor(t % 60);
    return m + ":" + (s < 10 ? "0" : "") + s;
  }
  function playing() { return vids().some(function (x) { return !x.paused && !x.ended; }); }
  btn.addEventListener("click", function () {
    var v = vids(), l = lead();
    if (!l) { return; }
    if (playing()) { v.forEach(function (x) { x.pause(); }); return; }
    var t = (l.ended || l.currentTime >= (l.duration || 0) - 0.05) ? 0 : l.currentTime;
    v.forEach(function (x) {
      x.muted = true;
      x.currentTime = Math.min(t, x.duration || t);
      var p = x.play();
      if (p && p.catch) { p.catch(function () {}); }
    });
  });
  seek.addEventListener("input", function () {
    var l = lead();
    seeking = true;
    if (!l || !l.duration) { return; }
    var t = seek.value / 1000 * l.duration;
    vids().forEach(function (x) { x.currentTime = Math.min(t, x.duration || t); });
  });
  seek.addEventListener("change", function () { seeking = false; });
  var timer = setInterval(function () {
    if (!document.body.contains(root)) { clearInterval(timer); return; }
    var l = lead();
    if (!l) { return; }
    var on = playing();
    btn.innerHTML = on ? "&#10074;&#10074; Pause all" : "&#9654; Play all";
    if (!seeking && l.duration) { seek.value = Math.round(l.currentTime / l.duration * 1000); }
    label.textContent = fmt(l.currentTime) + " / " + fmt(l.duration);
    if (on) {
      vids().forEach(function (x) {
        if (x !== l && !x.paused && x.duration > l.currentTime &&
            Math.abs(x.currentTime - l.currentTime) > 0.2) { x.currentTime = l.currentTime; }
      });
    }
  }, 200);
})();
</script>
"""


def _back() -> None:
    st.query_params.pop("compare", None)


def render(studio, ids: list[str]) -> None:
    st.button("Gallery", key="cmp_back", icon=":material/arrow_back:", on_click=_back, type="tertiary")
    account = studio.connection.account
    takes = []
    for take_id in ids[: take_card.MAX_COMPARE]:
        take = studio.library.get(take_id, account=account)
        path = studio.media_path(take.video_path) if take is not None and take.video_path else None
        if take is not None and path is not None:
            takes.append((take, path))
    if len(takes) < 2:
        st.warning("Pick at least two finished takes in the gallery to compare.", icon=":material/compare:")
        return
    st.title(f"Compare {len(takes)} takes", anchor=False)
    st.html('<div class="vs-sub">One control plays, pauses and seeks them all together.</div>')
    with st.container(key=CONTAINER):
        cols = st.columns(len(takes), gap="medium")
        for col, (take, path) in zip(cols, takes, strict=True):
            with col:
                st.video(str(path), muted=True)
                st.html(
                    f'<div class="vs-meta"><span>{take_meta(take)}</span></div>'
                    f'<div class="vs-snip">{esc(snippet(take.prompt, 140))}</div>'
                )
                st.button(
                    "Open",
                    key=f"cmp_open_{take.id}",
                    icon=":material/open_in_full:",
                    type="tertiary",
                    on_click=take_card.open_take,
                    args=(take.id,),
                )
    control_id = "cmp-" + uuid.uuid5(uuid.NAMESPACE_URL, ",".join(t.id for t, _ in takes)).hex[:12]
    st.html(
        _SCRIPT.replace("__ID__", control_id).replace("__BOX__", CONTAINER),
        unsafe_allow_javascript=True,
    )
