"""Core errors → a clear message at the right place; unexpected ones → a friendly line, logged."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import ScriptControlException

from studio.errors import StudioError, describe

log = logging.getLogger("varg_studio.ui")


# Which on-page slot shows an InputError, by its `field` (anything else goes to "submit").
FIELD_SLOTS = {
    "prompt": "prompt",
    "model": "model",
    "duration": "duration",
    "aspect_ratio": "aspect_ratio",
    "variants": "variants",
    "seed": "seed",
    "image": "image",
    "fit": "image",
    "crop": "image",
    "frame_time": "image",
    "end_image": "end_image",
    "video": "source",
    "source": "source",
    "submit": "submit",
}


def message(exc: BaseException) -> str:
    return describe(exc)


class Slots:
    """Empty placeholders under form fields, filled with an error when a check fails."""

    def __init__(self) -> None:
        self._slots: dict[str, Any] = {}

    def add(self, name: str) -> None:
        self._slots[name] = st.empty()

    def error(self, name: str, text: str) -> None:
        slot = self._slots.get(name) or self._slots.get("submit")
        if slot is None:
            st.error(text, icon=":material/error:")
        else:
            slot.error(text, icon=":material/error:")

    def show(self, exc: BaseException) -> None:
        field = getattr(exc, "field", None) or "submit"
        self.error(FIELD_SLOTS.get(field, "submit"), message(exc))


def guard(body: Callable[[], None]) -> Callable[[], None]:
    """Run a page body so that no traceback ever reaches the page."""

    @functools.wraps(body)
    def run() -> None:
        try:
            body()
        except ScriptControlException:  # st.rerun / st.switch_page / st.stop: not errors
            raise
        except StudioError as exc:
            log.warning("page %s: %s", body.__module__, exc.message)
            st.error(message(exc), icon=":material/error:")
        except Exception:
            log.exception("unexpected error on page %s", body.__module__)
            st.error(
                "Something went wrong on this page. Your takes are safe in the library; "
                "reload the page to carry on.",
                icon=":material/error:",
            )

    return run
