"""Name -> builder tables for the components a config can name.

A config section such as ``model: {name: dcgan, ...}`` names a registered component. Each entry
pairs a builder with the frozen config dataclass that validates its section, so adding a
component means registering it in its own module and touching nothing else.

Validating a config must not pay for importing torch: the built-in datasets, models and
objectives *declare* their name, config class and module in a light ``configs`` module of
their package (`facegan.data.configs`, ...), and their builders register under that name when
their module is first imported, which `Entry.builder` does on demand. A component may also
register builder and config in one go (``register(name, config=...)``), as plug-ins do.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from facegan.errors import FaceganError

BuilderT = TypeVar("BuilderT", bound=Callable[..., Any])


class Entry:
    """One component: its name, config class and builder (imported from ``module`` when first
    asked for, for a declared component)."""

    def __init__(self, name: str, config_class: type, builder: Callable[..., Any] | None = None,
                 module: str | None = None) -> None:
        self.name, self.config_class, self.module = name, config_class, module
        self._builder = builder

    @property
    def builder(self) -> Callable[..., Any]:
        if self._builder is None and self.module is not None:
            importlib.import_module(self.module)  # its decorator fills self._builder
        if self._builder is None:
            raise RuntimeError(f"{self.name!r} is declared in {self.module} but that module "
                               "registers no builder under this name")
        return self._builder


class Registry(Generic[BuilderT]):
    """A table of named components of one kind (datasets, models, objectives, ...)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def declare(self, name: str, *, config: type, module: str) -> None:
        """Make ``name`` known with its config class; its builder is in ``module``, which
        registers it there with ``register(name)``."""
        if name in self._entries:
            raise ValueError(f"{self.kind} {name!r} is declared twice")
        self._entries[name] = Entry(name, config, module=module)

    def register(self, name: str, *, config: type | None = None
                 ) -> Callable[[BuilderT], BuilderT]:
        """Register a builder under ``name``: a declared name takes its declared config class,
        any other needs ``config``."""
        def decorator(builder: BuilderT) -> BuilderT:
            entry = self._entries.get(name)
            if entry is None:
                if config is None:
                    raise ValueError(f"{self.kind} {name!r} is not declared: pass config=")
                self._entries[name] = Entry(name, config, builder)
            elif entry._builder is not None:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            elif config is not None and config is not entry.config_class:
                raise ValueError(f"{self.kind} {name!r} is declared with "
                                 f"{entry.config_class.__name__}, registered with "
                                 f"{config.__name__}")
            else:
                entry._builder = builder
            return builder

        return decorator

    def entries(self) -> list[Entry]:
        """Every entry, in registration order."""
        _import_components(self.kind)
        return list(self._entries.values())

    def names(self) -> list[str]:
        _import_components(self.kind)
        return sorted(self._entries)

    def get(self, name: str) -> Entry:
        _import_components(self.kind)
        try:
            return self._entries[name]
        except KeyError:
            valid = ", ".join(self.names()) or "(none registered)"
            raise FaceganError(
                f"unknown {self.kind} {name!r}; valid choices: {valid}"
            ) from None

    def __contains__(self, name: str) -> bool:
        _import_components(self.kind)
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


def _import_components(kind: str) -> None:
    """Import the modules whose declarations or decorators fill the table of ``kind``
    (idempotent, cheap after the first): the light ``configs`` modules for what a config file
    names, the packages themselves for the rest."""
    if kind == "dataset":
        import facegan.data.configs  # noqa: F401
    elif kind == "model":
        import facegan.models.configs  # noqa: F401
    elif kind == "objective":
        import facegan.methods.configs  # noqa: F401
    elif kind == "sampler":
        import facegan.methods.diffusion.sampler  # noqa: F401
        import facegan.methods.gan.sampler  # noqa: F401
    elif kind == "epoch callback":
        import facegan.callbacks  # noqa: F401
    elif kind == "feature extractor":
        import facegan.metrics  # noqa: F401
