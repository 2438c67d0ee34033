"""The `chainval` command line's dispatch (python/chainval/cli.py): every subcommand is
listed in `chainval --help`, and only the chosen one's module is imported (a scan does
not pay for the report's, verify's and probe's imports at start-up)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from chainval import cli

from _scan_support import run_cli


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
