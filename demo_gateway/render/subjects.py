"""The prompt's subjects: which nouns it names, how many, in what colour and doing what."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from demo_gateway.render.kinds import MOTIONS, Kind, Motion
from demo_gateway.render.lexicon import COLOURS, KIND_COLOURS, LEXICON, NOUN_RE, SEED_COLOURS, VERBS, Entry

_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "pair of": 2, "couple of": 2, "a few": 3}
_GROUPS = r"flock|herd|pack|school|swarm|group|fleet|field|bunch|row|line|crowd|family|cluster"


@dataclass(frozen=True)
class Subject:
    """One thing the prompt names, as the renderer draws it."""

    noun: str
    kind: Kind
    variant: str
    motion: Motion
    count: int
    colour: tuple[int, int, int]


# words that are never the fallback emblem's noun: scenery the landscapes already draw, light, style,
# camera and filler words
_NOT_A_SUBJECT_TEXT = """
    a an the of in on at over under above below into onto through across along by with without and or
    its it their his her this that these those some very slowly slow fast quickly gently softly while
    as from to for up down around near far away behind beside between among against toward towards
    time-lapse timelapse lapse shot scene view footage video clip film movie cinematic cinema camera
    close-up closeup wide angle aerial drone-shot macro panning pan tilt zoom dolly crane tracking
    orbit orbiting handheld static locked-off locked off slight shake rising above following subject
    landscape sky skies cloud clouds sun sunlight sunlit sunshine light lights lighting glow shadows
    day night morning evening dusk dawn sunset sunrise twilight noon midnight golden hour
    ocean oceans sea seas beach coast shore water waves wave lake lakes river rivers bay harbor harbour
    lagoon pond island islands reflection reflections forest forests woods woodland trees jungle pines
    desert deserts dunes dune sand canyon mountain mountains peak peaks valley hill hills meadow meadows
    field fields countryside prairie city cities skyline street streets downtown town buildings
    rooftops rooftop road roads garden gardens park grass snow rain storm thunder lightning fog mist
    haze aurora stars star starry galaxy space wind weather winter summer autumn spring fall season
    neon cyberpunk synthwave vaporwave style watercolor watercolour painting noir comic cartoon anime
    pixel sepia vintage retro render 4k 8k hd hdr realistic photorealistic detailed beautiful epic
    dramatic moody magical dreamy cozy cosy serene peaceful quiet calm vibrant colorful colourful
    lush tiny huge giant big small little old new ancient modern lone single lonely
    scenery nature world place background foreground distance horizon vista panorama
"""
_NOT_A_SUBJECT = set(_NOT_A_SUBJECT_TEXT.split())
_ADJ_ENDINGS = ("ing", "ed", "ly", "ful", "ous", "ive", "ic", "al", "ish", "less", "est", "er")


def _motion_for(kind: Kind, default: Motion | None, after: str) -> Motion:
    allowed = MOTIONS[kind]
    best: tuple[int, Motion] | None = None
    for motion, pattern in VERBS:
        m = re.search(rf"\b(?:{pattern})\b", after)
        if m and motion in allowed and (best is None or m.start() < best[0]):
            best = (m.start(), motion)
    if best is not None:
        return best[1]
    return default if default in allowed else allowed[0]


def _count(before: str, noun: str, entry: Entry) -> int:
    words = before.split()[-3:]
    tail = " ".join(words)
    for phrase, n in _NUMBERS.items():  # "two red cars", "a pair of swans"
        if " " in phrase and tail.endswith(phrase):
            return n
    for w in reversed(words):
        if w in _NUMBERS:
            return _NUMBERS[w]
        if w not in COLOURS:
            break
    if re.search(rf"\b(?:{_GROUPS}) of$", tail):
        return 5 if entry.kind in (Kind.BIRD, Kind.INSECT, Kind.FISH, Kind.FLOWER) else 3
    if noun in _PLURALS or (noun.endswith("s") and noun not in _SINGULAR_S):
        return 3
    return 1


_SINGULAR_S = {"lotus", "cactus", "bus", "moss", "octopus", "walrus", "hibiscus", "iris", "glass"}
_PLURALS = {"people", "children", "cattle", "cacti", "wolves", "geese", "mice"}


def _colour_before(before: str) -> str | None:
    words = before.split()[-2:]
    for w in reversed(words):
        if w in COLOURS:
            return w
    return None


def find_subjects(prompt: str, seed: int, *, limit: int = 3) -> tuple[Subject, ...]:
    """The prompt's main subjects, in the order it names them (at most `limit`, one per noun)."""
    text = " ".join((prompt or "").lower().split())
    pick = np.random.default_rng(seed ^ 0x5B1EC7)
    found: list[Subject] = []
    seen: set[int] = set()
    for m in NOUN_RE.finditer(text):
        word = m.group(0)
        entry = LEXICON.get(word)
        if entry is None:
            continue
        if id(entry) in seen:  # named again in the plural ("a balloon festival, balloons rising")
            if word.endswith("s") and word not in _SINGULAR_S:
                found = [x if x.kind is not entry.kind or x.count > 1 else _with_count(x, 3) for x in found]
            continue
        seen.add(id(entry))
        before, after = text[: m.start()], text[m.end() : m.end() + 60]
        seeded = str(pick.choice(KIND_COLOURS.get(entry.kind, SEED_COLOURS)))
        colour_name = _colour_before(before) or entry.colour or seeded
        found.append(
            Subject(
                noun=word,
                kind=entry.kind,
                variant=entry.variant,
                motion=_motion_for(entry.kind, entry.motion, after),
                count=_count(before, word, entry),
                colour=COLOURS.get(colour_name, COLOURS["white"]),
            )
        )
        if len(found) >= limit:
            break
    if found:
        return tuple(found)
    noun = fallback_noun(text)
    if noun is None:
        return ()
    return (Subject(noun, Kind.EMBLEM, "badge", Motion.FLOAT, 1, COLOURS[str(pick.choice(SEED_COLOURS))]),)


_FUNCTION_TEXT = (
    "a an the of in on at over under above below into onto through across along by with without and or"
    " its it their his her this that these those some as from to for near behind beside between among"
    " while is are was were be being been who which"
)
_FUNCTION_WORDS = set(_FUNCTION_TEXT.split())
# verb forms that end a noun phrase ("a remix source made by…": the noun is "source", not "made")
_VERB_FORMS = {"made", "built", "seen", "taken", "held", "left", "shown", "done", "drawn", "grown", "worn"}
# nouns that end in -ing (every other -ing word after the noun is a verb: "a saxophone glowing on a stage")
_ING_NOUN_TEXT = (
    "building painting drawing ceiling evening morning clothing wedding ring king wing string spring swing"
    " thing pudding dumpling sibling earring lightning sapling duckling seedling railing awning carving"
    " landing ending meeting"
)
_ING_NOUNS = set(_ING_NOUN_TEXT.split())


def _ends_phrase(word: str, run: list[str]) -> bool:
    return (
        word in _FUNCTION_WORDS
        or word in _VERB_FORMS
        or (len(word) > 5 and word.endswith("ed") and not word.endswith("eed"))
        or (bool(run) and len(word) > 4 and word.endswith("ing") and word.rstrip("s") not in _ING_NOUNS)
    )


def _with_count(s: Subject, n: int) -> Subject:
    return Subject(s.noun, s.kind, s.variant, s.motion, n, s.colour)


def fallback_noun(text: str) -> str | None:
    """A best guess at the prompt's noun when the lexicon knows none: the head (last word) of the first
    noun phrase after an article, unless it is scenery the landscapes already draw (then None)."""
    words = re.findall(r"[a-z][a-z'-]*", text)
    i = 0
    while i < len(words):
        if words[i] not in ("a", "an", "the", "one"):
            i += 1
            continue
        j = i + 1
        run: list[str] = []
        while j < len(words) and not _ends_phrase(words[j], run):
            run.append(words[j])
            j += 1
        i = j
        for w in reversed(run):  # the head noun comes last ("a cozy library interior": interior)
            if w in _NOT_A_SUBJECT or w in COLOURS or len(w) < 3:
                if w in _NOT_A_SUBJECT and w == run[-1]:
                    break  # the phrase names scenery: not a subject
                continue
            if w.endswith(_ADJ_ENDINGS) and len(w) > 4 and w != run[-1]:
                continue
            return w
    return None
