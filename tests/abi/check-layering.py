#!/usr/bin/env python3
"""No two source files depend on each other, directly or round a longer loop.

The guide asks for files that can be read bottom-up: a cycle between files
(cert.c, x509.c and nc.c calling each other; formats.py and sonar.py
importing each other) means neither can be understood or tested alone.
This checks, for each C directory, the graph "file A uses a function or
variable defined in file B" (comments and strings removed first), and for the
Python package the graph "module A imports module B" (every import
statement, lazy ones inside functions included; a name a package exports
lazily counts as its module). A package's __init__ is left out of the
Python graph: importing chainval.x runs chainval/__init__ first anyway, so
edges to and from it say nothing about layering.

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
C_NOISE = re.compile(r"__attribute__\s*\(\((?:[^()]|\([^()]*\))*\)\)|"
                     r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])+\'', re.S)


# A static inline function in a header: its body is compiled into each file
# that includes the header, so what it uses, that file uses.
C_INLINE = re.compile(r"^static inline\b[^;=(\n]*?\b\w+\s*\([^;{]*\)\s*\{", re.M)
C_INCLUDE = re.compile(r'^#include\s+"([^"/]+\.h)"', re.M)
# A definition whose return type is on the line before: C_DEFINITION cannot
# see it (the project's style keeps both on one line).
C_NAME_FIRST = re.compile(r"^([A-Za-z_]\w*)\s*\([^;{]*\)\s*\{", re.M)


def _body(text, brace):
    """text[brace:] up to the brace that closes the one at ``brace``."""
    depth = 0
    for i in range(brace, len(text)):
        depth += {"{": 1, "}": -1}.get(text[i], 0)
        if depth == 0:
            return text[brace:i + 1]
    return text[brace:]


def c_graph(directory, problems):
    sources = sorted(p for p in directory.iterdir() if p.suffix in (".c", ".cc"))
    raw = {p.name: p.read_text() for p in sources}
    text = {name: C_NOISE.sub(" ", body) for name, body in raw.items()}
    inline = {}
    for h in sorted(directory.glob("*.h")):
        clean = C_NOISE.sub(" ", h.read_text())
        inline[h.name] = " ".join(_body(clean, m.end() - 1) for m in C_INLINE.finditer(clean))
    defined = {}
    for name, body in text.items():
        for m in C_NAME_FIRST.finditer(body):
            problems.append(f"{directory.name}/{name}: {m.group(1)}() has its return type on "
                            "the line before: this check cannot see such a definition")
        for pattern in (C_DEFINITION, C_VARIABLE):
            for m in pattern.finditer(body):
                other = defined.setdefault(m.group(1), name)
                if other != name:
                    problems.append(f"{directory.name}: {m.group(1)} is defined in both "
                                    f"{other} and {name}")
    graph = {name: set() for name in text}
    for name, body in text.items():
        # Quoted includes are looked up in the directory of the file itself.
        used = body + " ".join(inline.get(h, "") for h in C_INCLUDE.findall(raw[name]))
        for word in set(re.findall(r"\b\w+\b", used)):
            owner = defined.get(word)
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
    # A package that imports its names lazily (chainval/_lazy.py) maps each to
    # its module in a literal _EXPORTS: "from pkg import Name" uses that module.
    exports = {}
    for pkg in packages:
        for node in ast.parse(modules[pkg].read_text()).body:
            if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] \
                    == ["_EXPORTS"]:
                exports[pkg] = {k: f"{pkg}.{v}" for k, v in ast.literal_eval(node.value).items()}
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
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules
                           else exports.get(base, {}).get(a.name, base) for a in node.names]
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
    problems = []
    for d in C_DIRS:
        graph = c_graph(root / d, problems)
        for c in cycles(graph):
            print(f"{d}: C files call each other: {describe(graph, c)}")
            bad += 1
    graph = py_graph(root / PY_ROOT)
    for c in cycles(graph):
        print(f"{PY_ROOT}: modules import each other: {describe(graph, c)}")
        bad += 1
    for p in problems:
        print(p)
    return 1 if bad or problems else 0


if __name__ == "__main__":
    sys.exit(main())
