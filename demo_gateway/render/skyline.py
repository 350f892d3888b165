"""A city skyline as silhouette layers: blocks, crowns, antennas with beacons, lit windows, neon signs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from demo_gateway.render.noise import mix, smoothstep

if TYPE_CHECKING:
    from demo_gateway.render.terrain import Terrain, _Layer


def city_layers(land: Terrain, water: bool) -> list[_Layer]:
    """The skyline's layers, far to near (its aviation beacons are noted on `land.beacons`)."""
    h, rng, spec = land.h, land.rng, land.spec
    hz = land.horizon
    neon = "neon" in spec.moods
    night = spec.time == "night" or neon
    if water or spec.wet:
        specs = (
            [(0.18, 0.34, 0.7), (0.45, 0.24, 0.85), (1.0, 0.16, 1.0)]
            if spec.wet
            else [(0.15, 0.22, 0.6), (0.35, 0.14, 0.75)]
        )
        ground = [hz + 1] * len(specs)
    else:
        specs = [(0.15, 0.4, 0.7), (0.4, 0.3, 0.85), (1.0, 0.22, 1.0)]
        ground = [hz - 0.02 * h, hz + 0.06 * h, h + 2]
    n = len(specs)
    if neon:
        window_cols = np.array([(255, 70, 190), (70, 220, 255), (255, 196, 90), (160, 110, 255)], np.float32)
    else:
        window_cols = np.array([(255, 206, 130), (255, 226, 170), (200, 224, 255)], np.float32)
    lit_p = 0.32 if night else (0.12 if spec.time in ("sunset", "dawn") else 0.0)
    # over water or a wet street the rows from the horizon down are never seen: fills stop there (the
    # random draws are those of fills down to the frame's foot, so the skyline stays the same)
    bottom = land._land_bottom()
    layers = []
    for k, (par, tall, size) in enumerate(specs):
        shift = land._lateral(par)
        pw = land._pano_width(shift)
        base = ground[k]
        ridge = np.full(pw, float(base), np.float32)
        col = land._layer_colour(k, n) * (1.35 if night else 1.0)
        top = max(0, int(base - tall * h * 1.6) - 8)
        top -= top % 2
        fill = np.broadcast_to(col, (bottom - top, pw, 3)).astype(np.float32).copy()
        ys = np.arange(top, bottom, dtype=np.float32)[:, None]
        x = int(rng.integers(-30, 0))
        win = max(2, int(round(0.0042 * h * size * 1.6)))
        while x < pw:
            bw = int(h * float(rng.uniform(0.05, 0.12)) * size)
            bh = h * tall * float(rng.uniform(0.35, 1.0)) * (1.5 if rng.random() < 0.12 else 1.0)
            x0, x1 = max(0, x), min(pw, x + bw)
            if x1 - x0 > 3:
                btop = base - bh
                ridge[x0:x1] = np.minimum(ridge[x0:x1], btop)
                tone = float(rng.uniform(0.85, 1.12))
                r0 = int(max(top, btop)) - top
                fill[r0:, x0:x1] *= tone
                if rng.random() < 0.35 and x1 - x0 > 12:  # a setback crown
                    cw = (x1 - x0) // 3
                    c0 = x0 + (x1 - x0 - cw) // 2
                    ridge[c0 : c0 + cw] = np.minimum(ridge[c0 : c0 + cw], btop - bh * 0.08)
                    if rng.random() < 0.5:  # an antenna
                        ax = c0 + cw // 2
                        ridge[ax : ax + 2] = np.minimum(ridge[ax : ax + 2], btop - bh * 0.2)
                        if night:
                            land.beacons.append((k, btop - bh * 0.2 + 1, ax))
                # windows
                if lit_p > 0 or spec.time == "day":
                    sx, sy = win * 2 + 1, int(win * 2.6)
                    wy0 = int(btop + sy) - top
                    rows_n = max(0, (h - top - wy0) // sy)
                    cols_n = max(0, (x1 - x0 - win) // sx)
                    if rows_n and cols_n:
                        on = rng.random((rows_n, cols_n)) < (lit_p if lit_p > 0 else 0.5)
                        pick = rng.integers(0, len(window_cols), (rows_n, cols_n))
                        bright = rng.uniform(0.55, 1.0, (rows_n, cols_n))
                        haze = 1.0 - ((k + 1) / n) ** 0.8
                        for rr, cc in zip(*np.nonzero(on), strict=True):
                            yy = wy0 + rr * sy
                            if yy >= bottom - top:
                                break  # this window and those after it are in rows never seen
                            xx = x0 + win // 2 + 1 + cc * sx
                            if lit_p > 0:
                                c = window_cols[pick[rr, cc]] * bright[rr, cc]
                                c = mix(c, land.pal["haze"], haze * 0.6)
                            else:
                                c = fill[yy, xx] * 1.25 + land.pal["zenith"] * 0.1
                            fill[yy : yy + int(win * 1.4), xx : xx + win] = c
                if neon and k == n - 1 and rng.random() < 0.3 and x1 - x0 > 20:  # a vertical neon sign
                    sc = window_cols[int(rng.integers(0, 2))]
                    sx0 = x0 + int((x1 - x0) * 0.2)
                    sy0 = int(btop + bh * 0.15) - top
                    sy1 = sy0 + int(bh * float(rng.uniform(0.2, 0.4)))
                    sw = max(3, win + 2)
                    fill[sy0 - 3 : sy1 + 3, sx0 - 3 : sx0 + sw + 3] = mix(
                        fill[sy0 - 3 : sy1 + 3, sx0 - 3 : sx0 + sw + 3], sc, 0.45
                    )
                    fill[sy0:sy1, sx0 : sx0 + sw] = sc * 1.05
            x += bw + int(rng.integers(0, max(2, int(6 * size))))
        # atmosphere: glow at the base, haze
        glow_col = land.pal["glow"] if night else land.pal["haze"]
        g = smoothstep(base - tall * h * 0.9, base, ys) * (0.5 if night else 0.35) * (1.0 - 0.4 * k / n)
        fill = (
            fill + (glow_col * 0.45 - fill * 0.25) * g[..., None]
            if night
            else mix(fill, glow_col, g[..., None])
        )
        # rooftop rim light from the sky behind
        depth = np.clip(ys - ridge[None, :], 0, None)
        rim_col = land.pal["glow"] if night or spec.time != "day" else land.pal["horizon"]
        fill = fill + rim_col * (0.22 * np.exp(-depth / 2.0))[..., None]
        layers.append(land._finish_layer(ridge, fill, top, shift, stepped=True))
    return layers
