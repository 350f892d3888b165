"""What the library's mixins (leases, ideas, storyboards) use of it: its SQL helpers and its clock.

`Library` (studio/store/base.py) implements these; the mixins inherit `Engine` so the type checker
knows them, and the declarations live once, here. `now()` reads the library's clock at call time,
so a test that replaces `base._now` moves every mixin's clock too.
"""

from __future__ import annotations

import builtins
import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from studio.take import Take


class Tx(Protocol):
    """A transaction (or an autocommit connection) that runs `?`-placeholder SQL."""

    def execute(self, sql: str, params: Sequence[Any] = ..., /) -> Any: ...

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]], /) -> Any: ...


def now() -> float:
    """The library's clock (tests replace `studio.store.base._now`)."""
    from studio.store import base

    return base._now()


class Engine:
    """The helpers `Library` supplies to its mixins (declared for the type checker only)."""

    if TYPE_CHECKING:

        def _write(self) -> contextlib.AbstractContextManager[Tx]: ...

        def _read(self, sql: str, params: Sequence[Any] = ()) -> builtins.list[Any]: ...

        def _lock(self, tx: Tx, key: str) -> None: ...

        def _select(
            self, where: str, params: Sequence[Any], order: str, tx: Tx | None = None
        ) -> builtins.list[Take]: ...

        def get(self, take_id: str, account: str | None = None) -> Take | None: ...

        def update(self, take_id: str, **fields: Any) -> Take: ...
