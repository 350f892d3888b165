"""Text to video: a prompt and the model's settings, its estimate, then Generate."""

from __future__ import annotations

import streamlit as st

from components import create_form as form
from components.errors import Slots, guard
from components.style import header, panel_title
from studio.submission import TakeRequest

MODE = "text-to-video"
P = "t2v"


@guard
def page() -> None:
    header("Text to video", "Describe a shot. See what it costs before you pay, then keep writing.")
    slots = Slots()
    main, side = st.columns([7, 5], gap="large")
    with main:
        prompt = form.prompt_area(
            P,
            slots,
            mode=MODE,
            placeholder="A lighthouse at dusk, waves rolling in, slow dolly forward, warm rim light…",
        )
        settings = form.settings_row(P, MODE, slots)
    with side, st.container(border=True, key=f"{P}_panel"):
        panel_title("Your take")
        st.caption(settings.model.notes)

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


page()
