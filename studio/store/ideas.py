"""Ideas in the library: lineage, children, verdicts, idea names and sweeps, over the takes table."""

from __future__ import annotations

import builtins
from collections.abc import Sequence

from studio.errors import InputError
from studio.store.engine import Engine
from studio.take import VERDICT_REASONS, Take, Verdict


class IdeaStore(Engine):
    """A take's family (lineage, children), its verdict, and the ideas takes group into (mixed into `Library`)."""

    def lineage(self, take_id: str) -> builtins.list[Take]:
        """The chain of source takes, root first, ending with the take itself ([] if unknown)."""
        chain: builtins.list[Take] = []
        seen: set[str] = set()
        current: str | None = take_id
        while current and current not in seen:
            seen.add(current)
            take = self.get(current)
            if take is None:
                break
            chain.append(take)
            current = take.parent_id or take.source_take_id
        chain.reverse()
        return chain

    def children(self, take_id: str) -> builtins.list[Take]:
        """Takes made from this one (re-rolls, finals, remixes, animated frames...), oldest first."""
        return self._select(
            "parent_id = ? OR (parent_id IS NULL AND source_take_id = ?)",
            (take_id, take_id),
            "created_at ASC, variant_index ASC",
        )

    # verdicts and ideas -------------------------------------------------------------------
    def set_verdict(
        self,
        take_id: str,
        verdict: Verdict | str | None,
        reasons: Sequence[str] = (),
        note: str | None = None,
    ) -> Take:
        """Keep or reject a take, with reason tags and a note (None clears the verdict)."""
        value = Verdict(verdict).value if verdict else None
        unknown = [r for r in reasons if r not in VERDICT_REASONS]
        if unknown:
            raise InputError(f"Unknown reason {unknown[0][:40]!r}.", field="verdict")
        text = (note or "").strip()[:500] or None
        tags = ",".join(dict.fromkeys(reasons)) or None
        return self.update(take_id, verdict=value, verdict_reasons=tags, verdict_note=text)

    def ideas(
        self,
        account: str,
        *,
        verdict: Verdict | str | None = None,
        created_by: str | None = None,
        limit: int = 10,
        offset: int = 0,
    ) -> builtins.list[tuple[str, int, float]]:
        """A page of the account's ideas as (idea id, takes, last activity), the busiest first.

        `verdict` keeps the ideas holding at least one take with that verdict; `created_by` those
        holding at least one take that person made (their other takes still count and show).
        """
        where, params = "account = ?", [account]
        if verdict:
            where += " AND idea_id IN (SELECT idea_id FROM takes WHERE account = ? AND verdict = ?)"
            params += [account, Verdict(verdict).value]
        if created_by:
            where += " AND idea_id IN (SELECT idea_id FROM takes WHERE account = ? AND created_by = ?)"
            params += [account, created_by]
        rows = self._read(
            f"SELECT idea_id, COUNT(*), MAX(created_at) AS last FROM takes WHERE {where}"
            " GROUP BY idea_id ORDER BY last DESC, idea_id LIMIT ? OFFSET ?",
            [*params, max(0, int(limit)), max(0, int(offset))],
        )
        return [(str(r[0]), int(r[1]), float(r[2])) for r in rows]

    def count_ideas(
        self, account: str, *, verdict: Verdict | str | None = None, created_by: str | None = None
    ) -> int:
        """How many ideas `ideas` pages through with the same filters."""
        where, params = "account = ?", [account]
        if verdict:
            where += " AND verdict = ?"
            params.append(Verdict(verdict).value)
        if created_by and verdict:  # both, maybe on different takes of the idea
            where += " AND idea_id IN (SELECT idea_id FROM takes WHERE account = ? AND created_by = ?)"
            params += [account, created_by]
        elif created_by:
            where += " AND created_by = ?"
            params.append(created_by)
        return int(self._read(f"SELECT COUNT(DISTINCT idea_id) FROM takes WHERE {where}", params)[0][0])

    def idea_takes(self, account: str, idea_ids: Sequence[str]) -> builtins.list[Take]:
        """Every take of these ideas, oldest first (one query, whatever the number of ideas)."""
        if not idea_ids:
            return []
        marks = ", ".join("?" for _ in idea_ids)
        return self._select(
            f"account = ? AND idea_id IN ({marks})",
            [account, *idea_ids],
            "created_at ASC, batch_id ASC, variant_index ASC",
        )

    def idea_names(self, account: str, idea_ids: Sequence[str]) -> dict[str, tuple[str | None, bool]]:
        """The names and collapsed flags set for these ideas: {idea id: (name, collapsed)}."""
        if not idea_ids:
            return {}
        marks = ", ".join("?" for _ in idea_ids)
        rows = self._read(
            f"SELECT id, name, collapsed FROM ideas WHERE account = ? AND id IN ({marks})",
            [account, *idea_ids],
        )
        return {str(r[0]): (r[1], bool(r[2])) for r in rows}

    def name_idea(self, account: str, idea_id: str, name: str | None) -> None:
        """Rename an idea (an empty name goes back to its first prompt)."""
        text = " ".join((name or "").split())[:80] or None
        with self._write() as tx:
            tx.execute(
                "INSERT INTO ideas (account, id, name) VALUES (?, ?, ?)"
                " ON CONFLICT (account, id) DO UPDATE SET name = excluded.name",
                (account, idea_id, text),
            )

    def collapse_idea(self, account: str, idea_id: str, collapsed: bool) -> None:
        with self._write() as tx:
            tx.execute(
                "INSERT INTO ideas (account, id, collapsed) VALUES (?, ?, ?)"
                " ON CONFLICT (account, id) DO UPDATE SET collapsed = excluded.collapsed",
                (account, idea_id, 1 if collapsed else 0),
            )

    def sweep_takes(self, account: str, sweep_id: str) -> builtins.list[Take]:
        return self._select(
            "account = ? AND sweep_id = ?", (account, sweep_id), "submission_id, variant_index"
        )
