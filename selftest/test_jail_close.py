#!/usr/bin/env python3
"""Closing a jail ends it at once, whoever else holds its channel.

In a roster, every judge is forked from the checker and holds a copy of
every jail's control channel open at the time. A zygote left to notice its
channel closing would live on until the last of those judges ended: the
checker once waited two seconds per submission for it, with the cores idle.
A zygote without a sandbox is still given the time to reap its tests
(selftest/test_checker.py's zombie test holds it to that).
"""
import os
import subprocess
from pathlib import Path
from typing import Any, List, Optional

import pytest

from kata.sandbox import jail

SOLUTION = Path(__file__).resolve().parent.parent / "solution"


@pytest.mark.skipif(not jail.bwrap_works(),
                    reason="without a sandbox the zygote must reap its "
                           "tests: it is given the time")
def test_close_ends_a_jail_whose_channel_another_process_holds(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No wait for the zygote to leave on its own; the sandbox is gone."""
    running = jail.Jail(SOLUTION, tmp_path / "jail")
    link = running.link()
    connection = link.spawn(True)
    connection.release()
    held = os.dup(running.control.fileno())
    timeouts: List[Optional[float]] = []
    real_wait = subprocess.Popen.wait

    def recorded_wait(process: Any, timeout: Optional[float] = None) -> Any:
        """Note the timeout of each wait for the zygote, then wait."""
        timeouts.append(timeout)
        return real_wait(process, timeout)

    monkeypatch.setattr(subprocess.Popen, "wait", recorded_wait)
    try:
        running.close()
        assert running.process.poll() is not None
        assert timeouts and all(timeout is None for timeout in timeouts), \
            timeouts
    finally:
        os.close(held)
