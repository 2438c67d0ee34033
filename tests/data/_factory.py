"""chainval.testing for the fixture generators, loaded from its file: regenerating
fixtures must not need the compiled extension that `import chainval` would load."""

import importlib.util
import sys
from pathlib import Path

_spec = importlib.util.spec_from_file_location(
    "chainval_testing",
    Path(__file__).resolve().parents[2] / "python" / "chainval" / "testing.py")
factory = importlib.util.module_from_spec(_spec)
sys.modules["chainval_testing"] = factory
_spec.loader.exec_module(factory)
