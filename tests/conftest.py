"""Real model requests are blocked unless a test is marked ``real_model``; every
ScriptedModel a passing test made must have used all its replies."""

from __future__ import annotations

import functools
import sys
from collections.abc import Generator, Iterator

import pytest

from coauthor.llm.testing import block_real_models, watch_scripted_models
from coauthor.sandbox import BubblewrapSandbox, RlimitSandbox, Sandbox, SandboxUnavailableError


@pytest.fixture(autouse=True)
def _block_real_models(request: pytest.FixtureRequest) -> Iterator[None]:
    block_real_models(request.node.get_closest_marker("real_model") is None)
    yield
    block_real_models(False)


@pytest.fixture(autouse=True)
def _main_module_kept() -> Iterator[None]:
    """Streamlit's AppTest runs the studio as ``__main__`` and leaves it there; a later
    test that spawns processes (multiprocessing re-imports ``__main__`` in each child)
    would then start the studio in every child. Each test gets back the real one."""
    main = sys.modules["__main__"]
    yield
    sys.modules["__main__"] = main


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash[_REPORTS] = {**item.stash.get(_REPORTS, {}), report.when: report}
    return report


_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.fixture(autouse=True)
def _scripted_replies_used_up(request: pytest.FixtureRequest) -> Iterator[None]:
    with watch_scripted_models() as made:
        yield
    call = request.node.stash.get(_REPORTS, {}).get("call")
    left = [len(model.replies) for model in made if model.replies]
    if call is not None and call.passed and left:
        pytest.fail(f"ScriptedModel replies left unused: {left}", pytrace=False)


@functools.cache
def _bubblewrap() -> BubblewrapSandbox | str:
    """One bubblewrap sandbox per test session, or why there is none here."""
    try:
        return BubblewrapSandbox()
    except SandboxUnavailableError as exc:
        return str(exc)


@pytest.fixture
def bwrap_sandbox() -> BubblewrapSandbox:
    """The sandbox the checks of a step use; the test is skipped, saying why, without it."""
    found = _bubblewrap()
    if isinstance(found, str):
        pytest.skip(f"bubblewrap unavailable here: {found}")
    return found


@pytest.fixture(params=["bubblewrap", "rlimits-only"])
def any_sandbox(request: pytest.FixtureRequest) -> Sandbox:
    """Each sandbox in turn: bubblewrap (when it works) and the rlimits-only fallback."""
    if request.param == "rlimits-only":
        return RlimitSandbox()
    found = _bubblewrap()
    if isinstance(found, str):
        pytest.skip(f"bubblewrap unavailable here: {found}")
    return found
