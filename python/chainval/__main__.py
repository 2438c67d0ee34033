"""``python3 -m chainval``: the ``chainval`` command (see chainval.cli)."""

import sys

from .cli import main

sys.exit(main())
