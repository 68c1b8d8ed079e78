#!/usr/bin/env python3
"""Every use of pytest's private API, in one place (pytest is pinned to 9.2).

The checker configures pytest and collects the specs once, then forks a
judge per step that runs only that step's tests. pytest has no public API
for a session that is configured once and run many times, so this module
reaches into its internals; ``selftest/test_pytest_internals.py`` names each
private symbol used here, so that an upgrade that removes one fails loudly.
"""
import importlib
from pathlib import Path
from typing import Any, Sequence

import pytest

# The private symbols this module relies on, checked by the selftest.
PRIVATE_SYMBOLS = (
    "_pytest.config._prepareconfig",
    "_pytest.config.default_plugins",
    "_pytest.config.Config._do_configure",
    "_pytest.config.Config._tmp_path_factory",
    "_pytest.tmpdir.TempPathFactory.from_config",
)


def import_default_plugins() -> None:
    """Import pytest's built-in plugins, so that forked judges start warm."""
    from _pytest.config import default_plugins
    for plugin in default_plugins:
        importlib.import_module("_pytest." + plugin)


def configured(arguments: Sequence[str]) -> pytest.Config:
    """Return a pytest configuration parsed from arguments and configured."""
    from _pytest.config import _prepareconfig
    config = _prepareconfig(list(arguments))
    config._do_configure()
    return config


def use_basetemp(config: pytest.Config, folder: Path) -> None:
    """Make tmp_path and friends create their folders under folder."""
    from _pytest.tmpdir import TempPathFactory
    config.option.basetemp = str(folder)
    config._tmp_path_factory = TempPathFactory.from_config(  # type: ignore
        config, _ispytest=True)


def run_items(session: pytest.Session, items: Sequence[Any]) -> None:
    """Run the given collected items of a session through pytest's hooks."""
    session.items = list(items)
    session.testscollected = len(items)
    session.config.hook.pytest_runtestloop(session=session)
