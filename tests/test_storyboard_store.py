"""Storyboards in the library, on SQLite and PostgreSQL: boards, shots in order, candidates, trims."""

from __future__ import annotations

import uuid

import pytest

from studio.errors import InputError
from studio.library import Library, NewTake


def add(lib: Library, prompt: str = "a lighthouse at dusk", *, account: str = "demo", **kw):
    sub = uuid.uuid4().hex
    duration = kw.pop("duration", 5)
    take = NewTake(
        account=account,
        batch_id="b_" + sub[:8],
        submission_id=sub,
        variant_index=0,
        mode="text-to-video",
        model="kling_v3",
        prompt=prompt,
        duration_requested=duration,
        duration=duration,
        aspect_ratio=kw.pop("aspect_ratio", "16:9"),
        estimated_credits=kw.pop("estimated_credits", 100),
        **kw,
    )
    takes, created = lib.add_batch([take])
    assert created
    return takes[0]


def order(lib: Library, board_id: str) -> list[tuple[int, str]]:
    return [(s.position, s.take_id) for s in lib.shots("demo", board_id)]


def test_a_shot_made_from_a_take_holds_it_as_its_chosen_first_candidate(lib):
    board = lib.create_storyboard("demo", "  The   lighthouse  ")
    assert board.name == "The lighthouse" and board.ratio is None
    a, b = add(lib, "one"), add(lib, "two")
    shot = lib.add_shot("demo", board.id, a.id, name="Opening")
    assert (shot.position, shot.take_id, shot.candidates, shot.name) == (0, a.id, (a.id,), "Opening")
    assert (shot.trim_in, shot.trim_out) == (0.0, None)
    shot = lib.add_candidate("demo", shot.id, b.id)
    assert shot.candidates == (a.id, b.id) and shot.take_id == a.id
    lib.add_candidate("demo", shot.id, b.id)  # twice: no duplicate
    assert lib.shots("demo", board.id)[0].candidates == (a.id, b.id)
    chosen = lib.choose("demo", shot.id, b.id)
    assert chosen.take_id == b.id
    other = add(lib, "three")
    with pytest.raises(InputError, match="not a candidate"):
        lib.choose("demo", shot.id, other.id)


def test_shots_move_insert_and_close_up_keeping_positions_dense(lib):
    board = lib.create_storyboard("demo", "Order")
    t = [add(lib, f"shot {i}") for i in range(4)]
    shots = [lib.add_shot("demo", board.id, take.id) for take in t[:3]]
    assert order(lib, board.id) == [(0, t[0].id), (1, t[1].id), (2, t[2].id)]
    lib.add_shot("demo", board.id, t[3].id, position=1)  # inserted in the middle
    assert order(lib, board.id) == [(0, t[0].id), (1, t[3].id), (2, t[1].id), (3, t[2].id)]
    moved = lib.move_shot("demo", shots[0].id, 99)  # clamped to the end
    assert [s.take_id for s in moved] == [t[3].id, t[1].id, t[2].id, t[0].id]
    lib.move_shot("demo", shots[2].id, 0)
    assert order(lib, board.id) == [(0, t[2].id), (1, t[3].id), (2, t[1].id), (3, t[0].id)]
    lib.remove_shot("demo", shots[1].id)
    assert order(lib, board.id) == [(0, t[2].id), (1, t[3].id), (2, t[0].id)]
    lib.remove_shot("demo", shots[1].id)  # already gone: nothing happens
    assert lib.get(t[1].id) is not None  # the take stays in the library


def test_trims_are_checked_against_the_chosen_take_and_reset_by_a_new_choice(lib):
    board = lib.create_storyboard("demo", "Trims")
    a, b = add(lib, "a", duration=8), add(lib, "b", duration=4)
    shot = lib.add_shot("demo", board.id, a.id)
    shot = lib.set_trim("demo", shot.id, 1.5, 6.25)
    assert (shot.trim_in, shot.trim_out) == (1.5, 6.25)
    for start, end, words in [
        (-1, 4, "before the start"),
        (3, 2, "must come before"),
        (2, 9, "past the end"),
        (2, 2.05, "at least 0.1 s"),
        (float("nan"), 3, "number of seconds"),
        ("1", 3, "number of seconds"),
    ]:
        with pytest.raises(InputError, match=words):
            lib.set_trim("demo", shot.id, start, end)
    assert lib.shots("demo", board.id)[0].trim_in == 1.5  # a refused trim changes nothing
    shot = lib.set_trim("demo", shot.id, 7.5, None)  # to the end of the take
    assert (shot.trim_in, shot.trim_out) == (7.5, None)
    lib.add_candidate("demo", shot.id, b.id, choose=True)
    shot = lib.shots("demo", board.id)[0]
    assert (shot.take_id, shot.trim_in, shot.trim_out) == (b.id, 0.0, None)


def test_boards_list_their_shot_counts_and_trimmed_lengths_newest_first(lib, clock):
    first = lib.create_storyboard("demo", "First")
    lib.create_storyboard("demo", "Second", ratio="9:16")
    a, b = add(lib, "a", duration=8), add(lib, "b", duration=4)
    shot = lib.add_shot("demo", first.id, a.id)
    lib.set_trim("demo", shot.id, 1.0, 5.5)
    lib.add_shot("demo", first.id, b.id)
    listed = lib.storyboards("demo")
    assert [s.board.name for s in listed] == ["First", "Second"]  # the last changed first
    assert (listed[0].shots, listed[0].length) == (2, 8.5)
    assert (listed[1].shots, listed[1].length, listed[1].board.ratio) == (0, 0.0, "9:16")
    reel = lib.reel("demo", first.id)
    assert reel is not None and reel.length == 8.5 and reel.ratio == "16:9" and reel.size == (1280, 720)
    assert [s.length for s in reel.shots] == [4.5, 4.0]
    assert reel.spend.credits == 200 and reel.spend.estimated_takes == 2
    lib.update(a.id, billed_credits=80, status="completed", job_id="j1")
    spend = lib.reel("demo", first.id).spend
    assert (spend.credits, spend.billed, spend.estimated) == (180, 80, 100)


def test_storyboards_are_private_to_their_account(lib):
    mine = lib.create_storyboard("demo", "Mine")
    theirs = add(lib, "theirs", account="acct_other")
    own = add(lib, "own")
    with pytest.raises(InputError, match="take is gone"):
        lib.add_shot("demo", mine.id, theirs.id)  # another account's take
    shot = lib.add_shot("demo", mine.id, own.id)
    assert lib.storyboards("acct_other") == [] and lib.storyboard("acct_other", mine.id) is None
    assert lib.shots("acct_other", mine.id) == [] and lib.reel("acct_other", mine.id) is None
    for call in (
        lambda: lib.rename_storyboard("acct_other", mine.id, "Stolen"),
        lambda: lib.rename_shot("acct_other", shot.id, "Stolen"),
        lambda: lib.move_shot("acct_other", shot.id, 0),
        lambda: lib.set_trim("acct_other", shot.id, 0, 1),
    ):
        with pytest.raises(InputError):
            call()
    lib.delete_storyboard("acct_other", mine.id)
    lib.remove_shot("acct_other", shot.id)
    assert lib.storyboard("demo", mine.id).name == "Mine" and len(lib.shots("demo", mine.id)) == 1


def test_renames_deletes_and_where_a_take_is_used(lib):
    board = lib.create_storyboard("demo", "Draft")
    other = lib.create_storyboard("demo", "Other")
    a, b = add(lib, "a"), add(lib, "b")
    shot = lib.add_shot("demo", board.id, a.id)
    lib.add_shot("demo", other.id, b.id)
    lib.add_candidate("demo", lib.shots("demo", other.id)[0].id, a.id)
    assert {s.name for s in lib.storyboards_of_take("demo", a.id)} == {"Draft", "Other"}
    assert [s.name for s in lib.storyboards_of_take("demo", b.id)] == ["Other"]
    assert lib.rename_storyboard("demo", board.id, "Final cut").name == "Final cut"
    with pytest.raises(InputError):
        lib.rename_storyboard("demo", board.id, "   ")
    assert lib.rename_shot("demo", shot.id, "Dawn").label() == "Dawn"
    assert lib.rename_shot("demo", shot.id, "").label() == "Shot 1"
    assert lib.set_storyboard_ratio("demo", board.id, "4:3").ratio == "4:3"
    with pytest.raises(InputError):
        lib.set_storyboard_ratio("demo", board.id, "wide")
    lib.delete_storyboard("demo", board.id)
    assert lib.storyboard("demo", board.id) is None and lib.shots("demo", board.id) == []
    assert [s.name for s in lib.storyboards_of_take("demo", a.id)] == ["Other"]


def test_a_deleted_take_leaves_its_shot_unchosen_and_drops_its_candidacy(lib):
    board = lib.create_storyboard("demo", "Loss")
    a, b = add(lib, "a"), add(lib, "b")
    shot = lib.add_shot("demo", board.id, a.id)
    lib.add_candidate("demo", shot.id, b.id)
    lib.delete(a.id)
    [left] = lib.shots("demo", board.id)
    assert (left.take_id, left.candidates) == (None, (b.id,))
    reel = lib.reel("demo", board.id)
    assert reel.not_ready() == ["Shot 1"] and reel.length == 0.0
    with pytest.raises(InputError, match="Choose a take"):
        lib.set_trim("demo", shot.id, 0, 1)
    assert lib.choose("demo", shot.id, b.id).take_id == b.id


def test_removing_the_chosen_candidate_chooses_the_first_left(lib):
    board = lib.create_storyboard("demo", "Candidates")
    a, b, c = add(lib, "a"), add(lib, "b"), add(lib, "c")
    shot = lib.add_shot("demo", board.id, a.id)
    lib.add_candidate("demo", shot.id, b.id)
    lib.add_candidate("demo", shot.id, c.id, choose=True)
    shot = lib.remove_candidate("demo", shot.id, c.id)
    assert (shot.take_id, shot.candidates) == (a.id, (a.id, b.id))
    shot = lib.remove_candidate("demo", shot.id, b.id)  # not the chosen one
    assert (shot.take_id, shot.candidates) == (a.id, (a.id,))


def test_a_continued_take_becomes_the_next_shot_or_joins_it(lib):
    board = lib.create_storyboard("demo", "Chain")
    a, b, c, d = (add(lib, p) for p in "abcd")
    first = lib.add_shot("demo", board.id, a.id)
    lib.add_shot("demo", board.id, b.id)
    new = lib.continue_shot("demo", first.id, c.id)  # a new shot right after
    assert (new.position, new.take_id) == (1, c.id)
    assert order(lib, board.id) == [(0, a.id), (1, c.id), (2, b.id)]
    joined = lib.continue_shot("demo", first.id, d.id, into_next=True)
    assert joined.id == new.id and joined.candidates == (c.id, d.id) and joined.take_id == c.id
    last = lib.shots("demo", board.id)[-1]
    tail = lib.continue_shot("demo", last.id, d.id, into_next=True)  # the last shot: a new one
    assert tail.position == 3 and tail.take_id == d.id


def test_an_old_library_gains_the_storyboard_tables_and_keeps_its_takes(store, monkeypatch):
    from studio import migrations
    from studio.migrations import MIGRATIONS

    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in MIGRATIONS if m[0] < 6])
    old = store()
    take = add(old, "kept")
    old.close()
    monkeypatch.setattr(migrations, "MIGRATIONS", MIGRATIONS)
    lib = store()
    assert lib.schema_version() == max(v for v, _ in MIGRATIONS)
    board = lib.create_storyboard("demo", "After")
    assert lib.add_shot("demo", board.id, take.id).take_id == take.id
