"""Drawing primitives for SynthFaces: shapes in face units, placed on a canvas by the head pose.

Face units are fractions of the image side at zoom 1 (see `synthfaces_params`), measured from the
centre of the face ellipse, y down. Every part of a face is queued on a `Painter` as a polygon or
a polyline with a *depth*, and painted in order: later shapes cover earlier ones.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
from PIL import ImageDraw

from facegan.data.synthfaces_params import RGB, AppearanceParams

FACE_CENTRE = (0.5, 0.46)  # where the face centre sits in the image, before pose offsets
HEAD_ZOOM = 1.15  # face units -> image sides; frames the head like an aligned face crop
MAX_YAW_SHIFT = 0.035  # how far (face units) the nose tip moves sideways at |yaw| = 1

# How far each part moves with yaw, relative to the nose tip: parts in front of the face plane
# move with the turn, parts behind it (ears, back hair) move against it, which reads as a turn.
DEPTH_NOSE = 1.0
DEPTH_FEATURES = 0.6
DEPTH_HAIR_FRONT = 0.25
DEPTH_BACK = -0.4


class Painter:
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
    def for_pose(cls, appearance: AppearanceParams, canvas_side: int) -> Painter:
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


def shade(color: RGB, factor: float) -> RGB:
    return tuple(c * factor for c in color)


@lru_cache(maxsize=16)
def unit_circle(num_points: int, start: float, stop: float) -> np.ndarray:
    angles = np.linspace(start, stop, num_points)
    return np.stack([np.cos(angles), np.sin(angles)], axis=1)


def ellipse(cx, cy, rx, ry, num_points=28, start=0.0, stop=2 * math.pi) -> np.ndarray:
    """(num_points, 2) points on an ellipse arc from angle `start` to `stop` (y down)."""
    return unit_circle(num_points, start, stop) * (rx, ry) + (cx, cy)


def curve(x0, x1, y_ends, y_middle, num_points=12) -> np.ndarray:
    """(num_points, 2) parabola through (x0, y_ends), its middle at y_middle, and (x1, y_ends)."""
    t = _unit_interval(num_points)
    x = (x0 + x1) / 2 + (x1 - x0) / 2 * t
    return np.stack([x, y_middle + (y_ends - y_middle) * t * t], axis=1)


@lru_cache(maxsize=16)
def _unit_interval(num_points: int) -> np.ndarray:
    return np.linspace(-1.0, 1.0, num_points)


def rounded_rectangle(cx, cy, rx, ry, num_points: int = 24) -> np.ndarray:
    """(num_points, 2) a superellipse: a rectangle with rounded corners."""
    circle = unit_circle(num_points, 0.0, 2 * math.pi)
    squared = np.sign(circle) * np.abs(circle) ** 0.4
    return squared * (rx, ry) + (cx, cy)
