"""Import layering of the facegan package, checked with ``ast`` (facegan itself is never imported).

Layers, lowest first. A module may import modules of its own layer or of lower layers only,
so the low layers stay usable (and testable) without the heavy high ones, and there are no cycles:

    0 core        facegan (package __init__), errors, registry, config, runs, conditions, datainfo,
                  randomness
    1 data        facegan.data
    2 models      facegan.models
    3 methods     facegan.methods
    4 training    facegan.training
    5 sampling    facegan.sampling
    6 metrics     facegan.metrics
    7 apps        the rest (cli, __main__, viz, serve, pipelines, faces, ...); may import each other

A module's layer is found by longest dotted-prefix match. Further rules:
  * facegan imports inside function bodies hide dependencies and cycles; they are allowed only
    where listed in LAZY_IMPORTS_ALLOWED (non-facegan imports, e.g. optional deps, always are);
  * facegan.models must not import facegan.data, though data is the lower layer: models are
    built from a DataInfo (core), never from a dataset.
Imports under ``if TYPE_CHECKING:`` are NOT exempt: a type-only upward reference is still a design
dependency, and a core type (facegan.datainfo, ...) is the fix. Dynamic ``importlib`` imports are
not seen.
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"

LAYERS = {
    "facegan": 0, "facegan.errors": 0, "facegan.registry": 0, "facegan.config": 0,
    "facegan.runs": 0, "facegan.conditions": 0, "facegan.datainfo": 0, "facegan.randomness": 0,
    "facegan.data": 1, "facegan.models": 2, "facegan.methods": 3, "facegan.training": 4,
    "facegan.sampling": 5, "facegan.metrics": 6,
}
LAYER_NAMES = ["core", "data", "models", "methods", "training", "sampling", "metrics", "apps"]
APPS = 7

# Where facegan may be imported inside a function: module prefix -> function names ("*": any).
LAZY_IMPORTS_ALLOWED = {
    "facegan.cli": "*",  # lazy loading of subcommands keeps `facegan --help` fast
    "facegan.registry": {"_import_components"},  # discovery fills the registries on demand
    "facegan.callbacks": {"__init__"},  # a run imports the metrics only when it evaluates
}
# The registry's discovery imports the packages whose decorators fill its tables, from the core
# up to the applications: the one place where a lower layer names upper ones (rule 1 too).
DISCOVERY = {"facegan.registry": {"_import_components"}}


class Violation(NamedTuple):
    path: str
    line: int
    importer: str
    imported: str
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.importer} -> {self.imported}  [{self.rule}]"


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer(module: str) -> int:
    if module == "facegan":
        return 0
    parts = module.split(".")
    for end in range(len(parts), 1, -1):  # longest prefix first; bare "facegan" only exactly
        if ".".join(parts[:end]) in LAYERS:
            return LAYERS[".".join(parts[:end])]
    return APPS


def is_module(name: str, src: Path) -> bool:
    path = src.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or path.is_dir()


def imported_modules(node: ast.Import | ast.ImportFrom, package: str, src: Path) -> list[str]:
    """The facegan modules an import names; `from X import y` means X.y when y is a module."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names if within(alias.name, "facegan")]
    base = node.module or ""
    if node.level:
        anchor = package.rsplit(".", node.level - 1)[0]  # level 1: this package, 2: its parent
        base = f"{anchor}.{node.module}" if node.module else anchor
    if not within(base, "facegan"):
        return []
    names = [f"{base}.{a.name}" for a in node.names if a.name != "*"]
    return sorted({n if is_module(n, src) else base for n in names} or {base})


def lazy_allowed(module: str, functions: list[str]) -> bool:
    return any(within(module, prefix) and (allowed == "*" or set(functions) & allowed)
               for prefix, allowed in LAZY_IMPORTS_ALLOWED.items())


def check_source(source: str, module: str, is_package: bool, path: str,
                 src: Path = SRC) -> list[Violation]:
    """Every rule violation in one module's source."""
    package = module if is_package else module.rpartition(".")[0]
    found: list[Violation] = []

    def visit(node: ast.AST, functions: list[str]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(child, functions + [child.name])
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                for target in imported_modules(child, package, src):
                    rules = []
                    discovery = set(functions) & DISCOVERY.get(module, set())
                    if layer(target) > layer(module) and not discovery:
                        rules.append(f"rule 1: {LAYER_NAMES[layer(module)]} imports up into "
                                     f"{LAYER_NAMES[layer(target)]}")
                    if functions and not lazy_allowed(module, functions):
                        rules.append(f"rule 2: import inside function {'.'.join(functions)}()")
                    if within(module, "facegan.models") and within(target, "facegan.data"):
                        rules.append("rule 3: models import data")
                    found.extend(Violation(path, child.lineno, module, target, r) for r in rules)
            visit(child, functions)

    visit(ast.parse(source, filename=path), [])
    return found


@lru_cache(maxsize=1)
def all_violations() -> tuple[Violation, ...]:
    found: list[Violation] = []
    for file in sorted((SRC / "facegan").rglob("*.py")):
        parts = list(file.relative_to(SRC).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        found += check_source(file.read_text(encoding="utf-8"), module, is_package,
                              str(file.relative_to(REPO)))
    return tuple(sorted(found))


def assert_none(rule: str) -> None:
    """Fail listing every violation of ``rule``, sorted by file and line."""
    hits = [str(v) for v in all_violations() if v.rule.startswith(rule)]
    assert not hits, f"{len(hits)} {rule} violation(s):\n" + "\n".join(hits)


def test_no_upward_imports() -> None:
    assert_none("rule 1")


def test_no_function_level_facegan_imports() -> None:
    assert_none("rule 2")


def test_models_do_not_import_data() -> None:
    assert_none("rule 3")


def test_checker_finds_known_violations() -> None:
    source = ("from ..training import Trainer\nimport os\n\n"
              "def build():\n    import dlib\n    from facegan import data\n")
    found = check_source(source, "facegan.models.fake", False, "fake.py")
    assert {(v.line, v.imported, v.rule[:6]) for v in found} == {
        (1, "facegan.training", "rule 1"), (6, "facegan.data", "rule 2"),
        (6, "facegan.data", "rule 3"),
    }
    lazy_cli = "def main():\n    import facegan.viz\n"
    assert check_source(lazy_cli, "facegan.cli", False, "cli.py") == []
    assert layer("facegan.datainfo") == 0 and layer("facegan.data.base") == 1
    assert layer("facegan") == 0 and layer("facegan.losses") == APPS
