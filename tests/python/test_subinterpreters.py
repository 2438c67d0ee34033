"""Py_mod_multiple_interpreters: the extension declares it supports a GIL per
interpreter (CPython 3.12+). The suite runs on the machine's Python (3.11 on
Debian 12), which has no such interpreters, so this test builds the extension
once more for a CPython >= 3.13 found on the machine (python3.13/3.14 on PATH,
or a pyenv version) and verifies chains in 4 isolated subinterpreters, each
with its own GIL, on 4 threads at once. Without such a CPython it skips and says so."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import chainval
from _support import T

SOURCE = Path(__file__).resolve().parents[2]


def _newer_python() -> str | None:
    candidates = [shutil.which(n) for n in ("python3.14", "python3.13")]
    candidates += sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.1[3-9]*/bin/python3")),
                         reverse=True)
    for exe in filter(None, candidates):
        probe = subprocess.run(
            [exe, "-c", "import sys, sysconfig, _interpreters; "
                        "print(sysconfig.get_paths()['include']); "
                        "print(sysconfig.get_config_var('EXT_SUFFIX'))"],
            capture_output=True, text=True)
        if probe.returncode == 0 and os.path.exists(probe.stdout.split()[0] + "/Python.h"):
            return exe
    return None


def _build_for(exe: str, into: Path) -> None:
    include, suffix = subprocess.run(
        [exe, "-c", "import sysconfig; print(sysconfig.get_paths()['include']); "
                    "print(sysconfig.get_config_var('EXT_SUFFIX'))"],
        capture_output=True, text=True, check=True).stdout.split()
    built = Path(chainval._chainval.__file__).resolve().parents[2]  # the meson build dir
    package = into / "chainval"
    shutil.copytree(Path(chainval.__file__).parent, package,
                    ignore=shutil.ignore_patterns("_chainval*", "*.p", "__pycache__"))
    cmd = [os.environ.get("CC", "gcc"), "-shared", "-fPIC", "-O1", "-std=gnu11", "-Wall", "-Wextra",
           "-Werror", f"-I{include}", f"-I{SOURCE}/include", f"-I{SOURCE}/include/chain",
           f"-I{built}/include/chain", *sorted(map(str, (SOURCE / "python/chainval").glob("_*.c"))),
           f"{built}/scanner/libscanner.a", "-lsimdjson", "-lgnutls", "-lstdc++",
           f"-L{built}/libchain", "-lchain", f"-Wl,-rpath,{built}/libchain",
           "-o", str(package / f"_chainval{suffix}")]
    subprocess.run(cmd, check=True, capture_output=True, text=True)


@pytest.mark.skipif(sys.platform != "linux", reason="builds with gcc against the meson build")
def test_isolated_subinterpreters_each_with_its_own_gil(tmp_path, world):
    exe = _newer_python()
    if exe is None:
        pytest.skip("no CPython >= 3.13 with headers on this machine (python3.13/3.14 or pyenv): "
                    f"per-interpreter GIL untested here (Python {sys.version.split()[0]} runs the suite)")
    _build_for(exe, tmp_path)
    (tmp_path / "root.pem").write_bytes(world.root.pem)
    (tmp_path / "chain.pem").write_bytes(world.leaf.pem + world.inter.pem)
    inner = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        import chainval
        store = chainval.TrustStore.from_pem(open({str(tmp_path / 'root.pem')!r}, 'rb').read())
        chain = open({str(tmp_path / 'chain.pem')!r}, 'rb').read()
        good = chainval.Policy(hostname='www.example.com', at={T})
        wrong = chainval.Policy(hostname='other.example', at={T})
        for _ in range(200):
            r = chainval.verify(chain, store=store, policy=good)
            assert r.ok and len(r.chain) == 3, r.code
            assert chainval.verify(chain, store=store, policy=wrong).code == 'hostname_mismatch'
    """)
    outer = textwrap.dedent(f"""
        import _interpreters, threading
        # CPython 3.13 crashes when interpreters set up _datetime's static
        # types concurrently (python/cpython#136421): set them up here first.
        import _datetime
        errors = []
        def run():
            interp = _interpreters.create()  # the 'isolated' config: a GIL of its own
            failure = _interpreters.exec(interp, {inner!r})
            if failure:
                errors.append(failure.formatted)
            _interpreters.destroy(interp)
        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads: t.start()
        for t in threads: t.join()
        print('errors:', errors)
        raise SystemExit(1 if errors else 0)
    """)
    (tmp_path / "outer.py").write_text(outer)
    done = subprocess.run([exe, str(tmp_path / "outer.py")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("name", ["TrustStore", "Pool", "Policy", "Result", "Cache",
                                  "_Reader", "_ScanEngine"])
def test_the_extension_types_cannot_be_subclassed(name):
    """Each of them finds its module state through its own type
    (PyType_GetModuleState, _chainval.h): a subclass would be a type of no
    module, so none may have one (nor a changed __class__)."""
    from chainval import _chainval

    base = getattr(_chainval, name)
    with pytest.raises(TypeError):
        type("Sub", (base,), {})
    with pytest.raises(TypeError):
        base.anything = 1  # immutable: its flags cannot be changed either
