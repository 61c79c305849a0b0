"""On the real running stack, the action server has not loaded TensorFlow (actions.server
without_tensorflow), while Rasa, which needs it, has: so the check sees it where it is."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_internal_services import _process_group

pytestmark = pytest.mark.e2e


def _maps_tensorflow(pid: int) -> bool:
    try:
        return "tensorflow" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:  # it ended meanwhile
        return False


def test_the_action_server_runs_without_tensorflow_and_rasa_with_it(running_stack):
    loaded = {
        name: any(_maps_tensorflow(pid) for pid in _process_group(process.pid))
        for name, process in running_stack.processes.items()
    }
    assert loaded["rasa"] is True, loaded
    assert loaded["actions"] is False, loaded
