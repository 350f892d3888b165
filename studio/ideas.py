"""Ideas: a take and everything derived from it, as trees with labelled edges, costs and verdicts."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from studio import prompt_diff, recipe
from studio.prompt_diff import Segment
from studio.recipe import Change
from studio.take import Relation, Take, TakeStatus, Verdict
from studio.wording import snippet

NAME_CHARS = 48
EDGE_LABELS = {
    Relation.REUSE: "reuse",
    Relation.REROLL: "re-roll",
    Relation.LOCK_SEED: "same seed",
    Relation.REMIX: "remix",
    Relation.ANIMATE: "animate",
    Relation.FINAL: "final",
    Relation.SWEEP: "sweep",
    Relation.CONTINUE: "continue",
}


def relation_of(value: str | None) -> Relation | None:
    try:
        return Relation(value) if value else None
    except ValueError:
        return None


@dataclass
class Edge:
    """How a take came from its parent: the relation, the prompt's word diff, the recipe changes."""

    relation: Relation | None
    prompt: list[Segment]
    changes: list[Change]

    @property
    def label(self) -> str:
        return EDGE_LABELS.get(self.relation, "derived") if self.relation else "derived"

    @property
    def summary(self) -> str:
        """`+golden hour −dusk · Model Sora 2 → Sora 2 Pro`; "" when nothing changed."""
        parts = [prompt_diff.summary(self.prompt)] + [c.text for c in self.changes]
        return " · ".join(p for p in parts if p)


def take_cost(take: Take) -> int:
    """Credits of one take: billed if known, else estimated; 0 if it never reached a job."""
    if take.job_id is None and take.status in (TakeStatus.FAILED, TakeStatus.CANCELLED):
        return 0
    return int(take.billed_credits if take.billed_credits is not None else take.estimated_credits)


@dataclass(eq=False)
class Node:
    """One take in an idea tree: the edge from its parent (None at a root) and its children."""

    take: Take
    edge: Edge | None
    children: list[Node] = field(default_factory=list)
    depth: int = 0

    @property
    def cost(self) -> int:
        return take_cost(self.take)

    @property
    def branch_cost(self) -> int:
        """This take and everything made from it."""
        return sum(n.cost for n in _walk([self]))


def _walk(roots: list[Node]) -> Iterator[Node]:
    """Pre-order, iteratively (a long chain of re-rolls needs no deep recursion)."""
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


@dataclass
class Idea:
    """One tree of takes with its name, size, cost, verdict counts and last activity."""

    id: str
    name: str
    roots: list[Node]
    takes: int
    cost: int
    kept: int
    rejected: int
    last: float
    collapsed: bool

    def nodes(self) -> Iterator[Node]:
        """Every node, pre-order (a parent before its children, siblings oldest first)."""
        return _walk(self.roots)

    def sweeps(self) -> dict[str, list[Node]]:
        """The idea's sweeps: {sweep id: its takes in the order they were submitted}."""
        rows: dict[str, list[Node]] = {}
        for node in self.nodes():
            if node.take.sweep_id:
                rows.setdefault(node.take.sweep_id, []).append(node)
        for row in rows.values():
            row.sort(key=lambda n: (n.take.created_at, n.take.submission_id, n.take.variant_index))
        return rows


def _order(take: Take) -> tuple[float, str, int]:
    return (take.created_at, take.submission_id, take.variant_index)


def default_name(first_prompt: str) -> str:
    return snippet(first_prompt, NAME_CHARS) or "Untitled idea"


def _tree(idea_id: str, takes: list[Take], names: dict[str, tuple[str | None, bool]]) -> Idea:
    takes.sort(key=_order)
    nodes = {t.id: Node(t, None) for t in takes}
    roots: list[Node] = []
    parents: dict[str, Node] = {}
    for take in takes:  # oldest first, so siblings are appended oldest first
        node = nodes[take.id]
        parent = nodes.get(take.parent_id) if take.parent_id and take.parent_id != take.id else None
        if parent is None:
            roots.append(node)
            continue
        node.edge = Edge(
            relation=relation_of(take.relation),
            prompt=prompt_diff.diff_words(parent.take.prompt, take.prompt),
            changes=recipe.changes(parent.take, take),
        )
        parent.children.append(node)
        parents[take.id] = parent
    # A parent_id cycle (corrupt data) leaves nodes unreachable from any root: make them roots.
    reached = {id(n) for n in _walk(roots)}
    for take in takes:
        node = nodes[take.id]
        if id(node) not in reached:
            node.edge = None
            parents[take.id].children.remove(node)
            roots.append(node)
            reached.update(id(n) for n in _walk([node]))
    for root in roots:
        root.depth = 0
        stack = [root]
        while stack:
            node = stack.pop()
            for child in node.children:
                child.depth = node.depth + 1
                stack.append(child)
    stored, collapsed = names.get(idea_id, (None, False))
    return Idea(
        id=idea_id,
        name=(stored or "").strip() or default_name(takes[0].prompt),
        roots=roots,
        takes=len(takes),
        cost=sum(take_cost(t) for t in takes),
        kept=sum(1 for t in takes if t.verdict == Verdict.KEEP.value),
        rejected=sum(1 for t in takes if t.verdict == Verdict.REJECT.value),
        last=max(t.created_at for t in takes),
        collapsed=bool(collapsed),
    )


def build(takes: Iterable[Take], names: dict[str, tuple[str | None, bool]] | None = None) -> list[Idea]:
    """Group takes into ideas (by idea id, else batch id) and link them by parent; newest idea first."""
    groups: dict[str, list[Take]] = {}
    for take in takes:
        groups.setdefault(take.idea_id or take.batch_id, []).append(take)
    ideas = [_tree(idea_id, group, names or {}) for idea_id, group in groups.items()]
    ideas.sort(key=lambda i: (-i.last, i.id))
    return ideas


def filter_verdict(ideas: Iterable[Idea], verdict: Verdict | str | None) -> list[Idea]:
    """The ideas holding at least one take with this verdict (None: all of them)."""
    ideas = list(ideas)
    if verdict is None:
        return ideas
    value = Verdict(verdict)
    return [i for i in ideas if (i.kept if value is Verdict.KEEP else i.rejected) > 0]
