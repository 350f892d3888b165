"""Ideas as trees: grouping, linking, labelled edges, costs, sweeps, verdict filters and hints."""

from __future__ import annotations

import itertools
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from studio import ideas, verdicts
from studio.library import Library, NewTake
from studio.prompt_diff import Op
from studio.take import Relation, Take, Verdict

_ids = itertools.count(1)


def take(**fields) -> Take:
    n = next(_ids)
    base = dict(
        id=f"t{n}", account="demo", batch_id=f"b{n}", submission_id=f"s{n}", variant_index=0,
        mode="text-to-video", model="sora_2", prompt="a lighthouse at dusk", duration_requested=4, duration=4,
        aspect_ratio="16:9", source_take_id=None, source_file=None, source_name=None, estimated_credits=105,
        job_id=f"job{n}", status="completed", error=None, created_at=float(n), updated_at=float(n),
        completed_at=None, video_path=None, poster_path=None, favourite=False, cache_hit=False,
    )  # fmt: skip
    base.update(fields)
    if base.get("idea_id") is None:
        base["idea_id"] = base["batch_id"]
    return Take(**base)


def child(parent: Take, relation: Relation, **fields) -> Take:
    return take(parent_id=parent.id, relation=relation.value, idea_id=parent.idea_id, **fields)


def test_a_tree_links_children_to_parents_with_labelled_edges():
    root = take(prompt="a lighthouse at dusk")
    reroll = child(root, Relation.REROLL, prompt="a lighthouse at dusk", seed=9)
    final = child(
        reroll,
        Relation.FINAL,
        prompt="a lighthouse at golden hour",
        model="sora_2_pro",
        duration=12,
        duration_requested=12,
        seed=9,
    )
    [idea] = ideas.build([final, root, reroll], {})
    assert [n.take.id for n in idea.nodes()] == [root.id, reroll.id, final.id]
    assert [n.depth for n in idea.nodes()] == [0, 1, 2]
    assert idea.roots[0].edge is None
    edge = idea.roots[0].children[0].children[0].edge
    assert edge is not None and edge.label == "final"
    assert edge.summary == "+golden hour −dusk · Model Sora 2 → Sora 2 Pro · Duration 4 s → 12 s"
    assert [s.op for s in edge.prompt] == [Op.SAME, Op.DEL, Op.ADD]
    assert idea.roots[0].children[0].edge.label == "re-roll"
    assert idea.roots[0].children[0].edge.summary == "Seed none → 9"


def test_every_relation_has_a_readable_label_and_junk_is_derived():
    labels = {r: ideas.Edge(r, [], []).label for r in Relation}
    assert labels[Relation.REROLL] == "re-roll" and labels[Relation.LOCK_SEED] == "same seed"
    assert all(labels.values())
    root = take()
    odd = take(parent_id=root.id, relation="teleport", idea_id=root.idea_id)
    [idea] = ideas.build([root, odd], {})
    assert idea.roots[0].children[0].edge.relation is None
    assert idea.roots[0].children[0].edge.label == "derived"


def test_takes_group_by_idea_then_batch_and_ideas_sort_newest_first():
    a = take(created_at=10.0)
    b1 = take(batch_id="bb", idea_id=None, created_at=20.0)
    b2 = take(batch_id="bb", idea_id=None, variant_index=1, created_at=20.0)
    late = child(a, Relation.REMIX, created_at=30.0, mode="remix", model="sora_2_remix")
    built = ideas.build([a, b1, b2, late], {})
    assert [i.id for i in built] == [a.idea_id, "bb"]
    assert built[1].takes == 2 and [n.take.id for n in built[1].roots] == [b1.id, b2.id]
    assert built[0].last == 30.0


def test_siblings_are_oldest_first_and_a_missing_parent_makes_a_root():
    root = take(created_at=1.0)
    young = child(root, Relation.REROLL, created_at=5.0)
    old = child(root, Relation.REUSE, created_at=2.0)
    orphan = take(parent_id="deleted-take", relation="reroll", idea_id=root.idea_id, created_at=3.0)
    [idea] = ideas.build([young, orphan, root, old], {})
    assert [n.take.id for n in idea.roots] == [root.id, orphan.id]
    assert [n.take.id for n in idea.roots[0].children] == [old.id, young.id]
    assert idea.roots[1].edge is None


def test_a_parent_cycle_in_corrupt_data_still_shows_every_take_once():
    a = take(id="ca", idea_id="cyc", parent_id="cb", relation="reroll")
    b = take(id="cb", idea_id="cyc", parent_id="ca", relation="reroll")
    self_parent = take(id="cc", idea_id="cyc", parent_id="cc", relation="reroll")
    [idea] = ideas.build([a, b, self_parent], {})
    assert sorted(n.take.id for n in idea.nodes()) == ["ca", "cb", "cc"]


def test_costs_use_billed_then_estimated_and_skip_takes_that_never_reached_a_job():
    root = take(estimated_credits=105, billed_credits=100)
    kid = child(root, Relation.REROLL, estimated_credits=105)
    never = child(root, Relation.REROLL, job_id=None, status="failed", estimated_credits=105)
    cancelled_paid = child(kid, Relation.FINAL, status="cancelled", estimated_credits=300)
    [idea] = ideas.build([root, kid, never, cancelled_paid], {})
    node = idea.roots[0]
    assert node.cost == 100 and node.branch_cost == 100 + 105 + 0 + 300
    assert node.children[0].branch_cost == 405 and node.children[1].cost == 0
    assert idea.cost == 505


def test_names_come_from_the_library_else_from_the_first_prompt():
    long = take(
        prompt="A very long prompt about a lighthouse on a cliff at dusk with gulls wheeling overhead"
    )
    short = take(prompt="  a   kite  ")
    named = take()
    built = {i.id: i for i in ideas.build([long, short, named], {named.idea_id: ("Harbour", True)})}
    assert built[long.idea_id].name.endswith("…") and len(built[long.idea_id].name) == ideas.NAME_CHARS
    assert built[short.idea_id].name == "a kite" and not built[short.idea_id].collapsed
    assert built[named.idea_id].name == "Harbour" and built[named.idea_id].collapsed


def test_sweeps_are_rows_in_submission_order():
    a = take(sweep_id="sw1", relation="sweep", batch_id="sweepbatch", submission_id="x-1", created_at=5.0)
    b = take(sweep_id="sw1", relation="sweep", batch_id="sweepbatch", submission_id="x-0", created_at=5.0)
    c = take(batch_id="sweepbatch", created_at=6.0)
    [idea] = ideas.build([a, b, c], {})
    assert {k: [n.take.id for n in v] for k, v in idea.sweeps().items()} == {"sw1": [b.id, a.id]}


def test_filter_verdict_keeps_ideas_with_such_a_take():
    kept = take(verdict="keep")
    rejected = take(verdict="reject")
    plain = take()
    built = ideas.build([kept, rejected, plain], {})
    assert [i.id for i in ideas.filter_verdict(built, Verdict.KEEP)] == [kept.idea_id]
    assert [i.id for i in ideas.filter_verdict(built, "reject")] == [rejected.idea_id]
    assert len(ideas.filter_verdict(built, None)) == 3
    assert built[-1].kept == 1 and built[-1].rejected == 0


def test_a_thousand_takes_in_one_long_chain_build_without_recursion_limits():
    takes = [take(idea_id="long", batch_id="long")]
    for i in range(999):
        takes.append(child(takes[-1], Relation.REROLL, prompt=f"a lighthouse at dusk, try {i}"))
    [idea] = ideas.build(reversed(takes), {})
    assert idea.takes == 1000 and max(n.depth for n in idea.nodes()) == 999 > sys.getrecursionlimit() - 100
    assert idea.roots[0].branch_cost == 1000 * 105


def test_ideas_read_from_a_real_library_build_the_same_tree(studio_home: Path):
    lib = Library(studio_home)
    try:
        made, _ = lib.add_batch([_new("first", "a lighthouse", 0), _new("first", "a lighthouse", 1)])
        kid, _ = lib.add_batch(
            [replace(_new("second", "a lighthouse at night", 0), parent_id=made[0].id, relation="remix",
                     idea_id=made[0].idea_id)]
        )  # fmt: skip
        lib.set_verdict(kid[0].id, Verdict.REJECT, ["motion", "text"], "too shaky")
        lib.name_idea("demo", made[0].idea_id, "Lighthouse")
        ids = [row[0] for row in lib.ideas("demo")]
        [idea] = ideas.build(lib.idea_takes("demo", ids), lib.idea_names("demo", ids))
        assert idea.name == "Lighthouse" and idea.takes == 3 and idea.rejected == 1
        assert [n.take.id for n in idea.nodes()] == [made[0].id, kid[0].id, made[1].id]
        assert idea.roots[0].children[0].edge.summary == "+at night"
    finally:
        lib.close()


def _new(sub: str, prompt: str, index: int) -> NewTake:
    return NewTake(
        account="demo", batch_id=sub, submission_id=sub, variant_index=index, mode="text-to-video",
        model="sora_2", prompt=prompt, duration_requested=4, duration=4, aspect_ratio="16:9",
        estimated_credits=105,
    )  # fmt: skip


# --- verdicts -----------------------------------------------------------------------------------
def test_a_rejected_take_offers_its_reasons_hints_and_note():
    t = take(verdict="reject", verdict_reasons="motion,bogus,text,motion", verdict_note="  too   shaky ")
    out = verdicts.hints(t)
    assert out[0].startswith("Motion: Ask for slower, steadier motion")
    assert out[1].startswith("Text artefacts: ")
    assert out[-1] == "Your note: too shaky" and len(out) == 3


@pytest.mark.parametrize("verdict", [None, "keep"])
def test_kept_or_undecided_takes_offer_no_hints(verdict):
    assert verdicts.hints(take(verdict=verdict, verdict_reasons="motion", verdict_note="n")) == []


def test_every_reason_has_a_hint_and_parse_keeps_known_tags_in_order():
    from studio.take import VERDICT_REASONS

    assert set(verdicts.REASON_HINTS) == set(VERDICT_REASONS)
    assert verdicts.parse_reasons(" style , ,framing,style,nope") == ("style", "framing")
    assert verdicts.parse_reasons(None) == ()
