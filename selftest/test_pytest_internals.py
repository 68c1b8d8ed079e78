#!/usr/bin/env python3
"""The private pytest symbols that the judges' pytest_internals use exist."""
import importlib

import pytest

from kata.judge import pytest_internals


@pytest.mark.parametrize("dotted", pytest_internals.PRIVATE_SYMBOLS)
def test_private_symbol_exists(dotted: str) -> None:
    """Each private symbol is still where pytest_internals expects it."""
    parts = dotted.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            value = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        break
    for name in parts[split:]:
        if name == "_tmp_path_factory":
            # An attribute pytest sets on a configured Config, not on the
            # class: look for it where tmpdir's plugin assigns it.
            import _pytest.tmpdir
            source = importlib.import_module("inspect").getsource(
                _pytest.tmpdir)
            assert "config._tmp_path_factory" in source, dotted
            return
        assert hasattr(value, name), "pytest no longer has {}".format(dotted)
        value = getattr(value, name)


def test_no_other_module_uses_pytest_internals() -> None:
    """Only pytest_internals imports from _pytest (besides plugin names)."""
    from pathlib import Path
    kata = Path(pytest_internals.__file__).parent
    offenders = [path.name for path in kata.rglob("*.py")
                 if path.name != "pytest_internals.py"
                 and ("from _pytest" in path.read_text()
                      or "import _pytest" in path.read_text())]
    assert not offenders, offenders
