"""Name -> builder tables for the components a config can name.

A config section such as ``model: {name: dcgan, ...}`` names a registered component. Each entry
pairs a builder with the frozen config dataclass that validates its section, so adding a
component means registering it in its own module and touching nothing else.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from facegan.errors import FaceganError

BuilderT = TypeVar("BuilderT", bound=Callable[..., Any])


@dataclass(frozen=True)
class Entry:
    name: str
    builder: Callable[..., Any]
    config_class: type


class Registry(Generic[BuilderT]):
    """A table of named components of one kind (datasets, models, objectives, ...)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def register(self, name: str, *, config: type) -> Callable[[BuilderT], BuilderT]:
        def decorator(builder: BuilderT) -> BuilderT:
            if name in self._entries:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._entries[name] = Entry(name=name, builder=builder, config_class=config)
            return builder

        return decorator

    def entries(self) -> list[Entry]:
        """Every entry, in registration order."""
        _import_components()
        return list(self._entries.values())

    def names(self) -> list[str]:
        _import_components()
        return sorted(self._entries)

    def get(self, name: str) -> Entry:
        _import_components()
        try:
            return self._entries[name]
        except KeyError:
            valid = ", ".join(self.names()) or "(none registered)"
            raise FaceganError(
                f"unknown {self.kind} {name!r}; valid choices: {valid}"
            ) from None

    def __contains__(self, name: str) -> bool:
        _import_components()
        return name in self._entries


DATASETS: Registry = Registry("dataset")
MODELS: Registry = Registry("model")
OBJECTIVES: Registry = Registry("objective")  # methods; a config's objective section
SAMPLERS: Registry = Registry("sampler")  # how a saved model samples (generator.json)
CALLBACKS: Registry = Registry("epoch callback")
FEATURE_EXTRACTORS: Registry = Registry("feature extractor")

register_dataset = DATASETS.register
register_model = MODELS.register
register_objective = OBJECTIVES.register
register_sampler = SAMPLERS.register
register_callback = CALLBACKS.register
register_feature_extractor = FEATURE_EXTRACTORS.register


def _import_components() -> None:
    """Import the modules whose decorators fill the tables (idempotent, cheap after the first)."""
    import facegan.callbacks  # noqa: F401
    import facegan.data  # noqa: F401
    import facegan.methods  # noqa: F401
    import facegan.metrics  # noqa: F401
    import facegan.models  # noqa: F401
