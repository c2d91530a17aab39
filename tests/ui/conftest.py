"""Studio tests: a real SQLite store under tmp_path, a ScriptedModel through the factory,
and runs executed in a thread of the test process instead of a worker process."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from streamlit import config
from streamlit.testing.v1 import AppTest
from studio_support import ThreadRuns

from coauthor.llm.testing import ScriptedModel
from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.runner import Runner, start_run
from coauthor.store import Store
from coauthor.testing import run_replies
from coauthor.ui import code_editor, resources

APP = Path(__file__).parents[2] / "src" / "coauthor" / "ui" / "app.py"
PAGES = {
    "new": "views/new_task.py",
    "run": "views/run_view.py",
    "editor": "views/task_editor.py",
    "library": "views/library.py",
    "settings": "views/studio_settings.py",
    "team": "views/team.py",
    "logbook": "views/logbook.py",
    "metrics": "views/metrics.py",
}


@pytest.fixture(autouse=True)
def loopback() -> Iterator[None]:
    """AppTest runs with no server address, which the studio (rightly) treats as every
    interface and refuses without sign-in; the studio tests are of a laptop's 127.0.0.1."""
    before = config.get_option("server.address")
    config.set_option("server.address", "127.0.0.1")
    yield
    config.set_option("server.address", before)


@pytest.fixture(autouse=True)
def plain_code_editor(monkeypatch: pytest.MonkeyPatch) -> None:
    """AppTest cannot drive custom components: code parts are edited in text areas under
    the same keys (the real editor has its own browser test)."""
    monkeypatch.setenv(code_editor.ENV, code_editor.TEXTAREA)


@pytest.fixture
def db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'studio.db'}"
    monkeypatch.setenv("COAUTHOR_DATABASE_URL", url)
    monkeypatch.setenv("COAUTHOR_MODEL", "scripted")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store(db_url) as opened:
        yield opened


@pytest.fixture
def model(db_url: str) -> Iterator[ScriptedModel]:
    """The model every page gets from the resource factory."""
    scripted = ScriptedModel()
    resources.set_model_factory(lambda spec, settings: scripted)
    yield scripted
    resources.set_model_factory(None)


@pytest.fixture
def runs(db_url: str) -> Iterator[ThreadRuns]:
    launcher = ThreadRuns()
    resources.set_launcher(launcher.launch)
    yield launcher
    resources.set_launcher(None)
    launcher.join()


@pytest.fixture
def open_page(db_url: str) -> Callable[..., AppTest]:
    """An AppTest of the whole app, switched to one page (``query`` goes in the URL)."""

    def opened(name: str, *, query: dict[str, str] | None = None) -> AppTest:
        app = AppTest.from_file(str(APP), default_timeout=60)
        app.run()
        app.query_params.update(query or {})
        return app.switch_page(PAGES[name]).run()

    return opened


@pytest.fixture
def task_id(store: Store) -> int:
    """A finished 2-step task in the store, made by a scripted run (no model, no sandbox)."""
    runner = Runner(store, ScriptedModel(run_replies(2)), master="Be clear.")
    run = start_run(store, make_brief("Students ask how to pick a sample size", steps=2), model="x")
    return runner.execute(run.id).revision.task_id
