"""SynthFaces parameters: what a person and a photo of them are made of, and their sampling.

Lengths are in *face units*: fractions of the image side at zoom 1, measured from the centre of
the face ellipse with y pointing down. Colours are RGB floats in 0..255. An identity's random
numbers come from `(seed, identity)` and an appearance's from `(seed, image index)`, in separate
streams, so they never depend on how many images are drawn.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

RGB = tuple[float, float, float]

HAIR_RGB: dict[str, RGB] = {
    "black": (30, 26, 26),
    "brown": (100, 60, 32),
    "blond": (226, 192, 112),
    "red": (172, 68, 34),
    "gray": (184, 184, 182),
}
EYE_RGB: dict[str, RGB] = {
    "brown": (105, 62, 30),
    "blue": (60, 125, 205),
    "green": (62, 145, 75),
    "gray": (135, 145, 155),
}
# Separate random streams, so identity j and image j never share random numbers.
IDENTITY_STREAM, APPEARANCE_STREAM = 1, 2

PALE_SKIN_MAX_TONE = 0.1  # tones up to this are Pale_Skin; others start well above it
_SKIN_RAMP = np.array(
    [(252, 226, 212), (238, 198, 168), (205, 152, 112), (150, 100, 68), (90, 58, 42)], float
)
_LIPSTICK_RGB = ((192, 28, 48), (206, 62, 98), (150, 22, 40))
_FRAME_RGB = ((22, 22, 24), (70, 40, 22), (170, 30, 35), (35, 60, 150), (205, 175, 95))
_HAIR_STYLE_P = {True: (0.14, 0.64, 0.14, 0.08), False: (0.0, 0.14, 0.36, 0.5)}  # by male
_HAIR_STYLES = ("bald", "short", "medium", "long")


BUSHY_BROW_MIN = 0.024  # brow thickness (face units) from which brows count as bushy


@dataclass(frozen=True)
class IdentityParams:
    """Fixed geometry and colouring of one person; lengths in face units, colours RGB 0..255.

    The named fields (`hair_color`, `eye_color`, `hair_style`, `beard`, ...) are what labels are
    derived from; the `*_rgb` fields are what is drawn. `sample_identity` keeps the two
    consistent, so a hand-edited identity should change both (e.g. `hair_color` and `hair_rgb`).
    """

    male: bool
    face_width: float  # half-width of the face ellipse, about 0.17..0.21
    face_height: float  # half-height, about 0.22..0.26
    jaw_squareness: float  # 0 = round jaw .. 1 = square jaw
    chin_taper: float  # 0 = broad chin .. 1 = pointed chin
    skin_tone: float  # 0 = palest .. 1 = darkest
    skin_rgb: RGB
    eye_spacing: float  # half the distance between the eye centres
    eye_height: float  # y of the eye centres (negative = above the face centre)
    eye_width: float  # half-width of one eye
    eye_openness: float  # eye height / eye width, about 0.45..0.75
    eye_color: str
    iris_rgb: RGB
    brow_thickness: float
    brow_arch: float  # how far the middle of a brow rises above its ends
    brow_rgb: RGB
    nose_length: float
    nose_width: float
    mouth_width: float  # half-width of the mouth
    mouth_height: float  # y of the mouth line
    lipstick: bool
    lip_rgb: RGB
    hair_color: str
    hair_rgb: RGB
    hair_style: str  # "bald" | "short" | "medium" | "long"
    wavy_hair: bool
    bangs: bool
    hair_volume: float  # how far the hair stands off the skull
    hair_part: float  # -1..1, where the hairline dips (a side parting)
    beard: str  # "none" | "mustache" | "full"
    glasses_propensity: float  # probability that an image of this person shows glasses
    glasses_rgb: RGB
    glasses_round: bool


@dataclass(frozen=True)
class AppearanceParams:
    """Per-image variation of an identity: pose, expression, glasses, scene and light."""

    yaw: float  # -1..1, a sideways turn drawn as a shift of the features
    roll_degrees: float  # in-plane head tilt
    offset: tuple[float, float]  # shift of the whole head, face units
    scale: float  # zoom of the whole head, about 0.93..1.07
    smiling: bool
    mouth_open: bool
    eyeglasses: bool
    background_top_rgb: RGB
    background_bottom_rgb: RGB
    clothing_rgb: RGB
    light_angle: float  # radians; direction the light comes from, in the image plane
    light_strength: float  # 0..1, contrast of the light gradient across the image
    brightness: float  # overall gain, about 0.85..1.12
    hair_length_jitter: float  # -1..1, small change of hair length between photos
    hair_wave_phase: float  # radians, where the waves of wavy hair fall


def sample_identity(seed: int, identity: int) -> IdentityParams:
    """The fixed parameters of person `identity` in the set for `seed`."""
    rng = np.random.default_rng([seed, IDENTITY_STREAM, identity])
    male = bool(rng.random() < 0.5)
    skin_tone = _sample_skin_tone(rng)
    skin_rgb = _skin_rgb(skin_tone)
    hair_color = _choose(rng, tuple(HAIR_RGB), (0.3, 0.3, 0.2, 0.08, 0.12))
    hair_rgb = _jitter(rng, HAIR_RGB[hair_color], 0.08)
    eye_color = _choose(rng, tuple(EYE_RGB), (0.45, 0.25, 0.15, 0.15))
    hair_style = _choose(rng, _HAIR_STYLES, _HAIR_STYLE_P[male])
    bushy = rng.random() < (0.35 if male else 0.1)
    eye_height = rng.uniform(-0.03, 0.0)
    nose_length = rng.uniform(0.055, 0.08)
    lipstick = bool(not male and rng.random() < 0.4)
    wears_glasses = rng.random() < 0.25
    return IdentityParams(
        male=male,
        face_width=rng.uniform(0.165, 0.195) + (0.01 if male else 0.0),
        face_height=rng.uniform(0.225, 0.255),
        jaw_squareness=rng.uniform(0.4, 1.0) if male else rng.uniform(0.0, 0.5),
        chin_taper=rng.uniform(0.0, 0.5) if male else rng.uniform(0.3, 1.0),
        skin_tone=skin_tone,
        skin_rgb=skin_rgb,
        eye_spacing=rng.uniform(0.07, 0.088),
        eye_height=eye_height,
        eye_width=rng.uniform(0.03, 0.04),
        eye_openness=rng.uniform(0.45, 0.7) + (0.0 if male else 0.05),
        eye_color=eye_color,
        iris_rgb=_jitter(rng, EYE_RGB[eye_color], 0.06),
        brow_thickness=rng.uniform(0.025, 0.031) if bushy else rng.uniform(0.007, 0.011),
        brow_arch=rng.uniform(0.004, 0.018),
        brow_rgb=_shade(hair_rgb, 0.6 if hair_color in ("blond", "gray") else 0.85),
        nose_length=nose_length,
        nose_width=rng.uniform(0.014, 0.024),
        mouth_width=rng.uniform(0.05, 0.068),
        mouth_height=eye_height + nose_length + rng.uniform(0.05, 0.065),
        lipstick=lipstick,
        lip_rgb=_lip_rgb(rng, skin_rgb, lipstick),
        hair_color=hair_color,
        hair_rgb=hair_rgb,
        hair_style=hair_style,
        wavy_hair=bool(hair_style != "bald" and rng.random() < 0.35),
        bangs=bool(hair_style != "bald" and rng.random() < (0.15 if male else 0.3)),
        hair_volume=rng.uniform(0.01, 0.035),
        hair_part=rng.uniform(-1.0, 1.0),
        beard=_choose(rng, ("none", "mustache", "full"), (0.6, 0.15, 0.25)) if male else "none",
        glasses_propensity=0.85 if wears_glasses else 0.03,
        glasses_rgb=_frame_rgb(rng, skin_rgb),
        glasses_round=bool(rng.random() < 0.4),
    )


def sample_appearance(seed: int, index: int, identity: IdentityParams) -> AppearanceParams:
    """The per-image variation of image `index` (of person `identity`) in the set for `seed`."""
    rng = np.random.default_rng([seed, APPEARANCE_STREAM, index])
    smiling = bool(rng.random() < 0.5)
    background_top, background_bottom = _background_rgbs(rng)
    return AppearanceParams(
        yaw=rng.uniform(-1.0, 1.0),
        roll_degrees=float(np.clip(rng.normal(0.0, 4.0), -9.0, 9.0)),
        offset=(rng.uniform(-0.025, 0.025), rng.uniform(-0.02, 0.02)),
        scale=rng.uniform(0.93, 1.07),
        smiling=smiling,
        mouth_open=bool(rng.random() < (0.5 if smiling else 0.15)),
        eyeglasses=bool(rng.random() < identity.glasses_propensity),
        background_top_rgb=background_top,
        background_bottom_rgb=background_bottom,
        clothing_rgb=_hsv_rgb(rng.random(), rng.uniform(0.2, 0.7), rng.uniform(0.2, 0.85)),
        light_angle=rng.uniform(0.0, 2 * np.pi),
        light_strength=rng.uniform(0.0, 0.35),
        brightness=rng.uniform(0.88, 1.1),
        hair_length_jitter=rng.uniform(-1.0, 1.0),
        hair_wave_phase=rng.uniform(0.0, 2 * np.pi),
    )


def neutral_appearance() -> AppearanceParams:
    """A frontal, unlit, neutral-expression photo on grey: shows an identity and nothing else."""
    return AppearanceParams(
        yaw=0.0,
        roll_degrees=0.0,
        offset=(0.0, 0.0),
        scale=1.0,
        smiling=False,
        mouth_open=False,
        eyeglasses=False,
        background_top_rgb=(150, 150, 150),
        background_bottom_rgb=(120, 120, 120),
        clothing_rgb=(70, 80, 100),
        light_angle=0.0,
        light_strength=0.0,
        brightness=1.0,
        hair_length_jitter=0.0,
        hair_wave_phase=0.0,
    )


def _choose(rng: np.random.Generator, options: tuple[str, ...], probabilities) -> str:
    # Generator.choice(p=...) costs ~30 us a call; walking the cumulative sum is ~10x cheaper.
    threshold = rng.random() * sum(probabilities)
    for option, probability in zip(options, probabilities, strict=True):
        threshold -= probability
        if threshold < 0:
            return option
    return options[-1]


def _sample_skin_tone(rng: np.random.Generator) -> float:
    # The gap between pale and other tones keeps Pale_Skin unambiguous in the pixels.
    if rng.random() < 0.15:
        return rng.uniform(0.0, PALE_SKIN_MAX_TONE)
    return 0.22 + 0.78 * rng.random() ** 1.3  # fewer of the darkest tones than mid ones


def _skin_rgb(tone: float) -> RGB:
    position = tone * (len(_SKIN_RAMP) - 1)
    low = min(int(position), len(_SKIN_RAMP) - 2)
    mix = position - low
    return tuple((_SKIN_RAMP[low] * (1 - mix) + _SKIN_RAMP[low + 1] * mix).tolist())


def _lip_rgb(rng: np.random.Generator, skin_rgb: RGB, lipstick: bool) -> RGB:
    if lipstick:
        return _LIPSTICK_RGB[rng.integers(len(_LIPSTICK_RGB))]
    return tuple(0.62 * s + 0.38 * c for s, c in zip(skin_rgb, (175, 80, 80), strict=True))


def _frame_rgb(rng: np.random.Generator, skin_rgb: RGB) -> RGB:
    # Frames must stand out from the skin, or Eyeglasses would be a label without pixels.
    contrasting = [c for c in _FRAME_RGB if abs(_luma(c) - _luma(skin_rgb)) > 70]
    return contrasting[rng.integers(len(contrasting))]


def _background_rgbs(rng: np.random.Generator) -> tuple[RGB, RGB]:
    hue, saturation, value = rng.random(), rng.uniform(0.05, 0.5), rng.uniform(0.35, 0.95)
    top = _hsv_rgb(hue, saturation, value)
    bottom = _hsv_rgb(hue + rng.uniform(-0.08, 0.08), saturation, value * rng.uniform(0.6, 1.0))
    return top, bottom


def _hsv_rgb(hue: float, saturation: float, value: float) -> RGB:
    return tuple(255.0 * c for c in colorsys.hsv_to_rgb(hue % 1.0, saturation, value))


def _jitter(rng: np.random.Generator, color: RGB, amount: float) -> RGB:
    gain = 1.0 + rng.uniform(-amount, amount)
    return tuple(min(255.0, max(0.0, c * gain + rng.uniform(-6, 6))) for c in color)


def _shade(color: RGB, factor: float) -> RGB:
    return tuple(c * factor for c in color)


def _luma(color: RGB) -> float:
    return 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]
