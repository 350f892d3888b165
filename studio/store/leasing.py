"""Take leases in the library: exactly one process (or replica) follows a take at a time.

A lease is an owner and an expiry on the take's row. `claim` and `claim_due` decide in one
statement each, so two processes never both win; `renew` keeps a lease while its owner works;
a lapsed lease is anyone's (see studio/leases.py for the keeper that drives these).
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any, ClassVar

from studio.store import engine
from studio.store.engine import Engine
from studio.take import OPEN_STATUSES, Take


class LeaseStore(Engine):
    """Claim, renew, release and take over the leases of open takes (mixed into `Library`)."""

    SKIP_LOCKED: ClassVar[str] = ""  # the lock a claim takes, passing over rows others are deciding

    def claim(self, take_id: str, owner: str, ttl: float) -> Take | None:
        """Take the lease of an open take for `ttl` seconds: free, lapsed, or already ours.

        None when another owner holds a live lease (or the take is gone or finished). The one
        atomic UPDATE is the whole decision, so two processes can never both win.
        """
        now = engine.now()
        marks = ", ".join("?" for _ in OPEN_STATUSES)
        with self._write() as tx:
            cur = tx.execute(
                "UPDATE takes SET lease_owner = ?, lease_expires = ?"
                f" WHERE id = ? AND status IN ({marks})"
                " AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires IS NULL OR lease_expires < ?)",
                [owner, now + ttl, take_id, *OPEN_STATUSES, owner, now],
            )
            if cur.rowcount == 0:
                return None
            return self._select("id = ?", (take_id,), "id", tx)[0]

    def renew(self, owner: str, ttl: float, take_ids: Sequence[str]) -> set[str]:
        """Extend this owner's leases; returns the ids it still holds (a lost one was taken over)."""
        if not take_ids:
            return set()
        now = engine.now()
        held: set[str] = set()
        with self._write() as tx:
            for take_id in take_ids:
                cur = tx.execute(
                    "UPDATE takes SET lease_expires = ? WHERE id = ? AND lease_owner = ?",
                    (now + ttl, take_id, owner),
                )
                if cur.rowcount:
                    held.add(take_id)
        return held

    def release(self, take_id: str, owner: str) -> None:
        with self._write() as tx:
            tx.execute(
                "UPDATE takes SET lease_owner = NULL, lease_expires = NULL WHERE id = ? AND lease_owner = ?",
                (take_id, owner),
            )

    def claim_due(self, account: str, owner: str, ttl: float, limit: int) -> builtins.list[Take]:
        """Lease up to `limit` of the account's open takes nobody holds, oldest first, in one statement.

        Several processes may run it at once: each row goes to one of them (PostgreSQL passes over
        rows another claim has locked, `SKIP LOCKED`; SQLite has one writer at a time).
        """
        if limit <= 0:
            return []
        now = engine.now()
        marks = ", ".join("?" for _ in OPEN_STATUSES)
        lapsed = "(lease_owner IS NULL OR lease_expires IS NULL OR lease_expires < ?)"
        with self._write() as tx:
            rows = tx.execute(
                "UPDATE takes SET lease_owner = ?, lease_expires = ?"
                f" WHERE {lapsed} AND id IN (SELECT id FROM takes"
                f" WHERE account = ? AND status IN ({marks}) AND {lapsed}"
                f" ORDER BY created_at, batch_id, variant_index LIMIT ?{self.SKIP_LOCKED})"
                " RETURNING id",
                [owner, now + ttl, now, account, *OPEN_STATUSES, now, int(limit)],
            ).fetchall()
            if not rows:
                return []
            ids = [r[0] for r in rows]
            where = f"id IN ({', '.join('?' for _ in ids)})"
            return self._select(where, ids, "created_at ASC, batch_id ASC, variant_index ASC", tx)

    def unleased(self, account: str | None = None) -> builtins.list[Take]:
        """Open takes nobody holds a live lease on (what a process may pick up), oldest first."""
        marks = ", ".join("?" for _ in OPEN_STATUSES)
        where = f"status IN ({marks}) AND (lease_owner IS NULL OR lease_expires IS NULL OR lease_expires < ?)"
        params: builtins.list[Any] = [*OPEN_STATUSES, engine.now()]
        if account is not None:
            where += " AND account = ?"
            params.append(account)
        return self._select(where, params, "created_at ASC, batch_id ASC, variant_index ASC")
