"""What the renderer can draw: kinds of subject, their motions and where each lives in the picture."""

from __future__ import annotations

from enum import StrEnum


class Kind(StrEnum):
    """A family of procedural shapes (the figures_* modules draw each)."""

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
