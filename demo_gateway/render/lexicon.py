"""The words the renderer knows: prompt nouns (kind, variant, motion, colour), verbs and colour names."""

from __future__ import annotations

import re
from dataclasses import dataclass

from demo_gateway.render.kinds import Kind, Motion

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
musician,musicians,player,players,singer,guitarist,pianist,violinist,drummer,band,street performer|person|adult||
chef,cook,baker,barista,waiter,waitress,bartender,vendor,shopkeeper,farmer,gardener,fisherman,shepherd|person|adult||
couple,family,crowd,friends,tourist,tourists,pedestrian,pedestrians,commuter,commuters|person|adult||
baby,toddler,teenager,teen,grandmother,grandfather,grandma,grandpa,old man,old woman,elderly man,elderly woman|person|adult||
king,queen,prince,princess,bride,groom,model,actor,actress,businessman,businesswoman,worker,student,teacher|person|adult||
doctor,nurse,scientist,detective,police officer,policeman,firefighter,photographer,painter,artist,magician,clown|person|adult||
pirate,pirates,cowboy,cowgirl,sailor,captain,pilot,ninja,superhero,vampire,zombie,elf,fairy,alien,aliens|person|adult||
surfer,surfers,skier,skiers,snowboarder,skater,skateboarder,rider,horseman|person|adult|run|
swimmer,swimmers,diver,divers,scuba diver,mermaid|person|adult|swim|
climber,mountaineer|person|adult|walk|
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

VERBS: tuple[tuple[Motion, str], ...] = (
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
SEED_COLOURS = ("red", "blue", "gold", "teal", "orange", "pink", "green", "violet", "white", "crimson")
KIND_COLOURS: dict[Kind, tuple[str, ...]] = {
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
NOUN_RE = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in _PHRASES) + r"|[a-z][a-z'-]*)\b")
