"""The prompt's subjects: a lexicon of the common nouns of video prompts, each with a drawable kind and motion."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

import numpy as np


class Kind(StrEnum):
    """A family of procedural shapes (figures.py draws each)."""

    FLOWER = "flower"
    TREE = "tree"
    PERSON = "person"
    ANIMAL = "animal"  # four-legged
    BIRD = "bird"
    INSECT = "insect"
    FISH = "fish"
    VEHICLE = "vehicle"
    BOAT = "boat"
    AIRCRAFT = "aircraft"
    BALLOON = "balloon"
    BUILDING = "building"
    LIGHTHOUSE = "lighthouse"
    WINDMILL = "windmill"
    CELESTIAL = "celestial"
    FIRE = "fire"
    CUP = "cup"
    ROUND = "round"  # fruit, balls, clocks, planets on a table or in the air
    CAKE = "cake"
    EMBLEM = "emblem"  # any other noun: a badge with the word


class Motion(StrEnum):
    """How a subject moves over the clip."""

    BLOOM = "bloom"
    GROW = "grow"
    SWAY = "sway"
    WALK = "walk"
    RUN = "run"
    DANCE = "dance"
    STILL = "still"
    DRIVE = "drive"
    SAIL = "sail"
    FLY = "fly"
    HOVER = "hover"
    RISE = "rise"
    FALL = "fall"
    SWIM = "swim"
    JUMP = "jump"
    SPIN = "spin"
    FLOAT = "float"
    SWEEP = "sweep"
    FLICKER = "flicker"
    STEAM = "steam"


# Where each kind lives in the picture.
class Habitat(StrEnum):
    GROUND = "ground"
    WATER = "water"
    SKY = "sky"


HABITAT: dict[Kind, Habitat] = {
    Kind.FLOWER: Habitat.GROUND,
    Kind.TREE: Habitat.GROUND,
    Kind.PERSON: Habitat.GROUND,
    Kind.ANIMAL: Habitat.GROUND,
    Kind.BIRD: Habitat.SKY,
    Kind.INSECT: Habitat.SKY,
    Kind.FISH: Habitat.WATER,
    Kind.VEHICLE: Habitat.GROUND,
    Kind.BOAT: Habitat.WATER,
    Kind.AIRCRAFT: Habitat.SKY,
    Kind.BALLOON: Habitat.SKY,
    Kind.BUILDING: Habitat.GROUND,
    Kind.LIGHTHOUSE: Habitat.GROUND,
    Kind.WINDMILL: Habitat.GROUND,
    Kind.CELESTIAL: Habitat.SKY,
    Kind.FIRE: Habitat.GROUND,
    Kind.CUP: Habitat.GROUND,
    Kind.ROUND: Habitat.GROUND,
    Kind.CAKE: Habitat.GROUND,
    Kind.EMBLEM: Habitat.SKY,
}

# The motions a kind can show; the first is its default. A verb in the prompt picks another.
MOTIONS: dict[Kind, tuple[Motion, ...]] = {
    Kind.FLOWER: (Motion.BLOOM, Motion.GROW, Motion.SWAY),
    Kind.TREE: (Motion.SWAY, Motion.GROW, Motion.BLOOM),
    Kind.PERSON: (Motion.WALK, Motion.RUN, Motion.DANCE, Motion.STILL, Motion.FLOAT),
    Kind.ANIMAL: (Motion.WALK, Motion.RUN, Motion.STILL, Motion.JUMP),
    Kind.BIRD: (Motion.FLY, Motion.HOVER, Motion.SWIM, Motion.WALK, Motion.RISE),
    Kind.INSECT: (Motion.FLY, Motion.HOVER),
    Kind.FISH: (Motion.SWIM, Motion.JUMP),
    Kind.VEHICLE: (Motion.DRIVE, Motion.STILL),
    Kind.BOAT: (Motion.SAIL, Motion.STILL),
    Kind.AIRCRAFT: (Motion.FLY, Motion.HOVER, Motion.RISE),
    Kind.BALLOON: (Motion.RISE, Motion.FLOAT, Motion.FLY),
    Kind.BUILDING: (Motion.STILL,),
    Kind.LIGHTHOUSE: (Motion.SWEEP,),
    Kind.WINDMILL: (Motion.SPIN,),
    Kind.CELESTIAL: (Motion.FLOAT, Motion.FALL, Motion.FLY, Motion.RISE),
    Kind.FIRE: (Motion.FLICKER,),
    Kind.CUP: (Motion.STEAM,),
    Kind.ROUND: (Motion.SPIN, Motion.FALL, Motion.FLOAT, Motion.JUMP),
    Kind.CAKE: (Motion.SPIN, Motion.STILL),
    Kind.EMBLEM: (Motion.FLOAT,),
}

# noun forms (comma-separated) | kind | variant | motion ("" = the kind's default) | colour ("" = chosen by the seed)
_LEXICON = """
flower,flowers,blossom,blossoms,bloom|flower|daisy||
rose,roses|flower|rose||crimson
tulip,tulips|flower|tulip||
sunflower,sunflowers|flower|sunflower||gold
daisy,daisies|flower|daisy||white
lotus,lily,lilies,water lily|flower|lotus||pink
orchid,orchids|flower|lotus||violet
poppy,poppies|flower|rose||scarlet
lavender|flower|tulip||lavender
mushroom,mushrooms,toadstool|flower|mushroom|grow|red
tree|tree|oak||
oak,oak tree|tree|oak||
pine tree,fir|tree|pine||
palm tree,palm trees,palm|tree|palm||
cherry tree,cherry blossom,cherry blossoms,sakura|tree|cherry|bloom|pink
willow|tree|willow||
maple|tree|oak||orange
cactus,cacti|tree|cactus||
bonsai|tree|oak||
person,man,woman,people,girl,boy,child,children,kid,kids,figure,lady,guy|person|adult||
dancer,dancers,ballerina|person|adult|dance|
runner,jogger,athlete|person|adult|run|
hiker,traveler,traveller,explorer,wanderer|person|adult|walk|
knight,warrior,soldier,samurai|person|adult||steel
astronaut,astronauts|person|astronaut|float|white
robot,robots,android,cyborg|person|robot||steel
snowman|person|snowman|still|white
ghost,ghosts,spirit|person|ghost|float|white
wizard,witch,monk|person|adult||violet
dog,dogs,puppy,puppies|animal|dog||
cat,cats,kitten,kittens|animal|cat||
horse,horses,pony,stallion|animal|horse|run|
unicorn|animal|horse|run|white
deer,stag,fawn,reindeer|animal|deer||
fox,foxes|animal|fox||orange
wolf,wolves|animal|wolf||grey
lion,lions,lioness|animal|lion||gold
tiger,tigers|animal|tiger||orange
cow,cows,cattle|animal|cow||
sheep,lamb|animal|sheep||white
elephant,elephants|animal|elephant||grey
bear,bears|animal|bear||brown
polar bear|animal|bear||white
panda,pandas|animal|bear||panda
rabbit,rabbits,bunny,hare|animal|rabbit|jump|
giraffe,giraffes|animal|giraffe||gold
dinosaur,dinosaurs,t-rex|animal|dinosaur||green
pig,pigs|animal|pig||pink
goat,goats|animal|sheep||
camel,camels|animal|horse||sand
zebra|animal|horse||white
squirrel|animal|rabbit||brown
bird,birds,songbird,sparrow,robin|bird|small||
eagle,eagles,hawk,falcon|bird|eagle||brown
owl,owls|bird|owl||brown
hummingbird,hummingbirds|bird|hummingbird|hover|emerald
parrot,parrots,macaw|bird|small||scarlet
seagull,seagulls,gull,gulls|bird|gull||white
crow,crows,raven,ravens|bird|small||black
swan,swans|bird|swan|swim|white
duck,ducks|bird|swan|swim|
penguin,penguins|bird|penguin|walk|black
flamingo,flamingos|bird|swan|walk|pink
dragon,dragons|bird|dragon||emerald
phoenix|bird|dragon||flame
butterfly,butterflies,moth|insect|butterfly||
bee,bees|insect|bee|hover|gold
dragonfly,dragonflies|insect|butterfly||teal
fish,goldfish,koi,salmon,trout|fish|fish||
whale,whales|fish|whale|jump|slate
dolphin,dolphins|fish|dolphin|jump|slate
shark,sharks|fish|shark|swim|slate
jellyfish|fish|jellyfish|swim|violet
turtle,turtles|fish|turtle|swim|green
car,cars|vehicle|car||
taxi,cab|vehicle|car||gold
sports car,race car,racecar|vehicle|car||crimson
truck,trucks,lorry,pickup|vehicle|truck||
bus,buses|vehicle|bus||gold
van|vehicle|truck||white
jeep,suv|vehicle|truck||green
motorcycle,motorbike,scooter|vehicle|bike||black
bicycle,bike,cyclist|vehicle|bike||
tractor|vehicle|truck||green
train,trains,locomotive,tram|vehicle|train||
boat,boats|boat|sail||
sailboat,sailboats,sailing boat,yacht,yachts|boat|sail||white
ship,ships,ferry,steamship|boat|ship||
pirate ship,galleon|boat|galleon||brown
canoe,kayak,rowboat,gondola|boat|canoe||
submarine|boat|ship||gold
airplane,airplanes,aeroplane,plane,planes,jet,jets,airliner|aircraft|plane||white
helicopter|aircraft|helicopter|hover|
drone,drones|aircraft|drone|hover|black
spaceship,spacecraft,starship|aircraft|plane||steel
ufo,flying saucer|aircraft|ufo|hover|steel
rocket,rockets,space shuttle|aircraft|rocket|rise|white
hot air balloon,hot-air balloon,hot air balloons,balloon,balloons|balloon|hot air||
kite,kites|balloon|kite|float|
lantern,lanterns,sky lantern|balloon|lantern|rise|amber
blimp,zeppelin,airship|balloon|blimp|fly|
house,houses,home|building|house||
cottage,cabin,chalet|building|cottage||
castle,castles,palace,fortress|building|castle||
church,chapel,cathedral|building|church||
temple,pagoda,shrine|building|pagoda||crimson
barn,farmhouse|building|barn||crimson
tower|building|tower||
skyscraper,skyscrapers|building|tower||steel
tent,tents|building|tent||
igloo|building|igloo||white
hut|building|cottage||
bridge,bridges|building|bridge||
lighthouse,lighthouses|lighthouse|lighthouse||white
windmill,windmills|windmill|windmill||white
wind turbine,wind turbines|windmill|turbine||white
moon|celestial|moon||
planet,planets,saturn,jupiter|celestial|planet||
earth,globe|celestial|earth||
comet,comets,shooting star,shooting stars,meteor,meteors|celestial|comet|fall|
rainbow|celestial|rainbow||
campfire,bonfire,fire|fire|campfire||
candle,candles|fire|candle||
torch,torches|fire|candle||
fireplace|fire|campfire||
cup,coffee,tea,mug,espresso,latte,cappuccino|cup|cup||
apple,apples|round|apple||red
orange,oranges|round|orange||orange
lemon,lemons|round|orange||yellow
ball,balls,football,soccer ball,basketball|round|ball||
pumpkin,pumpkins|round|orange||orange
clock,clocks,watch|round|clock||
bubble,bubbles|round|bubble|float|
coin,coins|round|coin||gold
pearl|round|bubble||white
crystal,crystals,diamond,gem,gems|round|gem|spin|teal
cake,cakes,cupcake,cupcakes|cake|cake||pink
pie|cake|pie||gold
pizza|cake|pizza||
burger,hamburger|cake|burger||
donut,doughnut|cake|donut||pink
bread,loaf,croissant|cake|bread||gold
ice cream|cake|icecream||pink
"""

_VERBS: tuple[tuple[Motion, str], ...] = (
    (Motion.BLOOM, r"bloom\w*|blossom\w*|opens?|opening|unfold\w*|unfurl\w*"),
    (Motion.GROW, r"grow\w*|sprout\w*"),
    (Motion.SWAY, r"sway\w*|rustl\w*|wav(?:es|ing) in the wind"),
    (Motion.RUN, r"run|runs|running|gallop\w*|sprint\w*|chas\w*|rac(?:es|ing)|dash\w*"),
    (Motion.WALK, r"walk\w*|stroll\w*|wander\w*|hik(?:es|ing)|march\w*|trot\w*|strid\w*"),
    (Motion.DANCE, r"danc\w*|twirl\w*|spinning around"),
    (Motion.STILL, r"sits?|sitting|rests?|resting|sleep\w*|stands?|standing|parked|waits?|waiting"),
    (Motion.DRIVE, r"driv\w*|speed\w*|cruis\w*|rid(?:es|ing)|roll(?:s|ing) along"),
    (Motion.SAIL, r"sail\w*|drift\w* across|glid\w* across the water"),
    (Motion.HOVER, r"hover\w*|feeds?|feeding|sipping"),
    (Motion.FLY, r"fly|flies|flying|soar\w*|glid\w*|flap\w*|swoop\w*|flight|flock\w* across"),
    (Motion.RISE, r"ris(?:e|es|ing)|ascend\w*|lift\w* off|launch\w*|tak(?:es|ing) off|float\w* up\w*"),
    (Motion.FALL, r"fall\w*|drop\w*|tumbl\w*|streak\w*|rain(?:s|ing) down"),
    (Motion.SWIM, r"swim\w*|paddl\w*"),
    (Motion.JUMP, r"jump\w*|leap\w*|breach\w*|hop\w*|bounc\w*"),
    (Motion.SPIN, r"spin\w*|rotat\w*|turn(?:s|ing)|revolv\w*|whirl\w*"),
    (Motion.FLOAT, r"float\w*|drift\w*|bob\w*"),
    (Motion.SWEEP, r"sweep\w*|beam\w*|shin\w*"),
)

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (200, 40, 40),
    "crimson": (170, 24, 48),
    "scarlet": (220, 50, 30),
    "orange": (236, 120, 30),
    "amber": (255, 176, 60),
    "gold": (232, 180, 40),
    "golden": (232, 180, 40),
    "yellow": (240, 208, 50),
    "green": (60, 150, 70),
    "emerald": (30, 160, 110),
    "teal": (30, 150, 160),
    "blue": (40, 90, 200),
    "navy": (30, 44, 100),
    "purple": (120, 60, 170),
    "violet": (140, 80, 200),
    "lavender": (170, 140, 220),
    "pink": (236, 120, 170),
    "white": (236, 236, 232),
    "silver": (190, 196, 206),
    "steel": (130, 140, 156),
    "grey": (128, 128, 132),
    "gray": (128, 128, 132),
    "slate": (84, 96, 118),
    "black": (34, 34, 40),
    "brown": (120, 76, 44),
    "sand": (200, 164, 110),
    "panda": (236, 236, 232),
    "flame": (250, 110, 30),
}
# what the seed picks from when the prompt names no colour
_SEED_COLOURS = ("red", "blue", "gold", "teal", "orange", "pink", "green", "violet", "white", "crimson")
_KIND_COLOURS: dict[Kind, tuple[str, ...]] = {
    Kind.ANIMAL: ("brown", "sand", "black", "white", "grey", "gold"),
    Kind.TREE: ("green", "emerald", "green", "gold"),
    Kind.BUILDING: ("white", "sand", "brown", "crimson", "grey"),
    Kind.BIRD: ("brown", "slate", "black", "white", "slate"),
    Kind.FISH: ("orange", "gold", "teal", "silver"),
    Kind.CELESTIAL: ("white", "gold", "teal", "sand"),
    Kind.FIRE: ("amber", "orange"),
    Kind.CUP: ("white", "teal", "crimson", "navy", "sand"),
    Kind.LIGHTHOUSE: ("white",),
    Kind.WINDMILL: ("white", "sand"),
}

_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "pair of": 2, "couple of": 2, "a few": 3}
_GROUPS = r"flock|herd|pack|school|swarm|group|fleet|field|bunch|row|line|crowd|family|cluster"


@dataclass(frozen=True)
class Entry:
    kind: Kind
    variant: str
    motion: Motion | None
    colour: str | None


def _read_lexicon() -> dict[str, Entry]:
    table: dict[str, Entry] = {}
    for line in _LEXICON.strip().splitlines():
        forms, kind, variant, motion, colour = line.split("|")
        entry = Entry(Kind(kind), variant, Motion(motion) if motion else None, colour or None)
        for form in forms.split(","):
            table.setdefault(form, entry)
    return table


LEXICON: dict[str, Entry] = _read_lexicon()
_PHRASES = sorted((k for k in LEXICON if " " in k), key=len, reverse=True)
_NOUN_RE = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in _PHRASES) + r"|[a-z][a-z'-]*)\b")


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
    for motion, pattern in _VERBS:
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
    for m in _NOUN_RE.finditer(text):
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
        seeded = str(pick.choice(_KIND_COLOURS.get(entry.kind, _SEED_COLOURS)))
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
    return (Subject(noun, Kind.EMBLEM, "badge", Motion.FLOAT, 1, COLOURS[str(pick.choice(_SEED_COLOURS))]),)


_FUNCTION_TEXT = (
    "a an the of in on at over under above below into onto through across along by with without and or"
    " its it their his her this that these those some as from to for near behind beside between among"
    " while is are was were be being been who which"
)
_FUNCTION_WORDS = set(_FUNCTION_TEXT.split())


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
        while j < len(words) and words[j] not in _FUNCTION_WORDS:
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
