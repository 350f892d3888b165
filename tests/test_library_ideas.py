"""The library's ideas: migration 4 on an old library, lineage fields, verdicts, idea names, pages of ideas.

Each test runs on SQLite and on PostgreSQL (`lib` and `store` in conftest.py).
"""

from __future__ import annotations

import uuid

import pytest

from studio import migrations
from studio.errors import InputError
from studio.library import UNDECIDED, Library, NewTake
from studio.migrations import MIGRATIONS
from studio.take import Relation, Verdict


def add(lib: Library, prompt: str = "a lighthouse at dusk", **kw) -> list:
    sub = uuid.uuid4().hex
    take = NewTake(
        account="demo",
        batch_id="b_" + sub[:8],
        submission_id=sub,
        variant_index=0,
        mode=kw.pop("mode", "text-to-video"),
        model="kling_v3",
        prompt=prompt,
        duration_requested=5,
        duration=5,
        aspect_ratio="16:9",
        estimated_credits=100,
        **kw,
    )
    takes, created = lib.add_batch([take])
    assert created
    return takes


def test_a_new_submission_founds_an_idea_and_a_derived_take_joins_its_parents(lib):
    root = add(lib)[0]
    assert root.idea_id == root.batch_id and root.parent_id is None and root.relation is None
    kid = add(lib, "a lighthouse at dawn", parent_id=root.id, relation=Relation.REROLL.value, idea_id=root.idea_id)[0]
    assert (kid.parent_id, kid.relation, kid.idea_id) == (root.id, "reroll", root.idea_id)
    assert [t.id for t in lib.children(root.id)] == [kid.id]
    assert [t.id for t in lib.lineage(kid.id)] == [root.id, kid.id]
    assert {t.id for t in lib.idea_takes("demo", [root.idea_id])} == {root.id, kid.id}
    assert lib.ideas("demo") == [(root.idea_id, 2, pytest.approx(kid.created_at))]


def test_verdicts_are_validated_saved_and_filtered(lib):
    a, b, c = (add(lib, p)[0] for p in ("one", "two", "three"))
    kept = lib.set_verdict(a.id, Verdict.KEEP, note="  the light is right  ")
    assert (kept.verdict, kept.verdict_reasons, kept.verdict_note) == ("keep", None, "the light is right")
    rejected = lib.set_verdict(b.id, "reject", ["motion", "framing", "motion"])
    assert rejected.verdict_reasons == "motion,framing"
    with pytest.raises(InputError):
        lib.set_verdict(c.id, "reject", ["<script>"])
    with pytest.raises(ValueError):
        lib.set_verdict(c.id, "maybe")
    assert [t.id for t in lib.list("demo", verdict="keep")] == [a.id]
    assert [t.id for t in lib.list("demo", verdict="reject")] == [b.id]
    assert [t.id for t in lib.list("demo", verdict=UNDECIDED)] == [c.id]
    assert lib.count_ideas("demo", verdict="keep") == 1
    assert [i[0] for i in lib.ideas("demo", verdict="reject")] == [b.idea_id]
    assert lib.set_verdict(b.id, None).verdict is None


def test_ideas_are_named_collapsed_and_paged(lib):
    takes = [add(lib, f"idea {i}")[0] for i in range(5)]
    assert lib.count_ideas("demo") == 5
    first = lib.ideas("demo", limit=2)
    assert [i[0] for i in first] == [takes[4].idea_id, takes[3].idea_id]
    assert [i[0] for i in lib.ideas("demo", limit=2, offset=4)] == [takes[0].idea_id]
    lib.name_idea("demo", takes[0].idea_id, "  the   harbour  ")
    lib.collapse_idea("demo", takes[0].idea_id, True)
    lib.collapse_idea("demo", takes[1].idea_id, True)
    lib.name_idea("demo", takes[1].idea_id, "")
    names = lib.idea_names("demo", [t.idea_id for t in takes])
    assert names == {takes[0].idea_id: ("the harbour", True), takes[1].idea_id: (None, True)}
    assert lib.idea_names("someone-else", [takes[0].idea_id]) == {}


def test_a_deleted_take_keeps_files_another_take_still_uses(lib):
    original = lib.store_bytes(b"\x89PNG original", ".png", kind="inputs")
    a = add(lib, "one", mode="image-to-video", original_file=original)[0]
    b = add(lib, "two", mode="image-to-video", original_file=original)[0]
    lib.delete(a.id)
    assert lib.path(original).exists(), "b still re-frames from it"
    lib.delete(b.id)
    assert not lib.path(original).exists()


def test_migration_4_gives_an_old_library_its_ideas(store, monkeypatch):
    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in MIGRATIONS if m[0] < 4])
    old = store()  # a library as migrations 1-3 left it

    def row(take_id, batch, source=None, mode="text-to-video"):
        with old._write() as tx:
            tx.execute(
                "INSERT INTO takes (id, account, batch_id, submission_id, variant_index, mode, model, prompt,"
                " source_take_id, created_at, updated_at) VALUES (?, 'demo', ?, ?, 0, ?, 'sora-2', 'p', ?, 1, 1)",
                (take_id, batch, take_id, mode, source),
            )

    row("root", "batch-a")
    row("remix", "batch-b", source="root", mode="remix")
    row("animated", "batch-c", source="remix", mode="image-to-video")
    row("orphan", "batch-d", source="gone", mode="remix")
    row("alone", "batch-e")
    old.close()
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)

    lib = store()
    try:
        assert lib.schema_version() == max(v for v, _ in MIGRATIONS)
        got = {t: lib.get(t) for t in ("root", "remix", "animated", "orphan", "alone")}
        assert {t: g.idea_id for t, g in got.items()} == {
            "root": "batch-a",
            "remix": "batch-a",
            "animated": "batch-a",
            "orphan": "batch-d",
            "alone": "batch-e",
        }
        assert (got["remix"].parent_id, got["remix"].relation) == ("root", "remix")
        assert (got["animated"].parent_id, got["animated"].relation) == ("remix", "animate")
        assert got["root"].parent_id is None
    finally:
        lib.close()
