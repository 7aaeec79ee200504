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


# --- who changes a case's status ---------------------------------------------------------

TRANSITIONS_MODULE = "daemon/cases/transitions.py"


def _model_names() -> set[str]:
    """The classes of models/: what a name in daemon/ can be known to hold."""
    return {node.name for path in _sources("models")
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.ClassDef)}


def _model_of(expr: ast.AST | None, known: dict[str, str], models: set[str]) -> str | None:
    """The model an expression holds, as far as the text shows: `Case(...)`,
    `session.get(OutboxMail, ...)`, `select(Case)...`, a name already known, or an
    annotation; `Case` wins when it is named at all (the strict reading)."""
    if expr is None:
        return None
    names = [n.id for n in ast.walk(expr) if isinstance(n, ast.Name)]
    found = [n for n in names if n in models] + [known[n] for n in names if n in known]
    if "Case" in found:
        return "Case"
    return found[0] if found else None


def _status_writes(path: Path, models: set[str]) -> Iterator[tuple[int, str, str | None]]:
    """(line, function, model) of every `<x>.status = ...` in a file, and of every
    `status=` keyword given to `Case(...)` or to an `update(Case)`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    case_attributes = {  # attributes declared as holding a case: Work.case, Incoming.case...
        node.target.id for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
        and _model_of(node.annotation, {}, models) == "Case"}
    case_attributes |= {"case", "candidate", "previous_case"}
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    inside = {id(n) for f in functions for n in ast.walk(f) if n is not f}
    scopes: list[ast.AST] = [tree, *functions]
    for scope in scopes:
        name = getattr(scope, "name", "<module>")
        known: dict[str, str] = {}
        if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
            for arg in (*scope.args.posonlyargs, *scope.args.args, *scope.args.kwonlyargs):
                model = _model_of(arg.annotation, {}, models)
                if model is not None:
                    known[arg.arg] = model
        # Each node once, in the innermost function around it (the module: outside them).
        nested = {id(n) for f in functions if f is not scope and id(f) in {
            id(m) for m in ast.walk(scope)} for n in ast.walk(f)}
        body = [n for n in ast.walk(scope) if n is not scope and id(n) not in nested
                and (scope is not tree or id(n) not in inside)]
        for node in sorted((n for n in body if hasattr(n, "lineno")),
                           key=lambda n: (n.lineno, n.col_offset)):
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.For | ast.comprehension):
                value = node.iter if isinstance(node, ast.For | ast.comprehension) else node.value
                targets = (node.targets if isinstance(node, ast.Assign) else [node.target])
                for target in targets:
                    for leaf in ast.walk(target):
                        if isinstance(leaf, ast.Name) and isinstance(leaf.ctx, ast.Store):
                            model = _model_of(
                                node.annotation if isinstance(node, ast.AnnAssign) else value,
                                known, models)
                            if model is not None:
                                known[leaf.id] = model
            if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    for leaf in ast.walk(target):
                        if isinstance(leaf, ast.Attribute) and leaf.attr == "status" \
                                and isinstance(leaf.ctx, ast.Store):
                            base = leaf.value
                            if isinstance(base, ast.Attribute) and base.attr in case_attributes:
                                model: str | None = "Case"
                            else:
                                model = _model_of(base, known, models)
                            yield node.lineno, name, model
            if isinstance(node, ast.Call) and any(k.arg == "status" for k in node.keywords):
                called = ast.unparse(node.func)
                if called == "Case" or "update(Case" in ast.unparse(node):
                    yield node.lineno, name, "Case"


def test_only_the_state_machine_assigns_a_case_status() -> None:
    """`Case.status` is assigned in daemon/cases/transitions.py's `move` alone: anywhere
    else in daemon/, a `.status =` on a case, or on anything the code does not show to be
    another model, and a `status=` given to `Case(...)` fail."""
    models = _model_names()
    wrong = []
    for path in _sources("daemon"):
        rel = str(path.relative_to(REPO))
        for line, function, model in _status_writes(path, models):
            if rel == TRANSITIONS_MODULE and function == "move":
                continue
            if model is None or model == "Case":
                wrong.append(f"{rel}:{line} ({function}) sets the status of "
                             f"{'a case' if model else 'something not shown to be a model'}")
    assert not wrong, "\n".join(wrong)
    moves = [w for w in _status_writes(REPO / TRANSITIONS_MODULE, models) if w[1] == "move"]
    assert len(moves) == 1 and moves[0][2] == "Case", moves


def test_the_status_scan_sees_a_case_however_it_is_named(tmp_path: Path) -> None:
    """The scan finds a case's status set through a parameter, a query, a step's work, a
    constructor or an update, and lets other models' statuses be."""
    source = tmp_path / "sample.py"
    source.write_text(
        "def a(case: Case | None, row: OutboxMail) -> None:\n"
        "    case.status = 'x'\n"
        "    row.status = 'sent'\n"
        "def b(session, w) -> None:\n"
        "    tagged = session.scalar(select(Case).where(Case.id == 1))\n"
        "    tagged.status = 'x'\n"
        "    w.case.status = 'x'\n"
        "    item = session.get(TriageItem, 1)\n"
        "    item.status = 'closed'\n"
        "    mystery.status = 'x'\n"
        "    Case(reference='r', status='new')\n"
        "    session.execute(update(Case).values(status='new'))\n",
        encoding="utf-8")
    found = [(line, model) for line, _f, model in _status_writes(source, _model_names())]
    assert found == [(2, "Case"), (3, "OutboxMail"), (6, "Case"), (7, "Case"),
                     (9, "TriageItem"), (10, None), (11, "Case"), (12, "Case")]
