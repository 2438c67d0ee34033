#!/usr/bin/env python3
"""No two source files depend on each other, directly or round a longer loop.

The guide asks for files that can be read bottom-up: a cycle between files
(cert.c, x509.c and nc.c calling each other; formats.py and sonar.py
importing each other) means neither can be understood or tested alone.
This checks, for each C directory, the graph "file A uses a function or
variable defined in file B" (comments and strings removed first), and for the
Python package the graph "module A imports module B" (every import
statement, lazy ones inside functions included). A package's __init__ is
left out of the Python graph: importing chainval.x runs chainval/__init__
first anyway, so edges to and from it say nothing about layering.

Usage: check-layering.py SOURCE_ROOT. Prints each cycle; exit 1 if any.
"""
import ast
import pathlib
import re
import sys

C_DIRS = ("libchain", "scanner", "python/chainval")
PY_ROOT = "python/chainval"

# A definition of a function with external linkage: at the start of a line,
# not static, a name and a parameter list followed by a body.
C_DEFINITION = re.compile(r"^(?!static\b)[A-Za-z_][^;=(:\n]*?\b(\w+)\s*\([^;{]*\)\s*\{", re.M)
# A variable with external linkage: "type name = ...;" or "type name[...];"
# at the start of a line (the module's PyModuleDef, say).
C_VARIABLE = re.compile(
    r"^(?!static\b|extern\b|typedef\b|return\b)[A-Za-z_][\w \t*]*?[\s*](\w+)\s*(?:\[[^\]\n]*\])?\s*[=;]",
    re.M)
C_NOISE = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])+\'', re.S)


def c_graph(directory):
    text = {p.name: C_NOISE.sub(" ", p.read_text()) for p in sorted(directory.glob("*.c"))}
    defined = {}
    for name, body in text.items():
        for pattern in (C_DEFINITION, C_VARIABLE):
            for m in pattern.finditer(body):
                defined.setdefault(m.group(1), name)
    graph = {name: set() for name in text}
    for name, body in text.items():
        for used in set(re.findall(r"\b\w+\b", body)):
            owner = defined.get(used)
            if owner and owner != name:
                graph[name].add(owner)
    return graph


def module_name(root, path):
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def py_graph(root):
    modules = {module_name(root, p): p for p in sorted(root.rglob("*.py"))}
    packages = {module_name(root, p) for p in root.rglob("__init__.py")}
    graph = {m: set() for m in modules if m not in packages}
    for mod in graph:
        path = modules[mod]
        package = mod.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                # "from pkg import name" imports pkg.name when that is a module.
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                           for a in node.names]
            else:
                continue
            for t in targets:
                # "import a.b.c" depends on the deepest module of ours it names.
                while t and t not in modules:
                    t = t.rpartition(".")[0]
                if t in graph and t != mod:
                    graph[mod].add(t)
    return graph


def cycles(graph):
    """The strongly connected components of more than one node (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def describe(graph, component):
    members = set(component)
    return "; ".join(f"{a} -> {', '.join(sorted(graph[a] & members))}" for a in component)


def main():
    root = pathlib.Path(sys.argv[1])
    bad = 0
    for d in C_DIRS:
        graph = c_graph(root / d)
        for c in cycles(graph):
            print(f"{d}: C files call each other: {describe(graph, c)}")
            bad += 1
    graph = py_graph(root / PY_ROOT)
    for c in cycles(graph):
        print(f"{PY_ROOT}: modules import each other: {describe(graph, c)}")
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
