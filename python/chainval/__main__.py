"""``python3 -m chainval``: the ``chainval`` command (see chainval.cli)."""

from .cli import program

program()
