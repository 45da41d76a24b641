"""SynthFaces identities as vectors: the label of ``synthfaces`` with ``identity_embedding: true``.

A person's vector holds what `IdentityParams` fixes and the renderer draws: the shape and size
measures, skin tone, the categorical choices one-hot (eye and hair colour, hair style, beard),
the yes/no traits as 0/1. Left out are the colours that follow from those choices plus a little
jitter (iris, hair, brow, lip, frame RGB) and frame roundness for people who never wear glasses:
they would count the same trait twice or add one that no image shows.

Each entry is standardised with the mean and standard deviation of a fixed reference population
(`REFERENCE_SIZE` people of `REFERENCE_SEED`), not of the dataset at hand, so a person's vector
is the same whatever the dataset's size or seed, and two unrelated people have a cosine near 0
while a person and themself have 1: the cosine is the identity similarity that ``evaluate
--metrics id`` reports.

Not part of the renderer (`synthfaces_dataset.renderer_version` skips this module): changing it
changes labels, never the cached images.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from facegan.data.synthfaces_params import EYE_RGB, HAIR_RGB, IdentityParams, sample_identity

REFERENCE_SEED, REFERENCE_SIZE = 20240601, 4096
_HAIR_STYLES = ("bald", "short", "medium", "long")
_BEARDS = ("none", "mustache", "full")
_MEASURES = ("face_width", "face_height", "jaw_squareness", "chin_taper", "skin_tone",
             "eye_spacing", "eye_height", "eye_width", "eye_openness", "brow_thickness",
             "brow_arch", "nose_length", "nose_width", "mouth_width", "mouth_height",
             "hair_volume", "hair_part")
_TRAITS = ("male", "lipstick", "wavy_hair", "bangs")

IDENTITY_FEATURES: tuple[str, ...] = (
    *_MEASURES, *_TRAITS, "wears_glasses", "round_glasses",
    *(f"eye_color={c}" for c in EYE_RGB), *(f"hair_color={c}" for c in HAIR_RGB),
    *(f"hair_style={s}" for s in _HAIR_STYLES), *(f"beard={b}" for b in _BEARDS),
)
"""The entries of an identity vector, in order."""


def raw_identity_vector(identity: IdentityParams) -> np.ndarray:
    """``(len(IDENTITY_FEATURES),)`` float64: the person's entries before standardising."""
    wears_glasses = identity.glasses_propensity > 0.5
    values = [getattr(identity, name) for name in _MEASURES]
    values += [float(getattr(identity, name)) for name in _TRAITS]
    values += [float(wears_glasses), float(wears_glasses and identity.glasses_round)]
    values += [float(identity.eye_color == c) for c in EYE_RGB]
    values += [float(identity.hair_color == c) for c in HAIR_RGB]
    values += [float(identity.hair_style == s) for s in _HAIR_STYLES]
    values += [float(identity.beard == b) for b in _BEARDS]
    return np.asarray(values, np.float64)


@lru_cache(maxsize=1)
def reference_statistics() -> tuple[np.ndarray, np.ndarray]:
    """Mean and standard deviation of each entry over the reference population."""
    raw = np.stack([raw_identity_vector(sample_identity(REFERENCE_SEED, person))
                    for person in range(REFERENCE_SIZE)])
    return raw.mean(0), raw.std(0)


def identity_vectors(seed: int, people: np.ndarray) -> np.ndarray:
    """``(len(people), len(IDENTITY_FEATURES))`` float32: the standardised vector of each
    person (an int index into the SynthFaces set for ``seed``), in the order given."""
    mean, std = reference_statistics()
    unique, where = np.unique(np.asarray(people, np.int64), return_inverse=True)
    raw = np.stack([raw_identity_vector(sample_identity(seed, int(p))) for p in unique]) \
        if len(unique) else np.empty((0, len(IDENTITY_FEATURES)))
    return ((raw - mean) / std).astype(np.float32)[where.reshape(-1)]
