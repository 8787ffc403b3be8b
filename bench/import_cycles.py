"""Import cycles left in serviceloop/: the strongly connected components of the module import graph.

    python bench/import_cycles.py [ROOT]     # ROOT: the directory holding serviceloop/ (default: this checkout)

Every non-test ``.py`` under ``serviceloop/`` (migrations left out) is parsed with ``ast``; an edge
``a -> b`` means module ``a`` imports module ``b`` (or a name from it). Imports at module level
(including class bodies and ``if TYPE_CHECKING:`` blocks, counted apart) and imports inside
functions are counted separately: the first kind are cycles Python has to resolve at import time,
the second kind are the hidden ones (lazy imports written to dodge the first). Three graphs are
reported: module-level only, function-level only, and both together. A package's
``__init__`` counts as the package's module; ``from pkg import mod`` names the submodule when it
exists. Not a test: it prints, it does not fail.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from pathlib import Path

PACKAGE = "serviceloop"


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def collect(root: Path) -> tuple[set[str], dict[str, Path]]:
    files: dict[str, Path] = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        rel = path.relative_to(root).parts
        if "tests" in rel or "migrations" in rel or path.name.startswith("test_"):
            continue
        files[module_name(root, path)] = path
    return set(files), files


def resolve(current: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = current.split(".")
    if not is_package:
        base = base[:-1]
    if node.level > 1:
        base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def known(name: str, modules: set[str]) -> str | None:
    """The longest module of ours that ``name`` is or lies in."""
    while name:
        if name in modules:
            return name
        name = name.rpartition(".")[0]
    return None


class Visitor(ast.NodeVisitor):
    def __init__(self, current: str, is_package: bool, modules: set[str]) -> None:
        self.current, self.is_package, self.modules = current, is_package, modules
        self.depth = 0  # > 0 inside a function
        self.type_checking = 0
        self.edges: dict[str, set[str]] = {"module": set(), "function": set(), "type_checking": set()}

    def _kind(self) -> str:
        if self.depth:
            return "function"
        return "type_checking" if self.type_checking else "module"

    def _add(self, target: str | None) -> None:
        if target and target != self.current:
            self.edges[self._kind()].add(target)

    def visit_FunctionDef(self, node: ast.AST) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = visit_FunctionDef

    def visit_If(self, node: ast.If) -> None:
        test = node.test
        guarded = (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
            isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")
        if guarded:
            self.type_checking += 1
            for child in node.body:
                self.visit(child)
            self.type_checking -= 1
            for child in node.orelse:
                self.visit(child)
        else:
            self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(known(alias.name, self.modules))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = resolve(self.current, self.is_package, node)
        for alias in node.names:
            sub = f"{base}.{alias.name}" if base else alias.name
            self._add(sub if sub in self.modules else known(base, self.modules))


def graphs(root: Path) -> dict[str, dict[str, set[str]]]:
    modules, files = collect(root)
    out: dict[str, dict[str, set[str]]] = {k: defaultdict(set) for k in ("module", "function", "type_checking")}
    for name, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        visitor = Visitor(name, path.name == "__init__.py", modules)
        visitor.visit(tree)
        for kind, targets in visitor.edges.items():
            out[kind][name] |= targets
    return out


def sccs(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of more than one module (or a self-loop)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    nodes = sorted(set(graph) | {t for ts in graph.values() for t in ts})
    for start in nodes:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return sorted(found, key=lambda c: (-len(c), c))


def app_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def report(title: str, graph: dict[str, set[str]]) -> None:
    edges = sum(len(v) for v in graph.values())
    components = sccs(graph)
    print(f"== {title}: {edges} edges, {len(components)} cycle(s)")
    for component in components:
        apps = sorted({app_of(m) for m in component})
        print(f"  [{len(component)} modules; apps: {', '.join(apps)}]")
        for member in component:
            inside = sorted(t for t in graph.get(member, ()) if t in component)
            print(f"    {member} -> {', '.join(inside)}")
    # the same graph folded to apps: which apps import each other (directly or around a loop)
    app_graph: dict[str, set[str]] = defaultdict(set)
    for source, targets in graph.items():
        for target in targets:
            if app_of(source) != app_of(target):
                app_graph[app_of(source)].add(app_of(target))
    app_cycles = sccs(app_graph)
    print(f"  app level: {len(app_cycles)} cycle(s)" + "".join(f"\n    {' <-> '.join(c)}" for c in app_cycles))


def main(argv: list[str]) -> int:
    root = Path(argv[1]).resolve() if len(argv) > 1 else Path(__file__).resolve().parent.parent
    found = graphs(root)
    both: dict[str, set[str]] = defaultdict(set)
    for kind in ("module", "function"):
        for source, targets in found[kind].items():
            both[source] |= targets
    print(f"import graph of {root / PACKAGE}")
    report("module-level imports", found["module"])
    report("function-level imports", found["function"])
    report("module- and function-level together", both)
    tc = sum(len(v) for v in found["type_checking"].values())
    print(f"(imports under TYPE_CHECKING, not counted above: {tc})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
