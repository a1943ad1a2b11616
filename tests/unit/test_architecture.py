"""The layout keeps its promises: imports point one way (and follow the rules below), only
the factory knows stacks by name, and the CLI uses a stack through the `Stack` protocol alone."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import ecomctl
from ecomctl.settings import STACKS, load_settings
from ecomctl.stacks import get_stack
from ecomctl.stacks.base import Stack

SRC = Path(ecomctl.__file__).resolve().parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in SRC.rglob("*.py"):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        name = ".".join(parts).removesuffix(".__init__")
        found[name] = path
    return found


def _imports(name: str, path: Path, known: set[str]) -> set[str]:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            targets |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return {t for t in targets if t in known and t != name}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_the_import_graph_has_no_cycle() -> None:
    modules = _modules()
    graph = {name: _imports(name, path, set(modules)) for name, path in modules.items()}
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def _wrong_imports(package: str, may_not_import: tuple[str, ...]) -> list[str]:
    """`module imports [targets]` for each module of package that imports one it may not."""
    modules = _modules()
    wrong = []
    for name, path in sorted(modules.items()):
        if _within(name, package):
            found = sorted(
                t
                for t in _imports(name, path, set(modules))
                if any(_within(t, banned) for banned in may_not_import)
            )
            wrong += [f"{name} imports {found}"] if found else []
    return wrong


@pytest.mark.parametrize(
    ("package", "may_not_import"),
    [
        (
            "ecomctl.engines",
            ("ecomctl.stacks", "ecomctl.runners", "ecomctl.cli", "ecomctl.commands"),
        ),
        ("ecomctl.runners", ("ecomctl.stacks", "ecomctl.cli", "ecomctl.commands")),
        ("ecomctl.data", ("ecomctl.stacks", "ecomctl.runners", "ecomctl.cli", "ecomctl.commands")),
        ("ecomctl.transform", ("ecomctl.runners", "ecomctl.cli", "ecomctl.commands")),
        ("ecomctl.outputs", ("ecomctl.stacks", "ecomctl.runners.compose", "ecomctl.commands")),
        ("ecomctl.stacks", ("ecomctl.cli", "ecomctl.commands", "ecomctl.outputs")),
        ("ecomctl.commands", ("ecomctl.cli",)),
    ],
)
def test_arrows_point_one_way(package: str, may_not_import: tuple[str, ...]) -> None:
    wrong = _wrong_imports(package, may_not_import)
    assert not wrong, "; ".join(wrong)


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        # Who runs the services knows nothing of dbt: the stacks hand dbt its engines.
        ("ecomctl.runners", "ecomctl.transform"),
        # The record of runs is read by commands alone, never by who runs services.
        ("ecomctl.history", "ecomctl.runners"),
        # The CLI reaches dbt, the project and the pipeline only through commands/.
        ("ecomctl.cli", "ecomctl.transform"),
    ],
)
def test_import_rules(importer: str, imported: str) -> None:
    wrong = _wrong_imports(importer, (imported,))
    assert not wrong, "; ".join(wrong)


def test_the_import_rules_see_a_wrong_import() -> None:
    """The rules read real imports: the commands import the pipeline, which they may."""
    assert _wrong_imports("ecomctl.commands", ("ecomctl.transform",))


def test_only_the_factory_names_a_stack() -> None:
    factory = SRC / "stacks" / "__init__.py"
    for path in SRC.rglob("*.py"):
        if path == factory:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Compare):
                operands = [node.left, *node.comparators]
                named = [
                    o.value for o in operands if isinstance(o, ast.Constant) and o.value in STACKS
                ]
                assert not named, f"{path.relative_to(SRC)}:{node.lineno} compares with {named}"


def test_every_stack_name_has_a_stack(tmp_path: Path) -> None:
    for name in STACKS:
        stack = get_stack(load_settings(home=tmp_path, stack=name))
        assert stack.name == name


def test_the_cli_asks_a_stack_only_what_the_protocol_offers() -> None:
    offered = {name for name in vars(Stack) if not name.startswith("_")} | set(
        Stack.__annotations__
    )
    used = {
        node.attr
        for path in sorted((SRC / "cli").rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "st"
    }
    assert used, "the CLI names its stack `st`: this test reads those uses"
    assert used <= offered, f"not in Stack: {sorted(used - offered)}"
