"""The house rules: which part of the code may import which, read from the source itself."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# What each sub-package of daemon/ may import from the project, besides itself: the same
# rules its `__init__` docstring states. `a.b` allows one module of a sub-package only.
ALLOWED: dict[str, set[str]] = {
    "adapters": {"config"},
    "store": {"config", "models", "parsers"},
    "rules": {"config", "parsers"},
    "cases": {"config", "models", "parsers", "outbound", "rules", "store", "process.clock"},
    "outbound": {"config", "models", "parsers", "adapters", "rules", "store", "process.clock",
                 "inbound.work", "duties.alerts"},
    "duties": {"config", "models", "parsers", "cases", "outbound", "rules", "store",
               "process.clock"},
    "inbound": {"config", "models", "parsers", "adapters", "cases", "duties", "outbound",
                "rules", "store", "process.clock"},
    "process": {"config", "models", "parsers", "adapters", "cases", "duties", "inbound",
                "outbound", "rules", "store"},
    "demo": {"config", "models", "parsers", "adapters", "cases", "duties", "inbound",
             "outbound", "rules", "store", "process"},
    "commands": {"config", "models", "parsers", "adapters", "cases", "duties", "inbound",
                 "outbound", "rules", "store", "process", "demo"},
}
# Modules at the top of daemon/ that every sub-package may import: small helpers that say
# one thing the same way everywhere (an error as one line), so that each has one home even
# for the adapters, which may import nothing else of the project. They import nothing of it.
SHARED = {"text"}
PROJECT = ("daemon", "parsers", "models", "config", "migrations")
# Protocol libraries and the one module allowed to import each.
ADAPTERS = {"imapclient": "daemon/adapters/imap.py", "aiosmtplib": "daemon/adapters/smtp.py"}


def _imports(path: Path) -> Iterator[str]:
    """Every module name a file imports, as dotted names (`from a import b` gives a.b too)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node that runs, skipping `if TYPE_CHECKING:` blocks."""
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def _sources(*roots: str) -> list[Path]:
    return sorted(p for root in roots for p in (REPO / root).rglob("*.py"))


def _part(name: str) -> str | None:
    """`daemon.cases.opening` -> "cases.opening"'s sub-package "cases" (None outside)."""
    parts = name.split(".")
    return parts[1] if parts[0] == "daemon" and len(parts) > 1 else None


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_each_sub_package_imports_only_what_its_docstring_allows(package: str) -> None:
    """No module of a daemon sub-package imports a part of the project its rules forbid."""
    allowed = ALLOWED[package]
    wrong = []
    for path in _sources(f"daemon/{package}"):
        for name in _imports(path):
            top = name.split(".")[0]
            if top in ("models", "parsers", "config"):
                target = top
            elif top == "daemon" and _part(name) not in (None, package, "__version__", *SHARED):
                target = str(_part(name))
                module = ".".join(name.split(".")[1:3])
                if target not in allowed and module in allowed:
                    continue
            else:
                continue
            if target not in allowed:
                wrong.append(f"{path.relative_to(REPO)} imports {name}")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_every_sub_package_states_what_it_may_import() -> None:
    """Each sub-package's `__init__` docstring says what lives there and what it may import."""
    for package in ALLOWED:
        init = REPO / "daemon" / package / "__init__.py"
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
        assert "may import" in doc.lower(), f"{init.relative_to(REPO)} says nothing of imports"


def test_the_shared_modules_import_nothing_of_the_project() -> None:
    """daemon/text.py and its like import no part of the project: anyone may import them."""
    wrong = [f"daemon/{name}.py imports {imported}" for name in sorted(SHARED)
             for imported in _imports(REPO / "daemon" / f"{name}.py")
             if imported.split(".")[0] in PROJECT]
    assert not wrong, "\n".join(wrong)


def test_only_the_adapters_import_the_protocol_libraries() -> None:
    """imapclient only in daemon/adapters/imap.py, aiosmtplib only in daemon/adapters/smtp.py."""
    wrong = []
    for path in _sources(*PROJECT):
        rel = str(path.relative_to(REPO))
        for name in _imports(path):
            owner = ADAPTERS.get(name.split(".")[0])
            if owner is not None and rel != owner:
                wrong.append(f"{rel} imports {name}")
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_parsers_import_nothing_of_the_daemon_the_models_or_the_settings() -> None:
    """parsers/ is pure: no daemon, models or config import, and no database or network."""
    forbidden = ("daemon", "models", "config", "sqlalchemy", "imapclient", "aiosmtplib",
                 "structlog", "socket", "subprocess")
    wrong = [f"{p.relative_to(REPO)} imports {name}" for p in _sources("parsers")
             for name in _imports(p) if name.split(".")[0] in forbidden]
    assert not wrong, "\n".join(sorted(set(wrong)))


def test_the_package_has_no_import_cycle_between_its_sub_packages() -> None:
    """No module of daemon/ imports, even inside a function, a module that leads back to it
    (imports only for type checking do not count: they never run)."""
    graph: dict[str, set[str]] = {}
    for path in _sources("daemon"):
        rel = path.relative_to(REPO / "daemon").with_suffix("")
        me = ".".join(rel.parts).removesuffix(".__init__")
        deps = graph.setdefault(me, set())
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _runtime_nodes(tree):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name.startswith("daemon."):
                    deps.add(name.removeprefix("daemon."))
    modules = set(graph)
    edges = {m: {d for d in deps if d in modules and d != m} for m, deps in graph.items()}
    seen: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        seen[node] = 1
        stack.append(node)
        for nxt in sorted(edges[node]):
            if seen.get(nxt) == 1:
                return [*stack[stack.index(nxt):], nxt]
            if nxt not in seen and (cycle := visit(nxt)) is not None:
                return cycle
        stack.pop()
        seen[node] = 2
        return None

    for module in sorted(modules):
        if module not in seen and (found := visit(module)) is not None:
            pytest.fail("import cycle: " + " -> ".join(found))
