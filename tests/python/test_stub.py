"""The type stub python/chainval/__init__.pyi covers the runtime API: every
public name of the chainval module, and the public members of its classes."""

from __future__ import annotations

import __future__
import ast
import enum
import inspect
import types

import pytest

import chainval
from _support import STUB


def _stub_tree() -> ast.Module:
    return ast.parse(STUB.read_text(encoding="utf-8"), filename=str(STUB))


def _names_in(body) -> set[str]:
    names: set[str] = set()
    for node in body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    names.add(target.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                # "from x import y as y" is the stub convention for a re-export
                if alias.asname and alias.asname == alias.name.split(".")[-1]:
                    names.add(alias.asname)
    return names


def _stub_classes() -> dict[str, ast.ClassDef]:
    return {n.name: n for n in _stub_tree().body if isinstance(n, ast.ClassDef)}


def _public_runtime_names() -> set[str]:
    names = set(getattr(chainval, "__all__", ()))
    for name in dir(chainval):
        if name.startswith("_"):
            continue
        value = getattr(chainval, name)
        # modules imported by the package (enum, testing, ...) and the
        # `from __future__ import annotations` feature object are not API
        if isinstance(value, types.ModuleType) or isinstance(value, __future__._Feature):
            continue
        names.add(name)
    names.add("__version__")
    return names


def test_stub_exists_and_parses():
    assert STUB.is_file()
    _stub_tree()


def test_every_public_name_is_in_the_stub():
    missing = _public_runtime_names() - _names_in(_stub_tree().body)
    assert not missing, f"in chainval but not in {STUB.name}: {sorted(missing)}"


def test_all_is_consistent():
    for name in chainval.__all__:
        assert hasattr(chainval, name), name


def test_stub_names_exist_at_runtime():
    """The stub does not promise names the module lacks."""
    stub_only = {n for n in _names_in(_stub_tree().body)
                 if not n.startswith("_") and n not in ("CertLike", "ChainLike")}
    absent = {n for n in stub_only if not hasattr(chainval, n)}
    assert not absent, f"in {STUB.name} but not in chainval: {sorted(absent)}"


_BASE_MEMBERS = set(dir(tuple)) | set(dir(BaseException)) | set(dir(object)) | {
    "n_fields", "n_sequence_fields", "n_unnamed_fields"}


def _runtime_classes():
    for name in sorted(_public_runtime_names()):
        value = getattr(chainval, name, None)
        if inspect.isclass(value):
            yield name, value


@pytest.mark.parametrize("name", [n for n, _ in _runtime_classes()])
def test_class_members_are_in_the_stub(name):
    cls = getattr(chainval, name)
    stub = _stub_classes().get(name)
    assert stub is not None, f"class {name} missing from the stub"
    stub_members = _names_in(stub.body)
    if issubclass(cls, enum.Enum):
        runtime = set(cls.__members__)
    else:
        runtime = {m for m in dir(cls) if not m.startswith("_") and m not in _BASE_MEMBERS}
        runtime |= set(getattr(cls, "__match_args__", ()))  # struct-sequence fields
    missing = runtime - stub_members
    assert not missing, f"{name}: not in the stub: {sorted(missing)}"


def test_policy_keywords_match_the_stub():
    """Policy's keyword arguments in the stub are exactly its readable fields."""
    init = next(n for n in _stub_classes()["Policy"].body
                if isinstance(n, ast.FunctionDef) and n.name == "__new__")
    keywords = {a.arg for a in init.args.kwonlyargs}
    p = chainval.Policy()
    for kw in keywords:
        assert hasattr(p, kw), kw
        chainval.Policy(**{kw: getattr(p, kw)})  # the stub's keywords are accepted


def test_function_signatures_in_the_stub():
    funcs = {n.name: n for n in _stub_tree().body if isinstance(n, ast.FunctionDef)}
    assert {a.arg for a in funcs["verify"].args.kwonlyargs} == {"store", "policy",
                                                                 "intermediates", "cache",
                                                                 "ocsp"}
    assert {a.arg for a in funcs["verify_many"].args.kwonlyargs} == {
        "store", "policy", "intermediates", "threads", "cache"}


def test_stubtest_passes(tmp_path):
    """mypy's stubtest compares the stub with the runtime module: signatures,
    members, @final, struct sequences. Allowlisted (each with a reason):
    tests/python/stubtest-allowlist.txt."""
    import os
    import pathlib
    import subprocess
    import sys

    pytest.importorskip("mypy.stubtest", reason="mypy is not installed (requirements-dev.txt)")
    package_dir = pathlib.Path(chainval.__file__).parent.parent
    allowlist = pathlib.Path(__file__).with_name("stubtest-allowlist.txt")
    env = dict(os.environ, PYTHONPATH=str(package_dir))
    # run from a scratch directory: mypy writes its cache there
    out = subprocess.run([sys.executable, "-m", "mypy.stubtest", "chainval", "--allowlist",
                          str(allowlist)], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
