"""Wording (snippets of prompts, counted nouns) and take-id lists in URLs: the one place each rule lives."""

from __future__ import annotations

import pytest

from studio.ideas import default_name
from studio.take import ids_of, ids_param
from studio.wording import count, plural, snippet


@pytest.mark.parametrize(
    ("text", "limit", "want"),
    [
        ("a  fox\n in   snow", 80, "a fox in snow"),  # whitespace made single spaces
        ("a fox in snow", 13, "a fox in snow"),  # fits exactly: not cut
        ("a fox in snow", 12, "a fox in sn…"),
        ("a fox in     snow", 7, "a fox…"),  # no space left before the ellipsis
        (None, 10, ""),
        ("abc", 0, "…"),
    ],
)
def test_a_snippet_is_one_line_cut_to_its_limit(text, limit, want):
    got = snippet(text, limit)
    assert got == want
    assert len(got) <= max(1, limit)


def test_an_idea_is_named_after_its_first_prompt():
    assert default_name("  ") == "Untitled idea"
    long = "a lighthouse at dusk " * 10
    assert default_name(long).endswith("…") and len(default_name(long)) <= 48


def test_take_ids_round_trip_through_a_url_parameter_once_each_in_order():
    assert ids_of(ids_param(["b", "a", "c"])) == ["b", "a", "c"]
    assert ids_of(" a, ,b,a,, c ") == ["a", "b", "c"]
    assert ids_of(None) == [] and ids_of("") == []


def test_counted_nouns_are_singular_for_one_only():
    assert [count(n, "shot") for n in (0, 1, 2)] == ["0 shots", "1 shot", "2 shots"]
    assert count(1204, "take") == "1,204 takes"
    assert plural(1, "candidate") == "candidate" and plural(3, "person", "people") == "people"
