"""Drawing of SynthFaces: identity + appearance parameters in, uint8 pixels out.

The face is drawn with `PIL.ImageDraw` on a supersampled canvas (side >= 256 px) and reduced by
averaging sub-pixels, which anti-aliases every edge; the light gradient is applied afterwards on
the small image, where it is cheap. Shapes are in face units (`synthfaces_canvas`); the hair has
its own module (`synthfaces_hair`). This module knows nothing about labels.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from facegan.data.synthfaces_canvas import (
    DEPTH_BACK,
    DEPTH_FEATURES,
    DEPTH_NOSE,
    Painter,
    curve,
    ellipse,
    rounded_rectangle,
    shade,
    unit_circle,
)
from facegan.data.synthfaces_hair import draw_back_hair, draw_front_hair
from facegan.data.synthfaces_params import AppearanceParams, IdentityParams

MIN_CANVAS_SIDE = 256  # supersampled canvas side: small images get a larger factor


def supersample_factor(size: int) -> int:
    """Canvas pixels per output pixel: at least 2, and enough for a canvas of >= 256 px."""
    return max(2, math.ceil(MIN_CANVAS_SIDE / size))


def render_face(identity: IdentityParams, appearance: AppearanceParams, size: int) -> np.ndarray:
    """Draw one face; returns (size, size, 3) uint8. Pure function of its arguments."""
    factor = supersample_factor(size)
    canvas_side = size * factor
    painter = Painter.for_pose(appearance, canvas_side)
    _draw_head(painter, identity, appearance)
    image = _background(appearance, canvas_side)
    painter.paint(ImageDraw.Draw(image))
    # Averaging each pixel's factor x factor sub-pixels is exact area coverage: the standard
    # supersampling filter, free of Lanczos ringing and about 10x faster.
    small = image.reduce(factor)
    return _apply_light(np.asarray(small), appearance)


def _background(appearance: AppearanceParams, side: int) -> Image.Image:
    """A vertical gradient: one column of colours stretched sideways (cheaper than compositing)."""
    ramp = np.linspace(0.0, 1.0, side)[:, None]  # (side, 1)
    top, bottom = (
        np.array(appearance.background_top_rgb),
        np.array(appearance.background_bottom_rgb),
    )
    column = np.clip(top + (bottom - top) * ramp + 0.5, 0, 255).astype(np.uint8)  # (side, 3)
    strip = Image.frombytes("RGB", (1, side), column.tobytes())
    return strip.resize((side, side), Image.Resampling.NEAREST)


def _apply_light(pixels: np.ndarray, appearance: AppearanceParams) -> np.ndarray:
    """Multiply by a linear light ramp: brighter towards the light, darker away from it."""
    size = pixels.shape[0]
    coords = (np.arange(size) + 0.5) / size - 0.5
    cos, sin = math.cos(appearance.light_angle), math.sin(appearance.light_angle)
    towards_light = coords[None, :] * cos + coords[:, None] * sin  # (size, size) in -0.71..0.71
    gain = appearance.brightness * (1.0 + appearance.light_strength * towards_light)
    lit = pixels * gain[:, :, None].astype(np.float32) + 0.5
    return np.clip(lit, 0, 255, out=lit).astype(np.uint8)


def _face_outline(identity: IdentityParams, num_points: int = 40) -> np.ndarray:
    """(num_points, 2) face contour: an ellipse on top, a squarer, tapering jaw below."""
    circle = unit_circle(num_points, 0.0, 2 * math.pi)
    cos, sin = circle[:, 0], circle[:, 1]
    lower = sin > 0
    # A superellipse exponent below 1 pushes the lower contour towards a square jaw.
    exponent = 1.0 - 0.45 * identity.jaw_squareness
    x = np.where(lower, np.sign(cos) * np.abs(cos) ** exponent, cos)
    y = np.where(lower, np.sign(sin) * np.abs(sin) ** exponent, sin)
    x = x * (1.0 - 0.35 * identity.chin_taper * np.clip(y, 0, 1) ** 2)
    return np.stack([x * identity.face_width, y * identity.face_height], axis=1)


def _draw_head(painter: Painter, identity: IdentityParams, appearance: AppearanceParams) -> None:
    # Back to front: what is drawn later covers what was drawn before.
    draw_back_hair(painter, identity, appearance)
    _draw_body(painter, identity, appearance)
    _draw_ears(painter, identity)
    _draw_face(painter, identity, appearance)
    if identity.beard == "full":
        _draw_full_beard(painter, identity)
    _draw_nose(painter, identity)
    _draw_mouth(painter, identity, appearance)
    if identity.beard in ("mustache", "full"):
        _draw_mustache(painter, identity)
    if appearance.eyeglasses:
        _draw_lens_glare(painter, identity)
    _draw_eyes(painter, identity)
    _draw_brows(painter, identity)
    draw_front_hair(painter, identity, appearance)
    if appearance.eyeglasses:
        _draw_glasses_frame(painter, identity)


def _draw_body(painter: Painter, identity: IdentityParams, appearance: AppearanceParams):
    neck_half = identity.face_width * 0.48
    top = identity.face_height * 0.5
    neck = np.array([[-neck_half, top], [neck_half, top], [neck_half, 0.6], [-neck_half, 0.6]])
    painter.fill(neck, shade(identity.skin_rgb, 0.78))
    shoulders = ellipse(0.0, 0.58, 0.42, 0.2, start=math.pi, stop=2 * math.pi)
    shoulders = np.vstack([shoulders, [[0.42, 0.7], [-0.42, 0.7]]])
    painter.fill(shoulders, appearance.clothing_rgb)
    neckline = np.vstack(
        [
            [[neck_half * 1.4, 0.37], [-neck_half * 1.4, 0.37]],
            curve(-neck_half * 1.4, neck_half * 1.4, 0.37, 0.44, num_points=8),
        ]
    )
    painter.fill(neckline, shade(identity.skin_rgb, 0.78))


def _draw_ears(painter: Painter, identity: IdentityParams) -> None:
    for side in (-1, 1):
        ear = ellipse(side * identity.face_width * 0.97, identity.eye_height + 0.03, 0.03, 0.05)
        painter.fill(ear, shade(identity.skin_rgb, 0.9), DEPTH_BACK)


def _draw_face(painter: Painter, identity: IdentityParams, appearance: AppearanceParams):
    outline = _face_outline(identity)
    painter.fill(outline, shade(identity.skin_rgb, 0.86))
    # A lit inner face, shifted towards the light, gives the head a rounded look.
    toward_light = 0.012 * np.array(
        [math.cos(appearance.light_angle), math.sin(appearance.light_angle)]
    )
    painter.fill(outline * 0.9 + toward_light, identity.skin_rgb)


def _draw_full_beard(painter: Painter, identity: IdentityParams) -> None:
    outline = _face_outline(identity) * 1.03
    jaw = outline[outline[:, 1] > identity.mouth_height - 0.06]
    jaw = jaw[np.argsort(np.arctan2(jaw[:, 1], jaw[:, 0]))]  # left-to-right around the chin
    jaw = jaw[::-1]
    upper = curve(jaw[-1, 0], jaw[0, 0], jaw[0, 1], identity.mouth_height - 0.035, num_points=10)
    painter.fill(np.vstack([jaw, upper]), identity.hair_rgb)


def _draw_nose(painter: Painter, identity: IdentityParams) -> None:
    tip_y = identity.eye_height + identity.nose_length
    half = identity.nose_width
    shadow = shade(identity.skin_rgb, 0.72)
    bridge = np.array([[0.01, identity.eye_height + 0.03], [0.015, tip_y - 0.01]])
    painter.stroke(bridge, shadow, 0.006, DEPTH_NOSE)
    base = curve(-half, half, tip_y - 0.012, tip_y + 0.006, num_points=8)
    painter.stroke(base, shadow, 0.008, DEPTH_NOSE)


def _draw_mouth(painter: Painter, identity: IdentityParams, appearance: AppearanceParams):
    y, half = identity.mouth_height, identity.mouth_width
    if appearance.smiling:
        half *= 1.12  # a smile pulls the corners apart
    lips, dark = identity.lip_rgb, (70, 20, 25)
    if appearance.smiling and appearance.mouth_open:
        # A D-shaped grin: flat top with a row of teeth, deep round bottom.
        top = curve(-half, half, y - 0.016, y - 0.006)
        bottom = curve(half, -half, y - 0.016, y + 0.055)
        painter.fill(np.vstack([top, bottom]), dark, DEPTH_FEATURES)
        teeth = np.vstack([top, curve(half * 0.85, -half * 0.85, y - 0.01, y + 0.014)])
        painter.fill(teeth, (245, 245, 238), DEPTH_FEATURES)
        painter.stroke(np.vstack([top, bottom, top[:1]]), lips, 0.01, DEPTH_FEATURES)
    elif appearance.smiling:
        # Closed smile: upturned corners and a lower lip that follows them.
        line = curve(-half, half, y - 0.03, y + 0.01)
        lower_lip = curve(half * 0.85, -half * 0.85, y - 0.016, y + 0.034)
        painter.fill(np.vstack([line, lower_lip]), lips, DEPTH_FEATURES)
        painter.stroke(line, dark, 0.013, DEPTH_FEATURES)
    elif appearance.mouth_open:
        painter.fill(ellipse(0.0, y + 0.008, half * 0.6, 0.032), lips, DEPTH_FEATURES)
        painter.fill(ellipse(0.0, y + 0.008, half * 0.45, 0.022), dark, DEPTH_FEATURES)
    else:
        upper = curve(-half, half, y, y - 0.013)
        lower = curve(half, -half, y, y + 0.017)
        painter.fill(np.vstack([upper, lower]), lips, DEPTH_FEATURES)
        painter.stroke(np.array([[-half, y], [half, y]]), shade(lips, 0.55), 0.006, DEPTH_FEATURES)
    if appearance.smiling:
        # Creases at the corners, where smiling cheeks push up.
        for side in (-1, 1):
            crease = curve(side * (half + 0.006), side * (half + 0.016), y - 0.035, y - 0.012, 5)
            painter.stroke(crease, shade(identity.skin_rgb, 0.75), 0.006, DEPTH_FEATURES)


def _draw_mustache(painter: Painter, identity: IdentityParams) -> None:
    y, half = identity.mouth_height, identity.mouth_width * 1.1
    top = curve(-half, half, y - 0.005, y - 0.04)
    bottom = curve(half, -half, y + 0.005, y - 0.018)
    painter.fill(np.vstack([top, bottom]), identity.hair_rgb, DEPTH_FEATURES)


def _draw_eyes(painter: Painter, identity: IdentityParams) -> None:
    rx = identity.eye_width
    ry = rx * identity.eye_openness
    iris_radius = min(ry * 0.98, rx * 0.6)
    lid_color = shade(identity.brow_rgb, 0.6)
    for side in (-1, 1):
        cx, cy = side * identity.eye_spacing, identity.eye_height
        painter.fill(ellipse(cx, cy, rx, ry), (245, 243, 238), DEPTH_FEATURES)
        painter.fill(
            ellipse(cx, cy, iris_radius, iris_radius, 16), identity.iris_rgb, DEPTH_FEATURES
        )
        pupil = iris_radius * 0.45
        painter.fill(ellipse(cx, cy, pupil, pupil, 12), (15, 12, 12), DEPTH_FEATURES)
        glint = ellipse(cx + pupil, cy - pupil, pupil * 0.5, pupil * 0.5, 8)
        painter.fill(glint, (255, 255, 255), DEPTH_FEATURES)
        lid = ellipse(cx, cy, rx * 1.05, ry * 1.1, 14, math.pi, 2 * math.pi)
        painter.stroke(lid, lid_color, 0.009 if identity.male else 0.013, DEPTH_FEATURES)


def _draw_brows(painter: Painter, identity: IdentityParams) -> None:
    y_ends = identity.eye_height - identity.eye_width * identity.eye_openness - 0.03
    half = identity.eye_width * 1.1 + identity.brow_thickness  # thick brows are long brows too
    for side in (-1, 1):
        cx = side * identity.eye_spacing
        brow = curve(cx - half, cx + half, y_ends, y_ends - identity.brow_arch, num_points=8)
        painter.stroke(brow, identity.brow_rgb, identity.brow_thickness, DEPTH_FEATURES)


def _lenses(identity: IdentityParams) -> list[np.ndarray]:
    """Two (k, 2) closed lens outlines, one around each eye."""
    rx = identity.eye_width * 1.55
    ry = max(identity.eye_width * identity.eye_openness * 2.0, 0.038)
    shape = ellipse if identity.glasses_round else rounded_rectangle
    cy = identity.eye_height + 0.004
    lenses = [shape(side * identity.eye_spacing, cy, rx, ry, 24) for side in (-1, 1)]
    return [np.vstack([lens, lens[:1]]) for lens in lenses]


def _draw_lens_glare(painter: Painter, identity: IdentityParams) -> None:
    # Lenses reflect a little light: a paler patch that keeps glasses visible at 32 px, where
    # the frame is thinner than a pixel. The eyes are drawn over it, as if seen through glass.
    glare = tuple(
        0.7 * c + 0.3 * w for c, w in zip(identity.skin_rgb, (235, 245, 255), strict=True)
    )
    for lens in _lenses(identity):
        painter.fill(lens, glare, DEPTH_FEATURES)


def _draw_glasses_frame(painter: Painter, identity: IdentityParams) -> None:
    frame, width, y = identity.glasses_rgb, 0.016, identity.eye_height
    left_lens, right_lens = _lenses(identity)
    for lens in (left_lens, right_lens):
        painter.stroke(lens, frame, width, DEPTH_FEATURES)
    lens_inner_x, lens_outer_x = right_lens[:, 0].min(), right_lens[:, 0].max()
    for side in (-1, 1):
        temple = np.array([[side * lens_outer_x, y], [side * identity.face_width, y - 0.004]])
        painter.stroke(temple, frame, width * 0.8, DEPTH_FEATURES)
    bridge = curve(-lens_inner_x, lens_inner_x, y, y - 0.012, num_points=6)
    painter.stroke(bridge, frame, width * 0.8, DEPTH_FEATURES)
