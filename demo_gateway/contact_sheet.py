"""A contact sheet of the demo renderer: one mid-clip frame of each prompt, labelled, in a PNG grid.

Run: python -m demo_gateway.contact_sheet out.png [--prompts file] [--seed N] [--seconds S]
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont

from demo_gateway.render import render_text_to_video

PROMPTS: tuple[str, ...] = (
    "A time-lapse of a flower blooming in a sunlit garden",
    "a red car driving along a coastal road at sunset",
    "a hot air balloon rising over the valley at dawn",
    "a lighthouse at night, its beam sweeping the stormy sea",
    "a hummingbird hovering by a flower",
    "a sailboat on a calm lake at golden hour",
    "a flock of birds flying across the sky at sunset",
    "a woman walking through a forest in autumn",
    "two dogs running on the beach",
    "rain falling on a neon city at night",
    "a whale leaping out of the ocean",
    "a horse galloping across a meadow",
    "an astronaut floating above the moon",
    "a cozy cabin in snowy mountains at night",
    "a steaming cup of coffee on a table, morning light",
    "a windmill turning in a field of tulips",
    "a rocket launching into the night sky",
    "a butterfly fluttering over flowers in a garden",
    "a dragon flying over a castle",
    "a pirate ship sailing through a storm",
    "a robot walking down a rainy street",
    "a cat sitting on a rooftop under the stars",
    "an airplane flying over the clouds at sunrise",
    "a campfire in the desert under the stars",
    "a deer in a misty forest at dawn",
    "a yellow bus driving through the city",
    "a hot air balloon festival with balloons rising",
    "an elephant walking across the savanna at sunset",
    "a penguin walking on the ice",
    "a giant jellyfish drifting in the sea at night",
    "a slice of pizza, comic style",
    "a watercolour painting of a fox in a meadow",
    "a lone tree on a hill, film noir",
    "a train crossing a bridge in the mountains",
    "a shooting star over the desert",
    "a bonsai tree growing, time-lapse",
    "an owl flying through the woods at night",
    "a birthday cake with candles",
    "an accordion player in paris",
    "a cyclist riding along a country road",
)


def middle_frame(path: Path) -> Image.Image:
    with av.open(str(path)) as container:
        frames = [f.to_image() for f in container.decode(video=0)]
    return frames[len(frames) // 2]


def contact_sheet(
    prompts: list[str], out: Path, *, seed: int = 1, seconds: float = 2.0, cols: int = 5, tile_w: int = 384
) -> Path:
    tile_h = tile_w * 9 // 16
    label_h = 34
    rows = (len(prompts) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * tile_w, rows * (tile_h + label_h)), (18, 18, 22))
    font = ImageFont.load_default(size=13)
    draw = ImageDraw.Draw(sheet)
    with tempfile.TemporaryDirectory() as tmp:
        for k, prompt in enumerate(prompts):
            clip = Path(tmp) / f"{k}.mp4"
            render_text_to_video(prompt, seconds, "16:9", clip, seed=seed)
            frame = middle_frame(clip).resize((tile_w, tile_h), Image.Resampling.LANCZOS)
            x, y = (k % cols) * tile_w, (k // cols) * (tile_h + label_h)
            sheet.paste(frame, (x, y))
            text = prompt if len(prompt) <= 52 else prompt[:50] + "…"
            draw.text((x + 6, y + tile_h + 9), text, fill=(230, 230, 230), font=font)
    out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(out)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument(
        "--prompts", type=Path, help="a text file, one prompt a line (default: the built-in 40)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    prompts = list(PROMPTS)
    if args.prompts:
        prompts = [p.strip() for p in args.prompts.read_text(encoding="utf-8").splitlines() if p.strip()]
    contact_sheet(prompts, args.out, seed=args.seed, seconds=args.seconds)


if __name__ == "__main__":
    main()
