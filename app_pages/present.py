"""Present (`?board=<id>`): a storyboard played full screen, shot after shot, with an A/B wipe of candidates."""

from __future__ import annotations

from components import context, present
from components.errors import guard


@guard
def page() -> None:
    present.render(context.get_studio())


page()
