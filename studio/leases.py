"""Take leases: one process works on a take at a time, renews while it works, and takes over lapsed ones.

A `LeaseKeeper` belongs to one JobManager. `claim` asks the library for a take's lease (one atomic
UPDATE decides); a background thread renews every held lease each `ttl / 3` and tells the manager
about leases it lost. On the same beat it claims, in one batch and as far as the manager has free
followers, the open takes nobody holds (new ones, and those of a process or replica that died), so
a dead replica's takes move on within about `ttl * 4 / 3`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable

from studio.errors import StudioError
from studio.library import Library, Take

log = logging.getLogger(__name__)

DEFAULT_TTL = 30.0


def new_owner() -> str:
    """This process's lease owner id: host, pid and a random part (a restarted pid is another owner)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class LeaseKeeper:
    """Claims, renews and releases the leases of one account's takes for one process."""

    def __init__(
        self,
        library: Library,
        account: str,
        *,
        owner: str | None = None,
        ttl: float = DEFAULT_TTL,
        on_lost: Callable[[str], None] = lambda take_id: None,
        on_due: Callable[[Take], None] = lambda take: None,
        capacity: Callable[[], int] = lambda: 16,
    ) -> None:
        self.library = library
        self.account = account
        self.owner = owner or new_owner()
        self.ttl = float(ttl)
        self._on_lost = on_lost
        self._on_due = on_due
        self._capacity = capacity
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=f"leases-{self.account[:10]}", daemon=True)
            self._thread.start()

    def stop(self, *, release: bool = True) -> None:
        """Stop renewing; with `release`, free every held lease so another process may go on at once."""
        self._stop.set()
        if release:
            with self._lock:
                held, self._held = set(self._held), set()
            for take_id in held:
                try:
                    self.library.release(take_id, self.owner)
                except StudioError:
                    pass

    def claim(self, take_id: str) -> Take | None:
        """The take, now leased to this process; None when another live process holds it."""
        if self._stop.is_set():
            return None
        take = self.library.claim(take_id, self.owner, self.ttl)
        if take is not None:
            with self._lock:
                self._held.add(take_id)
        return take

    def claim_due(self) -> list[Take]:
        """Lease, in one batch, as many unheld open takes as the manager has room for (oldest first)."""
        if self._stop.is_set():
            return []
        room = self._capacity()
        if room <= 0:
            return []
        takes = self.library.claim_due(self.account, self.owner, self.ttl, room)
        with self._lock:
            self._held.update(t.id for t in takes)
        return takes

    def holds(self, take_id: str) -> bool:
        """Re-asserts the lease right now (for a step that spends: upload, create, download)."""
        return self.claim(take_id) is not None

    def release(self, take_id: str) -> None:
        with self._lock:
            self._held.discard(take_id)
        try:
            self.library.release(take_id, self.owner)
        except StudioError:
            log.warning("could not release the lease of take %s", take_id)

    def held(self) -> set[str]:
        with self._lock:
            return set(self._held)

    def _loop(self) -> None:
        beat = max(0.05, self.ttl / 3)
        while not self._stop.wait(beat):
            held = self.held()
            try:
                kept = self.library.renew(self.owner, self.ttl, sorted(held))
            except StudioError:
                log.warning("could not renew leases; trying again")
                continue
            for lost in held - kept:
                with self._lock:
                    self._held.discard(lost)
                log.warning("lease of take %s was taken over", lost)
                self._on_lost(lost)
            try:  # pick up what nobody holds: new takes, and those of a process that went away
                due = self.claim_due()
            except StudioError:
                continue
            for take in due:
                self._on_due(take)
