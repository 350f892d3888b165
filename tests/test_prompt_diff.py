"""The prompt diff: word-level, punctuation kept on words, runs merged, summaries cut cleanly."""

from __future__ import annotations

from studio.prompt_diff import Op, Segment, changed, diff_words, summary


def test_identical_prompts_are_one_unchanged_segment():
    segs = diff_words("a lighthouse at dusk", "a   lighthouse at\ndusk")
    assert segs == [Segment(Op.SAME, "a lighthouse at dusk")]
    assert not changed(segs)
    assert summary(segs) == ""


def test_two_empty_prompts_have_no_segments():
    assert diff_words("", "") == []
    assert diff_words("", "   ") == []


def test_a_replaced_word_is_removed_then_added_in_place():
    segs = diff_words("a lighthouse at dusk, waves", "a lighthouse at golden hour, waves")
    assert segs == [
        Segment(Op.SAME, "a lighthouse at"),
        Segment(Op.DEL, "dusk,"),
        Segment(Op.ADD, "golden hour,"),
        Segment(Op.SAME, "waves"),
    ]
    assert changed(segs)


def test_consecutive_added_words_merge_into_one_segment_with_single_spaces():
    segs = diff_words("a cat", "a very   fluffy  cat")
    assert segs == [Segment(Op.SAME, "a"), Segment(Op.ADD, "very fluffy"), Segment(Op.SAME, "cat")]


def test_punctuation_stays_on_its_word_so_a_new_comma_is_a_changed_word():
    segs = diff_words("red balloon rises", "red balloon, rises")
    assert Segment(Op.DEL, "balloon") in segs and Segment(Op.ADD, "balloon,") in segs


def test_everything_new_or_everything_gone():
    assert diff_words("", "a new idea") == [Segment(Op.ADD, "a new idea")]
    assert diff_words("old words", "") == [Segment(Op.DEL, "old words")]


def test_summary_lists_added_runs_first_then_removed_ones():
    segs = diff_words("a lighthouse at dusk", "a lighthouse at golden hour")
    assert summary(segs) == "+golden hour −dusk"


def test_summary_keeps_the_order_the_additions_appear_in():
    segs = diff_words("a cat on a roof", "a black cat on a tin roof at night")
    assert summary(segs) == "+black +tin +at night"


def test_a_long_summary_is_cut_with_an_ellipsis_within_the_limit():
    before = "one two three"
    after = " ".join(f"word{i}" for i in range(40))
    text = summary(diff_words(before, after), limit=30)
    assert len(text) <= 30 and text.endswith("…") and text.startswith("+word0")


def test_diffs_of_long_prompts_reconstruct_both_sides():
    before = " ".join(f"w{i}" for i in range(0, 600, 2))
    after = " ".join(f"w{i}" for i in range(0, 600, 3))
    segs = diff_words(before, after)
    old = " ".join(s.text for s in segs if s.op is not Op.ADD)
    new = " ".join(s.text for s in segs if s.op is not Op.DEL)
    assert old == before and new == after
    assert all(a.op is not b.op for a, b in zip(segs, segs[1:], strict=False)), "runs are merged"
