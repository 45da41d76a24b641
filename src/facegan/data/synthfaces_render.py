"""Drawing of SynthFaces: identity + appearance parameters in, uint8 pixels out.

Geometry is in *face units* (see `synthfaces_params`), placed by the head pose. The face is
drawn with `PIL.ImageDraw` on a supersampled canvas (side >= 256 px) and reduced by averaging
sub-pixels, which anti-aliases every edge; the light gradient is applied afterwards on the small
image, where it is cheap. This module knows nothing about labels.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from PIL import Image, ImageDraw

from facegan.data.synthfaces_params import RGB, AppearanceParams, IdentityParams

MIN_CANVAS_SIDE = 256  # supersampled canvas side: small images get a larger factor
FACE_CENTRE = (0.5, 0.46)  # where the face centre sits in the image, before pose offsets
HEAD_ZOOM = 1.15  # face units -> image sides; frames the head like an aligned face crop
MAX_YAW_SHIFT = 0.035  # how far (face units) the nose tip moves sideways at |yaw| = 1

# How far each part moves with yaw, relative to the nose tip: parts in front of the face plane
# move with the turn, parts behind it (ears, back hair) move against it, which reads as a turn.
DEPTH_NOSE = 1.0
DEPTH_FEATURES = 0.6
DEPTH_HAIR_FRONT = 0.25
DEPTH_BACK = -0.4


def supersample_factor(size: int) -> int:
    """Canvas pixels per output pixel: at least 2, and enough for a canvas of >= 256 px."""
    return max(2, math.ceil(MIN_CANVAS_SIDE / size))


def render_face(identity: IdentityParams, appearance: AppearanceParams, size: int) -> np.ndarray:
    """Draw one face; returns (size, size, 3) uint8. Pure function of its arguments."""
    factor = supersample_factor(size)
    canvas_side = size * factor
    painter = _Painter.for_pose(appearance, canvas_side)
    _draw_head(painter, identity, appearance)
    image = _background(appearance, canvas_side)
    painter.paint(ImageDraw.Draw(image))
    # Averaging each pixel's factor x factor sub-pixels is exact area coverage: the standard
    # supersampling filter, free of Lanczos ringing and about 10x faster.
    small = image.reduce(factor)
    return _apply_light(np.asarray(small), appearance)


class _Painter:
    """Collects shapes given in face units, then draws them all placed by the head pose.

    Placing every point of a face in one matrix product, rather than one per shape, saves most
    of the numpy call overhead, which dominates the cost of such small arrays.
    """

    def __init__(self, origin, matrix, yaw_shift, px_per_unit):
        self.origin = origin  # (2,) canvas px of the face centre
        self.matrix = matrix  # (2, 2) face units -> canvas px, rotation and zoom included
        self.yaw_shift = yaw_shift  # face units of sideways shift at depth 1
        self.px_per_unit = px_per_unit
        self.shapes: list[tuple[np.ndarray, float, tuple[int, int, int], int]] = []

    @classmethod
    def for_pose(cls, appearance: AppearanceParams, canvas_side: int) -> _Painter:
        angle = math.radians(appearance.roll_degrees)
        cos, sin = math.cos(angle), math.sin(angle)
        px_per_unit = canvas_side * appearance.scale * HEAD_ZOOM
        centre = np.add(FACE_CENTRE, appearance.offset) * canvas_side
        yaw_shift = appearance.yaw * MAX_YAW_SHIFT
        return cls(
            centre, np.array([[cos, -sin], [sin, cos]]) * px_per_unit, yaw_shift, px_per_unit
        )

    def fill(self, points: np.ndarray, color: RGB, depth: float = 0.0) -> None:
        """Queue a filled polygon; points (k, 2) in face units."""
        self.shapes.append((points, depth, _ink(color), 0))

    def stroke(self, points: np.ndarray, color: RGB, width: float, depth: float = 0.0) -> None:
        """Queue a polyline `width` face units wide (at least one canvas pixel)."""
        pixels = max(1, round(width * self.px_per_unit))
        self.shapes.append((points, depth, _ink(color), pixels))

    def paint(self, draw: ImageDraw.ImageDraw) -> None:
        """Draw the queued shapes in order, so later shapes cover earlier ones."""
        lengths = [len(points) for points, _, _, _ in self.shapes]
        points = np.concatenate([points for points, _, _, _ in self.shapes])  # (total, 2)
        depths = np.repeat([depth for _, depth, _, _ in self.shapes], lengths)
        points[:, 0] += self.yaw_shift * depths
        flat = (points @ self.matrix.T + self.origin).ravel().tolist()
        end = 0
        for (_, _, ink, width), length in zip(self.shapes, lengths, strict=True):
            start, end = end, end + 2 * length
            if width:
                draw.line(flat[start:end], fill=ink, width=width, joint="curve")
            else:
                draw.polygon(flat[start:end], fill=ink)


def _ink(color: RGB) -> tuple[int, int, int]:
    red, green, blue = color
    return (_byte(red), _byte(green), _byte(blue))


def _byte(value: float) -> int:
    return 0 if value < 0 else 255 if value > 255 else int(value)


def _shade(color: RGB, factor: float) -> RGB:
    return tuple(c * factor for c in color)


@lru_cache(maxsize=16)
def _unit_circle(num_points: int, start: float, stop: float) -> np.ndarray:
    angles = np.linspace(start, stop, num_points)
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def _ellipse(cx, cy, rx, ry, num_points=28, start=0.0, stop=2 * math.pi) -> np.ndarray:
    """(num_points, 2) points on an ellipse arc from angle `start` to `stop` (y down)."""
    return _unit_circle(num_points, start, stop) * (rx, ry) + (cx, cy)


def _curve(x0, x1, y_ends, y_middle, num_points=12) -> np.ndarray:
    """(num_points, 2) parabola through (x0, y_ends), its middle at y_middle, and (x1, y_ends)."""
    t = _unit_interval(num_points)
    x = (x0 + x1) / 2 + (x1 - x0) / 2 * t
    return np.stack([x, y_middle + (y_ends - y_middle) * t * t], axis=1)


@lru_cache(maxsize=16)
def _unit_interval(num_points: int) -> np.ndarray:
    return np.linspace(-1.0, 1.0, num_points)


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
    circle = _unit_circle(num_points, 0.0, 2 * math.pi)
    cos, sin = circle[:, 0], circle[:, 1]
    lower = sin > 0
    # A superellipse exponent below 1 pushes the lower contour towards a square jaw.
    exponent = 1.0 - 0.45 * identity.jaw_squareness
    x = np.where(lower, np.sign(cos) * np.abs(cos) ** exponent, cos)
    y = np.where(lower, np.sign(sin) * np.abs(sin) ** exponent, sin)
    x = x * (1.0 - 0.35 * identity.chin_taper * np.clip(y, 0, 1) ** 2)
    return np.stack([x * identity.face_width, y * identity.face_height], axis=1)


def _draw_head(painter: _Painter, identity: IdentityParams, appearance: AppearanceParams) -> None:
    # Back to front: what is drawn later covers what was drawn before.
    _draw_back_hair(painter, identity, appearance)
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
    _draw_front_hair(painter, identity, appearance)
    if appearance.eyeglasses:
        _draw_glasses_frame(painter, identity)


def _draw_body(painter: _Painter, identity: IdentityParams, appearance: AppearanceParams):
    neck_half = identity.face_width * 0.48
    top = identity.face_height * 0.5
    neck = np.array([[-neck_half, top], [neck_half, top], [neck_half, 0.6], [-neck_half, 0.6]])
    painter.fill(neck, _shade(identity.skin_rgb, 0.78))
    shoulders = _ellipse(0.0, 0.58, 0.42, 0.2, start=math.pi, stop=2 * math.pi)
    shoulders = np.vstack([shoulders, [[0.42, 0.7], [-0.42, 0.7]]])
    painter.fill(shoulders, appearance.clothing_rgb)
    neckline = np.vstack(
        [
            [[neck_half * 1.4, 0.37], [-neck_half * 1.4, 0.37]],
            _curve(-neck_half * 1.4, neck_half * 1.4, 0.37, 0.44, num_points=8),
        ]
    )
    painter.fill(neckline, _shade(identity.skin_rgb, 0.78))


def _draw_ears(painter: _Painter, identity: IdentityParams) -> None:
    for side in (-1, 1):
        ear = _ellipse(side * identity.face_width * 0.97, identity.eye_height + 0.03, 0.03, 0.05)
        painter.fill(ear, _shade(identity.skin_rgb, 0.9), DEPTH_BACK)


def _draw_face(painter: _Painter, identity: IdentityParams, appearance: AppearanceParams):
    outline = _face_outline(identity)
    painter.fill(outline, _shade(identity.skin_rgb, 0.86))
    # A lit inner face, shifted towards the light, gives the head a rounded look.
    toward_light = 0.012 * np.array(
        [math.cos(appearance.light_angle), math.sin(appearance.light_angle)]
    )
    painter.fill(outline * 0.9 + toward_light, identity.skin_rgb)


def _draw_full_beard(painter: _Painter, identity: IdentityParams) -> None:
    outline = _face_outline(identity) * 1.03
    jaw = outline[outline[:, 1] > identity.mouth_height - 0.06]
    jaw = jaw[np.argsort(np.arctan2(jaw[:, 1], jaw[:, 0]))]  # left-to-right around the chin
    jaw = jaw[::-1]
    upper = _curve(jaw[-1, 0], jaw[0, 0], jaw[0, 1], identity.mouth_height - 0.035, num_points=10)
    painter.fill(np.vstack([jaw, upper]), identity.hair_rgb)


def _draw_nose(painter: _Painter, identity: IdentityParams) -> None:
    tip_y = identity.eye_height + identity.nose_length
    half = identity.nose_width
    shadow = _shade(identity.skin_rgb, 0.72)
    bridge = np.array([[0.01, identity.eye_height + 0.03], [0.015, tip_y - 0.01]])
    painter.stroke(bridge, shadow, 0.006, DEPTH_NOSE)
    base = _curve(-half, half, tip_y - 0.012, tip_y + 0.006, num_points=8)
    painter.stroke(base, shadow, 0.008, DEPTH_NOSE)


def _draw_mouth(painter: _Painter, identity: IdentityParams, appearance: AppearanceParams):
    y, half = identity.mouth_height, identity.mouth_width
    if appearance.smiling:
        half *= 1.12  # a smile pulls the corners apart
    lips, dark = identity.lip_rgb, (70, 20, 25)
    if appearance.smiling and appearance.mouth_open:
        # A D-shaped grin: flat top with a row of teeth, deep round bottom.
        top = _curve(-half, half, y - 0.016, y - 0.006)
        bottom = _curve(half, -half, y - 0.016, y + 0.055)
        painter.fill(np.vstack([top, bottom]), dark, DEPTH_FEATURES)
        teeth = np.vstack([top, _curve(half * 0.85, -half * 0.85, y - 0.01, y + 0.014)])
        painter.fill(teeth, (245, 245, 238), DEPTH_FEATURES)
        painter.stroke(np.vstack([top, bottom, top[:1]]), lips, 0.01, DEPTH_FEATURES)
    elif appearance.smiling:
        # Closed smile: upturned corners and a lower lip that follows them.
        line = _curve(-half, half, y - 0.03, y + 0.01)
        lower_lip = _curve(half * 0.85, -half * 0.85, y - 0.016, y + 0.034)
        painter.fill(np.vstack([line, lower_lip]), lips, DEPTH_FEATURES)
        painter.stroke(line, dark, 0.013, DEPTH_FEATURES)
    elif appearance.mouth_open:
        painter.fill(_ellipse(0.0, y + 0.008, half * 0.6, 0.032), lips, DEPTH_FEATURES)
        painter.fill(_ellipse(0.0, y + 0.008, half * 0.45, 0.022), dark, DEPTH_FEATURES)
    else:
        upper = _curve(-half, half, y, y - 0.013)
        lower = _curve(half, -half, y, y + 0.017)
        painter.fill(np.vstack([upper, lower]), lips, DEPTH_FEATURES)
        painter.stroke(np.array([[-half, y], [half, y]]), _shade(lips, 0.55), 0.006, DEPTH_FEATURES)
    if appearance.smiling:
        # Creases at the corners, where smiling cheeks push up.
        for side in (-1, 1):
            crease = _curve(side * (half + 0.006), side * (half + 0.016), y - 0.035, y - 0.012, 5)
            painter.stroke(crease, _shade(identity.skin_rgb, 0.75), 0.006, DEPTH_FEATURES)


def _draw_mustache(painter: _Painter, identity: IdentityParams) -> None:
    y, half = identity.mouth_height, identity.mouth_width * 1.1
    top = _curve(-half, half, y - 0.005, y - 0.04)
    bottom = _curve(half, -half, y + 0.005, y - 0.018)
    painter.fill(np.vstack([top, bottom]), identity.hair_rgb, DEPTH_FEATURES)


def _draw_eyes(painter: _Painter, identity: IdentityParams) -> None:
    rx = identity.eye_width
    ry = rx * identity.eye_openness
    iris_radius = min(ry * 0.98, rx * 0.6)
    lid_color = _shade(identity.brow_rgb, 0.6)
    for side in (-1, 1):
        cx, cy = side * identity.eye_spacing, identity.eye_height
        painter.fill(_ellipse(cx, cy, rx, ry), (245, 243, 238), DEPTH_FEATURES)
        painter.fill(
            _ellipse(cx, cy, iris_radius, iris_radius, 16), identity.iris_rgb, DEPTH_FEATURES
        )
        pupil = iris_radius * 0.45
        painter.fill(_ellipse(cx, cy, pupil, pupil, 12), (15, 12, 12), DEPTH_FEATURES)
        glint = _ellipse(cx + pupil, cy - pupil, pupil * 0.5, pupil * 0.5, 8)
        painter.fill(glint, (255, 255, 255), DEPTH_FEATURES)
        lid = _ellipse(cx, cy, rx * 1.05, ry * 1.1, 14, math.pi, 2 * math.pi)
        painter.stroke(lid, lid_color, 0.009 if identity.male else 0.013, DEPTH_FEATURES)


def _draw_brows(painter: _Painter, identity: IdentityParams) -> None:
    y_ends = identity.eye_height - identity.eye_width * identity.eye_openness - 0.03
    half = identity.eye_width * 1.1 + identity.brow_thickness  # thick brows are long brows too
    for side in (-1, 1):
        cx = side * identity.eye_spacing
        brow = _curve(cx - half, cx + half, y_ends, y_ends - identity.brow_arch, num_points=8)
        painter.stroke(brow, identity.brow_rgb, identity.brow_thickness, DEPTH_FEATURES)


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
    return _ellipse(0.0, -0.01, rx, ry, num_points, math.pi * 0.95, math.pi * 2.05)


def _draw_back_hair(painter: _Painter, identity: IdentityParams, appearance: AppearanceParams):
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
    painter.fill(np.vstack([top, right, left]), _shade(identity.hair_rgb, 0.8), DEPTH_BACK)


def _draw_front_hair(painter: _Painter, identity: IdentityParams, appearance: AppearanceParams):
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
    right = _curve(part_x, w * 1.03, temple_y, forehead, num_points=8)
    left = _curve(-w * 1.03, part_x, temple_y, forehead - 0.02, num_points=8)
    return np.vstack([right[::-1], left[::-1]])


def _draw_side_locks(painter: _Painter, identity: IdentityParams, appearance: AppearanceParams):
    """Strands of medium or long hair that frame the face down to the jaw or beyond."""
    end = min(_hair_length(identity, appearance), identity.face_height * 0.95)
    w = identity.face_width
    y = np.linspace(identity.eye_height - 0.06, end, 10)
    wave = _wave(y, identity, appearance)
    outer = w * 1.08 + wave
    inner = w * 0.9 + 0.5 * wave - 0.02 * np.clip((y - y[0]) / (end - y[0]), 0, 1)
    strand_color = _shade(identity.hair_rgb, 0.7)
    for side in (-1, 1):
        lock = np.vstack(
            [np.stack([side * outer, y], axis=1), np.stack([side * inner, y], 1)[::-1]]
        )
        painter.fill(lock, identity.hair_rgb, DEPTH_HAIR_FRONT)
        # A darker strand down the lock repeats its shape: straight or waving.
        strand = np.stack([side * (outer + inner) / 2, y], axis=1)[2:]
        painter.stroke(strand, strand_color, 0.008, DEPTH_HAIR_FRONT)


def _draw_bald_fringe(painter: _Painter, identity: IdentityParams) -> None:
    """Bald people keep a fringe around the back of the head, which shows their hair colour."""
    y = identity.eye_height - 0.01
    painter.fill(
        _ellipse(0.0, y, identity.face_width + 0.022, 0.075), identity.hair_rgb, DEPTH_BACK
    )


def _draw_bald_temples(painter: _Painter, identity: IdentityParams) -> None:
    for side in (-1, 1):
        patch = _ellipse(
            side * identity.face_width * 0.97, identity.eye_height - 0.02, 0.018, 0.045
        )
        painter.fill(patch, identity.hair_rgb, DEPTH_BACK)


def _lenses(identity: IdentityParams) -> list[np.ndarray]:
    """Two (k, 2) closed lens outlines, one around each eye."""
    rx = identity.eye_width * 1.55
    ry = max(identity.eye_width * identity.eye_openness * 2.0, 0.038)
    shape = _ellipse if identity.glasses_round else _rounded_rectangle
    cy = identity.eye_height + 0.004
    lenses = [shape(side * identity.eye_spacing, cy, rx, ry, 24) for side in (-1, 1)]
    return [np.vstack([lens, lens[:1]]) for lens in lenses]


def _draw_lens_glare(painter: _Painter, identity: IdentityParams) -> None:
    # Lenses reflect a little light: a paler patch that keeps glasses visible at 32 px, where
    # the frame is thinner than a pixel. The eyes are drawn over it, as if seen through glass.
    glare = tuple(
        0.7 * c + 0.3 * w for c, w in zip(identity.skin_rgb, (235, 245, 255), strict=True)
    )
    for lens in _lenses(identity):
        painter.fill(lens, glare, DEPTH_FEATURES)


def _draw_glasses_frame(painter: _Painter, identity: IdentityParams) -> None:
    frame, width, y = identity.glasses_rgb, 0.016, identity.eye_height
    left_lens, right_lens = _lenses(identity)
    for lens in (left_lens, right_lens):
        painter.stroke(lens, frame, width, DEPTH_FEATURES)
    lens_inner_x, lens_outer_x = right_lens[:, 0].min(), right_lens[:, 0].max()
    for side in (-1, 1):
        temple = np.array([[side * lens_outer_x, y], [side * identity.face_width, y - 0.004]])
        painter.stroke(temple, frame, width * 0.8, DEPTH_FEATURES)
    bridge = _curve(-lens_inner_x, lens_inner_x, y, y - 0.012, num_points=6)
    painter.stroke(bridge, frame, width * 0.8, DEPTH_FEATURES)


def _rounded_rectangle(cx, cy, rx, ry, num_points: int = 24) -> np.ndarray:
    """(num_points, 2) a superellipse: a rectangle with rounded corners."""
    circle = _unit_circle(num_points, 0.0, 2 * math.pi)
    squared = np.sign(circle) * np.abs(circle) ** 0.4
    return squared * (rx, ry) + (cx, cy)
