"""Text to video: a prompt, its price and Generate on the left; the model's settings on the right."""

from __future__ import annotations

import streamlit as st

from components import camera_picker, shot_builder
from components import create_form as form
from components.errors import Slots, guard
from components.style import header, panel_title
from studio.submission import TakeRequest
from studio.take import Mode

MODE = Mode.TEXT
P = "t2v"


@guard
def page() -> None:
    header("Text to video", "Describe a shot. See what it costs before you pay, then keep writing.")
    slots = Slots()
    main, side = st.columns([7, 5], gap="large")
    # The settings are drawn first (the price depends on them) but sit on the right, so the prompt
    # is followed directly by its price and Generate: one Tab (or Ctrl/⌘+Enter) away.
    with side, st.container(border=True, key=f"{P}_panel"):
        panel_title("Settings")
        settings = form.settings_row(P, MODE, slots, stacked=True)
        camera_picker.render(P)
        st.caption(settings.model.notes)
    with main:
        prompt = form.prompt_area(
            P,
            slots,
            mode=MODE,
            placeholder="A lighthouse at dusk, waves rolling in, slow dolly forward, warm rim light…",
        )

        def build() -> TakeRequest:
            return settings.request(MODE, prompt)

        form.generate_area(
            P,
            mode=MODE,
            prompt=prompt,
            build=build,
            settings=settings,
            slots=slots,
        )
        shot_builder.render(P, MODE, settings)


page()
