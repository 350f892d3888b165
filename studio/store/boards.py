"""The library's storyboards: boards, their shots in order, each shot's candidate takes, all per account.

A mixin of `Library`: the SQL is written once for SQLite and PostgreSQL with `?` placeholders and
runs through the engine's `_write`/`_read`. Every change to a storyboard's shots takes the
storyboard's lock (`_lock`; SQLite's writes are serial already), so positions stay dense (0, 1, 2…).
"""

from __future__ import annotations

import builtins
import contextlib
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from studio import storyboard as rules
from studio.errors import InputError
from studio.store import engine
from studio.store.engine import Engine, Tx
from studio.storyboard import BoardSummary, Reel, ReelShot, Shot, Storyboard
from studio.take import Take

_BOARD = "SELECT id, account, name, ratio, created_at, updated_at FROM storyboards"
_SHOT = "SELECT s.id, s.storyboard_id, s.position, s.name, s.take_id, s.trim_in, s.trim_out FROM shots s"
_GONE_BOARD = "This storyboard no longer exists (it may have been deleted)."
_GONE_SHOT = "This shot no longer exists (it may have been removed)."


def _board(row: Sequence[Any]) -> Storyboard:
    return Storyboard(str(row[0]), str(row[1]), str(row[2]), row[3], float(row[4]), float(row[5]))


class StoryboardStore(Engine):
    """Storyboards, shots and candidates in the library's database (mixed into `Library`)."""

    # storyboards ---------------------------------------------------------------------------
    def create_storyboard(self, account: str, name: str, ratio: str | None = None) -> Storyboard:
        """A new, empty storyboard (`ratio` None: its format follows its first shot)."""
        text = rules.clean_name(name) or "Untitled storyboard"
        fmt = rules.check_ratio(ratio)
        now = engine.now()
        board = Storyboard(uuid.uuid4().hex, account, text, fmt, now, now)
        with self._write() as tx:
            tx.execute(
                "INSERT INTO storyboards (id, account, name, ratio, created_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (board.id, account, board.name, fmt, now, now),
            )
        return board

    def storyboard(self, account: str, board_id: str) -> Storyboard | None:
        rows = self._read(f"{_BOARD} WHERE id = ? AND account = ?", (board_id, account))
        return _board(rows[0]) if rows else None

    def storyboards(self, account: str) -> builtins.list[BoardSummary]:
        """The account's storyboards, last changed first, with their shot counts and lengths."""
        boards = [
            _board(r)
            for r in self._read(f"{_BOARD} WHERE account = ? ORDER BY updated_at DESC, id", (account,))
        ]
        rows = self._read(
            "SELECT s.storyboard_id, s.trim_in, s.trim_out, t.duration, t.duration_requested FROM shots s"
            " JOIN storyboards b ON b.id = s.storyboard_id LEFT JOIN takes t ON t.id = s.take_id"
            " WHERE b.account = ?",
            (account,),
        )
        counts: dict[str, int] = {}
        lengths: dict[str, float] = {}
        for board_id, trim_in, trim_out, duration, asked in rows:
            counts[board_id] = counts.get(board_id, 0) + 1
            end = trim_out if trim_out is not None else (duration if duration is not None else asked)
            if end is not None:
                lengths[board_id] = lengths.get(board_id, 0.0) + max(0.0, float(end) - float(trim_in))
        return [BoardSummary(b, counts.get(b.id, 0), round(lengths.get(b.id, 0.0), 3)) for b in boards]

    def rename_storyboard(self, account: str, board_id: str, name: str) -> Storyboard:
        text = rules.clean_name(name)
        if text is None:
            raise InputError("Give the storyboard a name.", field="name")
        with self._board_tx(account, board_id) as tx:
            tx.execute("UPDATE storyboards SET name = ? WHERE id = ?", (text, board_id))
        return self._must_board(account, board_id)

    def set_storyboard_ratio(self, account: str, board_id: str, ratio: str | None) -> Storyboard:
        """The film's format ("16:9"; None: its first shot's): mixed shots are letterboxed to it."""
        fmt = rules.check_ratio(ratio)
        with self._board_tx(account, board_id) as tx:
            tx.execute("UPDATE storyboards SET ratio = ? WHERE id = ?", (fmt, board_id))
        return self._must_board(account, board_id)

    def delete_storyboard(self, account: str, board_id: str) -> None:
        """Delete a storyboard and its shots (the takes stay in the library)."""
        with self._write() as tx:
            tx.execute(
                "DELETE FROM shot_takes WHERE shot_id IN (SELECT id FROM shots WHERE storyboard_id = ?)"
                " AND EXISTS (SELECT 1 FROM storyboards WHERE id = ? AND account = ?)",
                (board_id, board_id, account),
            )
            tx.execute(
                "DELETE FROM shots WHERE storyboard_id = ?"
                " AND EXISTS (SELECT 1 FROM storyboards WHERE id = ? AND account = ?)",
                (board_id, board_id, account),
            )
            tx.execute("DELETE FROM storyboards WHERE id = ? AND account = ?", (board_id, account))

    def storyboards_of_take(self, account: str, take_id: str) -> builtins.list[Storyboard]:
        """The storyboards where a take is a candidate of some shot (chosen or not)."""
        rows = self._read(
            f"{_BOARD} WHERE account = ? AND id IN (SELECT s.storyboard_id FROM shots s"
            " JOIN shot_takes c ON c.shot_id = s.id WHERE c.take_id = ?) ORDER BY updated_at DESC, id",
            (account, take_id),
        )
        return [_board(r) for r in rows]

    # shots ---------------------------------------------------------------------------------
    def shots(self, account: str, board_id: str) -> builtins.list[Shot]:
        """The storyboard's shots in order, with their candidates ([] for an unknown storyboard)."""
        return self._shots(account, board_id)

    def reel(self, account: str, board_id: str) -> Reel | None:
        """The storyboard with its shots' takes looked up (two queries whatever the size)."""
        board = self.storyboard(account, board_id)
        if board is None:
            return None
        shots = self.shots(account, board_id)
        ids = sorted({t for s in shots for t in (*s.candidates, s.take_id) if t})
        takes: dict[str, Take] = {}
        if ids:
            marks = ", ".join("?" for _ in ids)
            found = self._select(f"account = ? AND id IN ({marks})", [account, *ids], "created_at ASC")
            takes = {t.id: t for t in found}
        placed = tuple(
            ReelShot(
                s,
                takes.get(s.take_id) if s.take_id else None,
                tuple(takes[c] for c in s.candidates if c in takes),
            )
            for s in shots
        )
        return Reel(board, placed)

    def add_shot(
        self,
        account: str,
        board_id: str,
        take_id: str,
        *,
        position: int | None = None,
        name: str | None = None,
    ) -> Shot:
        """A new shot from a take (its first candidate, chosen), at `position` (None: the end)."""
        self._must_take(account, take_id)
        with self._board_tx(account, board_id) as tx:
            shot_id = self._insert_shot(tx, board_id, take_id, position, rules.clean_name(name))
        return self._must_shot(account, shot_id)

    def add_candidate(self, account: str, shot_id: str, take_id: str, *, choose: bool = False) -> Shot:
        """Add a take to a shot's candidates (already there: nothing changes); `choose` also picks it."""
        self._must_take(account, take_id)
        with self._shot_tx(account, shot_id) as tx:
            self._add_candidate(tx, shot_id, take_id)
            if choose:
                tx.execute(
                    "UPDATE shots SET take_id = ?, trim_in = 0, trim_out = NULL WHERE id = ?",
                    (take_id, shot_id),
                )
        return self._must_shot(account, shot_id)

    def remove_candidate(self, account: str, shot_id: str, take_id: str) -> Shot:
        """Drop a candidate; when it was the chosen one, the first remaining candidate is chosen."""
        with self._shot_tx(account, shot_id) as tx:
            tx.execute("DELETE FROM shot_takes WHERE shot_id = ? AND take_id = ?", (shot_id, take_id))
            first = tx.execute(
                "SELECT take_id FROM shot_takes WHERE shot_id = ? ORDER BY added_at, take_id LIMIT 1",
                (shot_id,),
            ).fetchone()
            tx.execute(
                "UPDATE shots SET take_id = ?, trim_in = 0, trim_out = NULL WHERE id = ? AND take_id = ?",
                (first[0] if first else None, shot_id, take_id),
            )
        return self._must_shot(account, shot_id)

    def choose(self, account: str, shot_id: str, take_id: str) -> Shot:
        """Make a candidate the shot's chosen take; its trim starts over (whole take)."""
        with self._shot_tx(account, shot_id) as tx:
            found = tx.execute(
                "SELECT 1 FROM shot_takes WHERE shot_id = ? AND take_id = ?", (shot_id, take_id)
            ).fetchone()
            if not found:
                raise InputError("That take is not a candidate of this shot.", field="take")
            tx.execute(
                "UPDATE shots SET take_id = ?, trim_in = 0, trim_out = NULL WHERE id = ?", (take_id, shot_id)
            )
        return self._must_shot(account, shot_id)

    def set_trim(self, account: str, shot_id: str, trim_in: float, trim_out: float | None) -> Shot:
        """Trim the chosen take: 0 ≤ in < out ≤ its length, at least 0.1 s (InputError otherwise)."""
        shot = self._must_shot(account, shot_id)
        if shot.take_id is None:
            raise InputError("Choose a take for this shot before trimming it.", field="take")
        take = self._must_take(account, shot.take_id)
        start, end = rules.check_trim(trim_in, trim_out, rules.take_duration(take))
        with self._shot_tx(account, shot_id) as tx:
            cur = tx.execute(
                "UPDATE shots SET trim_in = ?, trim_out = ? WHERE id = ? AND take_id = ?",
                (start, end, shot_id, take.id),
            )
            if cur.rowcount == 0:
                raise InputError("The shot's chosen take changed meanwhile: trim it again.", field="take")
        return self._must_shot(account, shot_id)

    def rename_shot(self, account: str, shot_id: str, name: str | None) -> Shot:
        """Name a shot (empty: back to "Shot N")."""
        text = rules.clean_name(name)
        with self._shot_tx(account, shot_id) as tx:
            tx.execute("UPDATE shots SET name = ? WHERE id = ?", (text, shot_id))
        return self._must_shot(account, shot_id)

    def move_shot(self, account: str, shot_id: str, position: int) -> builtins.list[Shot]:
        """Move a shot to `position` (0-based, clamped); the others close up. Returns the new order."""
        if isinstance(position, bool) or not isinstance(position, int):
            raise InputError("A position is a whole number.", field="position")
        board_id = self._must_shot(account, shot_id).storyboard_id
        with self._board_tx(account, board_id) as tx:
            ids = [
                r[0]
                for r in tx.execute(
                    "SELECT id FROM shots WHERE storyboard_id = ? ORDER BY position, created_at, id",
                    (board_id,),
                ).fetchall()
            ]
            self._renumber(tx, rules.moved(ids, shot_id, position))
        return self.shots(account, board_id)

    def remove_shot(self, account: str, shot_id: str) -> None:
        """Remove a shot (its takes stay in the library); the shots after it close up."""
        shot = self._shot(account, shot_id)
        if shot is None:
            return
        with self._board_tx(account, shot.storyboard_id) as tx:
            tx.execute("DELETE FROM shot_takes WHERE shot_id = ?", (shot_id,))
            tx.execute("DELETE FROM shots WHERE id = ?", (shot_id,))
            ids = [
                r[0]
                for r in tx.execute(
                    "SELECT id FROM shots WHERE storyboard_id = ? ORDER BY position, created_at, id",
                    (shot.storyboard_id,),
                ).fetchall()
            ]
            self._renumber(tx, ids)

    def continue_shot(self, account: str, shot_id: str, take_id: str, *, into_next: bool = False) -> Shot:
        """Place a take continued from a shot: a new shot right after it (chosen there), or with
        `into_next` a candidate of the shot that follows (a new shot when it is the last)."""
        self._must_take(account, take_id)
        shot = self._must_shot(account, shot_id)
        with self._board_tx(account, shot.storyboard_id) as tx:
            nxt = None
            if into_next:
                nxt = tx.execute(
                    "SELECT id FROM shots WHERE storyboard_id = ? AND position = ?",
                    (shot.storyboard_id, shot.position + 1),
                ).fetchone()
            if nxt is not None:
                self._add_candidate(tx, nxt[0], take_id)
                target = str(nxt[0])
            else:
                target = self._insert_shot(tx, shot.storyboard_id, take_id, shot.position + 1, None)
        return self._must_shot(account, target)

    # helpers -------------------------------------------------------------------------------
    def _shots(
        self, account: str, board_id: str, where: str = "", params: Sequence[Any] = ()
    ) -> builtins.list[Shot]:
        rows = self._read(
            f"{_SHOT} JOIN storyboards b ON b.id = s.storyboard_id"
            f" WHERE s.storyboard_id = ? AND b.account = ?{where} ORDER BY s.position, s.created_at, s.id",
            [board_id, account, *params],
        )
        if not rows:
            return []
        ids = [r[0] for r in rows]
        marks = ", ".join("?" for _ in ids)
        cands: dict[str, builtins.list[str]] = {}
        for sid, tid in self._read(
            f"SELECT shot_id, take_id FROM shot_takes WHERE shot_id IN ({marks}) ORDER BY added_at, take_id",
            ids,
        ):
            cands.setdefault(sid, []).append(tid)
        return [
            Shot(
                str(r[0]),
                str(r[1]),
                int(r[2]),
                r[3],
                r[4],
                float(r[5]),
                None if r[6] is None else float(r[6]),
                tuple(cands.get(r[0], ())),
            )
            for r in rows
        ]

    def _shot(self, account: str, shot_id: str) -> Shot | None:
        rows = self._read(
            "SELECT s.storyboard_id FROM shots s JOIN storyboards b ON b.id = s.storyboard_id"
            " WHERE s.id = ? AND b.account = ?",
            (shot_id, account),
        )
        if not rows:
            return None
        found = self._shots(account, str(rows[0][0]), " AND s.id = ?", (shot_id,))
        return found[0] if found else None

    def _must_shot(self, account: str, shot_id: str) -> Shot:
        shot = self._shot(account, shot_id)
        if shot is None:
            raise InputError(_GONE_SHOT, field="shot")
        return shot

    def _must_board(self, account: str, board_id: str) -> Storyboard:
        board = self.storyboard(account, board_id)
        if board is None:
            raise InputError(_GONE_BOARD, field="storyboard")
        return board

    def _must_take(self, account: str, take_id: str) -> Take:
        found = self._select("id = ? AND account = ?", (take_id, account), "id")
        if not found:
            raise InputError("That take is gone (it may have been deleted).", field="take")
        return found[0]

    @contextlib.contextmanager
    def _board_tx(self, account: str, board_id: str) -> Iterator[Tx]:
        """A transaction holding the storyboard's lock; refuses another account's storyboard; bumps
        its `updated_at`."""
        with self._write() as tx:
            self._lock(tx, f"storyboard|{board_id}")
            cur = tx.execute(
                "UPDATE storyboards SET updated_at = ? WHERE id = ? AND account = ?",
                (engine.now(), board_id, account),
            )
            if cur.rowcount == 0:
                raise InputError(_GONE_BOARD, field="storyboard")
            yield tx

    @contextlib.contextmanager
    def _shot_tx(self, account: str, shot_id: str) -> Iterator[Tx]:
        shot = self._must_shot(account, shot_id)
        with self._board_tx(account, shot.storyboard_id) as tx:
            if not tx.execute("SELECT 1 FROM shots WHERE id = ?", (shot_id,)).fetchone():
                raise InputError(_GONE_SHOT, field="shot")
            yield tx

    def _insert_shot(
        self, tx: Tx, board_id: str, take_id: str, position: int | None, name: str | None
    ) -> str:
        count = int(
            tx.execute("SELECT COUNT(*) FROM shots WHERE storyboard_id = ?", (board_id,)).fetchone()[0]
        )
        at = count if position is None else max(0, min(int(position), count))
        tx.execute(
            "UPDATE shots SET position = position + 1 WHERE storyboard_id = ? AND position >= ?",
            (board_id, at),
        )
        shot_id = uuid.uuid4().hex
        tx.execute(
            "INSERT INTO shots (id, storyboard_id, position, name, take_id, trim_in, trim_out, created_at)"
            " VALUES (?, ?, ?, ?, ?, 0, NULL, ?)",
            (shot_id, board_id, at, name, take_id, engine.now()),
        )
        self._add_candidate(tx, shot_id, take_id)
        return shot_id

    @staticmethod
    def _add_candidate(tx: Tx, shot_id: str, take_id: str) -> None:
        tx.execute(
            "INSERT INTO shot_takes (shot_id, take_id, added_at) VALUES (?, ?, ?)"
            " ON CONFLICT (shot_id, take_id) DO NOTHING",
            (shot_id, take_id, engine.now()),
        )

    @staticmethod
    def _renumber(tx: Tx, ids: Sequence[str]) -> None:
        tx.executemany("UPDATE shots SET position = ? WHERE id = ?", [(i, sid) for i, sid in enumerate(ids)])
