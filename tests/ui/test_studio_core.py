"""The core helpers the studio added (library, studio settings, run watching), without UI."""

from __future__ import annotations

import os
import subprocess

import pytest

from coauthor.pipeline.brief import make_brief
from coauthor.pipeline.library import (
    Filters,
    duplicate,
    entries,
    restore_revision,
    revision_diff,
    search,
    verified,
)
from coauthor.pipeline.studio import (
    STUDIO_SETTINGS,
    StudioSettingsError,
    save_studio_settings,
    studio_settings,
)
from coauthor.pipeline.watch import orphaned, pid_alive, run_state
from coauthor.pipeline.worker import work
from coauthor.schemas import Verdict
from coauthor.schemas.runs import RunProgress, expected_stages
from coauthor.settings import Settings
from coauthor.store import ConflictError, Store


def test_studio_settings_override_the_environment_and_are_validated(store: Store) -> None:
    base = Settings(database_url=store.url)
    assert studio_settings(store, base) == base
    save_studio_settings(store, base, values={"model": " openai:gpt-4o-mini ", "repair_rounds": 0})
    merged = studio_settings(store, base)
    assert merged.model == "openai:gpt-4o-mini" and merged.repair_rounds == 0
    assert merged.database_url == base.database_url
    with pytest.raises(StudioSettingsError, match="repair rounds"):
        save_studio_settings(store, base, values={"repair_rounds": 9})
    with pytest.raises(StudioSettingsError, match="cannot be changed"):
        save_studio_settings(store, base, values={"database_url": "sqlite://"})
    assert len(store.document_versions(STUDIO_SETTINGS)) == 1


def test_a_broken_saved_value_is_ignored_not_fatal(store: Store) -> None:
    store.save_document(STUDIO_SETTINGS, '{"repair_rounds": 99, "sandbox_memory_mb": 512}')
    merged = studio_settings(store, Settings(database_url=store.url))
    assert merged.repair_rounds == 2 and merged.sandbox_memory_mb == 512
    store.save_document(STUDIO_SETTINGS, "not json")
    assert studio_settings(store, Settings(database_url=store.url)).sandbox_memory_mb == 2048


def test_library_search_copy_restore_and_diff(store: Store, task_id: int) -> None:
    task = store.revision(task_id).task
    assert verified(task) is None
    checked = [s.model_copy(update={"verdict": Verdict(verified=True)}) for s in task.steps]
    assert verified(task.model_copy(update={"steps": checked})) is True
    assert verified(task.model_copy(update={"steps": checked[:1] + task.steps[1:]})) is False

    copy = duplicate(store, task_id)
    found = entries(store)
    assert [e.info.id for e in found] == [copy.id, task_id]
    assert search(found, Filters(text="SAMPLE size")) == found
    assert search(found, Filters(domains=("fintech",))) == []
    store.delete_task(copy.id)
    assert [e.info.id for e in search(entries(store, include_deleted=True), Filters())] == [task_id]

    steps = list(task.steps)
    steps[0] = steps[0].model_copy(update={"story": "A new story."})
    store.add_revision(task_id, task.model_copy(update={"steps": steps}), source="edit")
    diff = revision_diff(store.revision(task_id, 1), store.revision(task_id, 2))
    assert "-Story of step 1: the shop runs an experiment." in diff and "+A new story." in diff
    assert revision_diff(store.revision(task_id, 1), store.revision(task_id, 1)) == ""
    with pytest.raises(ConflictError):
        restore_revision(store, task_id, number=1, base_revision=1)
    restored = restore_revision(store, task_id, number=1, base_revision=2)
    assert restored.number == 3 and restored.task == task


def test_a_run_is_orphaned_only_when_its_worker_is_gone(store: Store) -> None:
    run = store.create_run(make_brief("an idea", steps=2), model="scripted")
    assert expected_stages(run.brief, verify=True) == 8
    assert expected_stages(run.brief, verify=False) == 6
    assert not orphaned(run, None)  # the worker may still be starting
    assert orphaned(run, None, now=run.updated_at.timestamp() + 3600)
    store.set_progress(run.id, RunProgress(stage="plan", stages_done=1), worker_pid=os.getpid())
    assert pid_alive(os.getpid()) and not run_state(store, run.id).orphaned
    gone = subprocess.Popen(["true"])
    gone.wait()
    store.set_progress(run.id, RunProgress(stage="plan"), worker_pid=gone.pid)
    progress = store.progress(run.id)
    assert progress is not None and not pid_alive(gone.pid)
    assert orphaned(run, progress, now=progress.updated_at.timestamp() + 60)
    store.set_run_status(run.id, "failed", error="boom")
    assert not orphaned(store.run(run.id), progress, now=progress.updated_at.timestamp() + 60)
    state = run_state(store, run.id)
    assert state.progress.stage == "plan" and not state.active and state.fraction == 0


def test_a_worker_whose_model_cannot_be_built_fails_the_run_with_the_reason(
    store: Store,
) -> None:
    run = store.create_run(make_brief("an idea", steps=1), model="nosuchbackend:x")
    assert work(Settings(database_url=store.url), run.id) == 1
    failed = store.run(run.id)
    assert failed.status == "failed" and failed.error is not None
    assert failed.error.startswith("model: unknown model 'nosuchbackend:x'")
