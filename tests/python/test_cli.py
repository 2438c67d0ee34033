"""The `chainval` command line's dispatch (python/chainval/cli.py): every subcommand is
listed in `chainval --help`, and only the chosen one's module is imported (a scan does
not pay for the report's, verify's and probe's imports at start-up)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from chainval import cli

from _scan_support import jsonl_line, paths, pki, run_cli  # noqa: F401 (fixtures)


def _imported_after(*args: str) -> set[str]:
    """chainval's modules (and sqlite3) loaded by running `chainval ARGS` in a fresh
    interpreter."""
    code = ("import sys, chainval.cli\n"
            "try:\n    chainval.cli.main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "import json\nprint(json.dumps(sorted(m for m in sys.modules\n"
            "                              if m.startswith('chainval') or m == 'sqlite3')))")
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                         check=True).stdout
    return set(json.loads(out.splitlines()[-1]))


def test_help_lists_every_subcommand(capsys):
    r = run_cli(capsys, "--help")
    assert r.status == 0
    for name, _, text in cli.COMMANDS:
        assert name in r.out and text in r.out


@pytest.mark.parametrize("name, module, text", cli.COMMANDS)
def test_each_subcommand_gets_its_own_full_parser(capsys, name, module, text):
    r = run_cli(capsys, name, "--help")
    assert r.status == 0 and f"usage: chainval {name}" in r.out
    # The listing's text is the one the module itself registers.
    parser = cli._parser([name])
    sub = next(a for a in parser._actions if isinstance(a, cli.argparse._SubParsersAction))
    helps = {c.dest: c.help for c in sub._choices_actions}
    assert helps[name] == text


def test_only_the_chosen_subcommand_is_imported():
    scan = _imported_after("scan", "/nonexistent-input", "--roots", "/nonexistent")
    assert "chainval.scan.command" in scan
    assert not {"chainval.scan.report", "chainval.show.verify", "chainval.show.probe"} & scan
    bare = _imported_after("--version")
    assert not {module for _, module, _ in cli.COMMANDS} & bare


def test_a_command_imports_only_the_scanner_modules_it_uses():
    """chainval.scan and chainval.scan.formats export their names lazily: `--version`
    reads only the exit-status table, `verify` the stores and --at's parser, and
    neither the scan engine, the input readers nor sqlite3 (Sonar's)."""
    scanner = {"chainval.scan.engine", "chainval.scan.rows", "chainval.scan.summary",
               "chainval.scan.formats.input", "chainval.scan.formats.sonar",
               "chainval.scan.formats.ct", "sqlite3"}
    bare = _imported_after("--version")
    assert "chainval.scan.errors" in bare and not scanner & bare
    verify = _imported_after("verify", "/nonexistent.pem")
    assert {"chainval.show.verify", "chainval.scan.stores"} <= verify
    assert not scanner & verify
    # Each name is still there when asked for, from the module that defines it.
    import chainval.scan
    import chainval.scan.formats
    from chainval.scan import Scanner, engine
    from chainval.scan.formats import Input, input as input_module
    assert Scanner is engine.Scanner and Input is input_module.Input
    assert set(chainval.scan.__all__) <= set(dir(chainval.scan))
    assert set(chainval.scan.formats.__all__) <= set(dir(chainval.scan.formats))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        chainval.scan.nope  # noqa: B018


def test_an_unknown_subcommand_is_a_usage_error(capsys):
    r = run_cli(capsys, "nope")
    assert r.status == 2 and "invalid choice: 'nope'" in r.err


def _program(*args: str, before: str = "", env=None) -> subprocess.CompletedProcess:
    """`chainval ARGS` through chainval.cli.program, the program's entry, in a fresh
    interpreter that says on stderr whether its atexit handlers ran ("[atexit]") and
    whether Python's finalisation did ("[finalised]": an object of __main__ freed)."""
    code = ("import atexit, os, sys\n"
            "atexit.register(lambda: os.write(2, b'[atexit]'))\n"
            "class Marker:\n"
            "    def __del__(self):\n"
            "        os.write(2, b'[finalised]')\n"
            "marker = Marker()\n"
            "sys.argv[0] = 'chainval'\n"
            + before +
            "from chainval.cli import program\n"
            "program()\n")
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, env=env)


def _ok_rows(pki, path, n: int) -> None:
    path.write_text("".join(jsonl_line(pki.ok_chain, id=f"r{i}") + "\n" for i in range(n)))


def test_the_program_ends_a_local_scan_without_tearing_down_its_memory(tmp_path, pki, paths):
    """A local scan's process ends with os._exit once its output is written (freeing a
    full verdict cache object by object took ~20 ms), after the atexit handlers: every
    row still reaches stdout, a pipe here, well past its buffer, and -o files and the
    summary are complete. A usage error ends the usual way."""
    n = 600  # ~300 KB of rows: more than a pipe and stdout's buffer hold
    data = tmp_path / "in.jsonl"
    _ok_rows(pki, data, n)
    r = _program("scan", str(data), "--roots", str(paths["roots"]), "-o", "-", "-q",
                 "--progress", "never")
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert r.returncode == 0, r.stderr
    assert [row["id"] for row in rows] == [f"r{i}" for i in range(n)]
    assert all(row["ok"] for row in rows)
    assert r.stderr == b"[atexit]"  # and no finalisation

    out, summary = tmp_path / "out.jsonl", tmp_path / "summary.json"
    r = _program("scan", str(data), "--roots", str(paths["roots"]), "-o", str(out),
                 "--summary", str(summary), "--progress", "never", "--fail-on-malformed")
    assert r.returncode == 0 and r.stderr.endswith(b"[atexit]")
    assert b"chainval scan: wrote" in r.stderr  # stderr's last line, flushed
    assert len(out.read_text().splitlines()) == n
    assert json.loads(summary.read_text())["verdicts"]["ok"] == n

    r = _program("scan", str(tmp_path / "missing.jsonl"), "--roots", str(paths["roots"]))
    assert r.returncode == 2 and r.stderr.endswith(b"[atexit][finalised]")


def test_the_program_ends_the_usual_way_where_something_needs_it(tmp_path, pki, paths):
    """Without stdout at all (`>&-`, sys.stdout is None) a scan to -o FILE still ends
    with 0; under a profiler or a tracer (cProfile, trace, coverage: they write their
    data after the code returns) the process ends the usual way; a temporary copy of a
    URL input (fsspec's simplecache, removed by a weakref finalizer at exit) is not
    left behind."""
    data = tmp_path / "in.jsonl"
    _ok_rows(pki, data, 3)
    out = tmp_path / "out.jsonl"
    r = _program("scan", str(data), "--roots", str(paths["roots"]), "-o", str(out), "-q",
                 "--progress", "never", before="os.close(1); sys.stdout = None\n")
    assert r.returncode == 0, r.stderr
    assert r.stderr == b"[atexit]" and len(out.read_text().splitlines()) == 3

    # cProfile and trace write what they gathered once the program returns to them.
    for tool in (["cProfile", "-o", "{}", "-m"], ["trace", "--count", "--file", "{}", "--module"]):
        result = tmp_path / tool[0]
        r = subprocess.run([sys.executable, "-m", *(a.format(result) for a in tool), "chainval",
                            "scan", str(data), "--roots", str(paths["roots"]), "-o", "-", "-q",
                            "--progress", "never"], capture_output=True)
        assert r.returncode == 0, r.stderr
        assert result.stat().st_size > 0

    pytest.importorskip("fsspec")
    temp = tmp_path / "temp"
    temp.mkdir()
    r = _program("scan", f"simplecache::file://{data}", "--roots", str(paths["roots"]),
                 "-o", "-", "-q", "--progress", "never",
                 env=dict(os.environ, TMPDIR=str(temp)))
    assert r.returncode == 0 and len(r.stdout.splitlines()) == 3, r.stderr
    assert list(temp.iterdir()) == []
