"""The change feed: what other studio processes changed in a shared library, as per-account versions.

On PostgreSQL a trigger NOTIFYs every visible change of a take (a new take, a status, a verdict…)
and a listener thread per process feeds them here (`Library.listen`). Pages compare the account's
version with the one they last drew and rerun when it moved; a follower is woken when a webhook
for its take landed on another replica. On SQLite (one process) there is no feed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from studio.take import OPEN_STATUSES

log = logging.getLogger(__name__)

TAKES_CHANNEL = "studio_takes"  # payload: "<op> <account> <take id> <status>"
WAKE_CHANNEL = "studio_wake"  # payload: a take id


@dataclass(frozen=True)
class Change:
    """One notified change of a take: `op` is I(nsert), U(pdate) or D(elete)."""

    op: str
    account: str
    take_id: str
    status: str
    at: float  # when this process heard of it (time.time())

    @classmethod
    def parse(cls, payload: str) -> Change | None:
        parts = payload.split(" ")
        if len(parts) != 4 or parts[0] not in ("I", "U", "D"):
            return None
        return cls(parts[0], parts[1], parts[2], parts[3], time.time())


class ChangeFeed:
    """Per-account version numbers that move on every change another process (or this one) made."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._versions: dict[str, int] = {}
        self._last: dict[str, Change] = {}
        self._wakers: list[Callable[[str], None]] = []
        self.connected = False  # the listener holds a live connection now

    def version(self, account: str) -> int:
        with self._cond:
            return self._versions.get(account, 0)

    def last(self, account: str) -> Change | None:
        """The latest change heard for the account (for measuring how fast others see it)."""
        with self._cond:
            return self._last.get(account)

    def publish(self, change: Change) -> None:
        """Record a change; pages redraw for a new or deleted take, a finish, or a change to a
        finished take (a verdict, a favourite). An open take's steps are the job tray's to show."""
        with self._cond:
            self._last[change.account] = change
            if change.op == "U" and change.status in OPEN_STATUSES:
                return
            self._versions[change.account] = self._versions.get(change.account, 0) + 1
            self._cond.notify_all()

    def resync(self) -> None:
        """The listener (re)connected and may have missed changes: every account's version moves."""
        with self._cond:
            for account in self._versions:
                self._versions[account] += 1
            self._cond.notify_all()

    def wait(self, account: str, since: int, timeout: float) -> int:
        """Block until the account's version passes `since` (or `timeout`); returns the version."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._versions.get(account, 0) <= since:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._cond.wait(left)
            return self._versions.get(account, 0)

    def on_wake(self, handler: Callable[[str], None]) -> None:
        """Call `handler(take_id)` when another process asks the follower of a take to look now."""
        with self._cond:
            self._wakers.append(handler)

    def wake(self, take_id: str) -> None:
        with self._cond:
            wakers = list(self._wakers)
        for handler in wakers:
            try:
                handler(take_id)
            except Exception:
                log.exception("a wake handler failed for take %s", take_id)
