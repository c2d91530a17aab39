"""Fixtures of the export tests; the samples themselves are in ``export_samples``."""

from __future__ import annotations

from pathlib import Path

import pytest
from export_samples import make_task, make_task_with_figures, tool_env

from coauthor.schemas import Task


@pytest.fixture
def task() -> Task:
    return make_task()


@pytest.fixture
def figured() -> Task:
    """The sample task with figures in step 1 (see ``make_task_with_figures``)."""
    return make_task_with_figures()


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return tool_env(tmp_path)
