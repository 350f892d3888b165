"""Board: every idea as a tree of its takes, with what changed and what it cost on each branch."""

from __future__ import annotations

from components import board, context
from components.errors import guard
from components.style import header


@guard
def page() -> None:
    studio = context.get_studio()
    header("Board", "Each idea as a tree: what changed on every branch, word by word, and what it cost.")
    board.render(studio)


page()
