"""Hair of SynthFaces: bald fringes, short caps and curls, medium and long hair, bangs, waves.

The back of long hair is drawn before the body and face, the front (cap, fringe, locks that
frame the face) after the features, so hair falls behind the shoulders and over the forehead.
"""

from __future__ import annotations

import math

import numpy as np

from facegan.data.synthfaces_canvas import (
    DEPTH_BACK,
    DEPTH_HAIR_FRONT,
    Painter,
    curve,
    ellipse,
    shade,
)
from facegan.data.synthfaces_params import AppearanceParams, IdentityParams


def _hair_length(identity: IdentityParams, appearance: AppearanceParams) -> float:
    """y (face units) where long or medium hair ends, varied a little between photos."""
    base = {"medium": 0.17, "long": 0.42}[identity.hair_style]
    return base + 0.04 * appearance.hair_length_jitter


def _wave(y: np.ndarray, identity: IdentityParams, appearance: AppearanceParams) -> np.ndarray:
    if not identity.wavy_hair:
        return np.zeros_like(y)
    return 0.032 * np.sin(y * 40.0 + appearance.hair_wave_phase)


def _skull_top(identity: IdentityParams, volume: float, num_points: int = 24) -> np.ndarray:
    """(k, 2) upper arc of the hair mass, from the left temple over the top to the right."""
    rx = identity.face_width * 1.04 + volume
    ry = identity.face_height * 1.04 + volume
    return ellipse(0.0, -0.01, rx, ry, num_points, math.pi * 0.95, math.pi * 2.05)


def draw_back_hair(painter: Painter, identity: IdentityParams, appearance: AppearanceParams):
    if identity.hair_style == "bald":
        _draw_bald_fringe(painter, identity)
        return
    if identity.hair_style == "short":
        return
    top = _skull_top(identity, identity.hair_volume)
    end = _hair_length(identity, appearance)
    side_y = np.linspace(top[-1, 1], end, 10)
    width = top[-1, 0] + 0.015
    right = np.stack(
        [width + 0.04 * (side_y - side_y[0]) + _wave(side_y, identity, appearance), side_y], axis=1
    )
    left = right[::-1] * (-1, 1)
    painter.fill(np.vstack([top, right, left]), shade(identity.hair_rgb, 0.8), DEPTH_BACK)


def draw_front_hair(painter: Painter, identity: IdentityParams, appearance: AppearanceParams):
    if identity.hair_style == "bald":
        _draw_bald_temples(painter, identity)
        return
    volume = identity.hair_volume * (0.6 if identity.hair_style == "short" else 1.0)
    if identity.wavy_hair and identity.hair_style == "short":
        # Short wavy hair reads as curls: fuller, with a bumpy outer edge.
        top = _skull_top(identity, volume + 0.01, num_points=43)
        bumps = 1.0 + 0.09 * np.abs(np.sin(np.linspace(0, 7 * math.pi, len(top))))
        top = top * bumps[:, None]
    else:
        top = _skull_top(identity, volume)
    painter.fill(np.vstack([top, _hairline(identity)]), identity.hair_rgb, DEPTH_HAIR_FRONT)
    if identity.hair_style in ("medium", "long"):
        _draw_side_locks(painter, identity, appearance)


def _hairline(identity: IdentityParams) -> np.ndarray:
    """(k, 2) lower edge of the front hair, from the right temple to the left one."""
    w, temple_y = identity.face_width, identity.eye_height - 0.02
    brow_top = identity.eye_height - identity.eye_width * identity.eye_openness - 0.05
    if identity.bangs:
        # Bangs: a fringe that ends just above the brows, with a jagged edge.
        x = np.linspace(w * 1.02, -w * 1.02, 15)
        y = brow_top + 0.012 * (np.arange(15) % 2) - 0.04 * (np.abs(x) / w) ** 4
        return np.vstack([[[w * 1.05, temple_y]], np.stack([x, y], axis=1)])
    part_x = identity.hair_part * w * 0.6
    forehead = identity.face_height * -0.62
    right = curve(part_x, w * 1.03, temple_y, forehead, num_points=8)
    left = curve(-w * 1.03, part_x, temple_y, forehead - 0.02, num_points=8)
    return np.vstack([right[::-1], left[::-1]])


def _draw_side_locks(painter: Painter, identity: IdentityParams, appearance: AppearanceParams):
    """Strands of medium or long hair that frame the face down to the jaw or beyond."""
    end = min(_hair_length(identity, appearance), identity.face_height * 0.95)
    w = identity.face_width
    y = np.linspace(identity.eye_height - 0.06, end, 10)
    wave = _wave(y, identity, appearance)
    outer = w * 1.08 + wave
    inner = w * 0.9 + 0.5 * wave - 0.02 * np.clip((y - y[0]) / (end - y[0]), 0, 1)
    strand_color = shade(identity.hair_rgb, 0.7)
    for side in (-1, 1):
        lock = np.vstack(
            [np.stack([side * outer, y], axis=1), np.stack([side * inner, y], 1)[::-1]]
        )
        painter.fill(lock, identity.hair_rgb, DEPTH_HAIR_FRONT)
        # A darker strand down the lock repeats its shape: straight or waving.
        strand = np.stack([side * (outer + inner) / 2, y], axis=1)[2:]
        painter.stroke(strand, strand_color, 0.008, DEPTH_HAIR_FRONT)


def _draw_bald_fringe(painter: Painter, identity: IdentityParams) -> None:
    """Bald people keep a fringe around the back of the head, which shows their hair colour."""
    y = identity.eye_height - 0.01
    painter.fill(ellipse(0.0, y, identity.face_width + 0.022, 0.075), identity.hair_rgb, DEPTH_BACK)


def _draw_bald_temples(painter: Painter, identity: IdentityParams) -> None:
    for side in (-1, 1):
        patch = ellipse(side * identity.face_width * 0.97, identity.eye_height - 0.02, 0.018, 0.045)
        painter.fill(patch, identity.hair_rgb, DEPTH_BACK)
