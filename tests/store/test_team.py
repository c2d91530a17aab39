"""The team in the core, on both databases: roles checked by the Store itself, who did what,
the review state machine, ownership, comments that outlive edits."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from coauthor.schemas import Plan, Step, StepOutline, Task, TaskBrief, Verdict
from coauthor.schemas.calls import CallRecord, Usage
from coauthor.schemas.team import (
    TRANSITIONS,
    Action,
    Duty,
    ReviewMove,
    ReviewStatus,
    Role,
    StepPart,
)
from coauthor.store import PermissionDenied, ReviewError, Store, TeamError


def a_task(*, verified: tuple[bool, ...] = (True, True), story: str = "A story.") -> Task:
    steps = [
        Step(
            title=f"S{n}",
            story=story,
            theory="T.",
            solution=f"def f():\n    return {n}\n",
            verdict=Verdict(verified=ok),
        )
        for n, ok in enumerate(verified, 1)
    ]
    plan = Plan(title="Cart", steps=[StepOutline(title=s.title, goal="G") for s in steps])
    return Task(brief=TaskBrief(idea="Build a cart", steps=len(steps)), plan=plan, steps=steps)


def edited(task: Task, step: int, **parts: str) -> Task:
    steps = list(task.steps)
    steps[step - 1] = steps[step - 1].model_copy(update=parts)
    return task.model_copy(update={"steps": steps})


@pytest.fixture
def team(store: Store) -> dict[str, Store]:
    """ann (admin: the first user), bob (author), rita (reviewer), each a Store acting as them."""
    ann = store.acting_as("ann")
    ann.add_user("bob", Role.author)
    ann.add_user("rita", Role.reviewer)
    return {name: store.acting_as(name) for name in ("ann", "bob", "rita")}


# -- single-user mode and members -------------------------------------------------------------
def test_without_users_everyone_may_do_everything(store: Store) -> None:
    assert not store.team_mode() and store.role() is Role.admin
    info = store.create_task(a_task())
    store.add_revision(info.id, a_task(), source="edit", base_revision=1)
    store.save_document("master", "Be kind.")
    assert store.move_review(info.id, ReviewMove.submit).status is ReviewStatus.in_review
    assert store.move_review(info.id, ReviewMove.approve).status is ReviewStatus.approved
    assert [r.actor for r in store.revisions(info.id)] == [None, None]


def test_the_first_user_is_an_admin(store: Store) -> None:
    ann = store.acting_as("ann")
    bob = ann.add_user("bob", Role.author)
    assert bob.role is Role.author
    assert {u.name: u.role for u in store.users()} == {"ann": Role.admin, "bob": Role.author}
    assert ann.role() is Role.admin and store.acting_as("bob").role() is Role.author


def test_the_first_user_added_by_nobody_in_particular_is_the_admin(store: Store) -> None:
    assert store.add_user("zoe", Role.reviewer).role is Role.admin


def test_the_first_to_sign_in_is_admin_and_strangers_are_refused(store: Store) -> None:
    assert store.sign_in("ann", display_name="Ann A.").role is Role.admin
    store.acting_as("ann").add_user("bob", Role.author)
    assert store.sign_in("bob").role is Role.author
    with pytest.raises(PermissionDenied, match="unknown user 'mallory'"):
        store.sign_in("mallory")


def test_unknown_or_absent_users_are_refused_on_a_team_database(team: dict[str, Store]) -> None:
    stranger = team["ann"].acting_as("mallory")
    with pytest.raises(PermissionDenied, match="unknown user 'mallory'"):
        stranger.role()
    with pytest.raises(PermissionDenied, match="unknown user"):
        stranger.create_task(a_task())
    with pytest.raises(PermissionDenied, match="sign in"):
        team["ann"].acting_as(None).create_task(a_task())
    assert not stranger.may(Action.comment)


def test_only_an_admin_manages_users_and_the_last_admin_stays(team: dict[str, Store]) -> None:
    for name in ("bob", "rita"):
        with pytest.raises(PermissionDenied, match="must be admin"):
            team[name].add_user("eve", Role.admin)
        with pytest.raises(PermissionDenied):
            team[name].set_role(name, Role.admin)
        with pytest.raises(PermissionDenied):
            team[name].save_document("master", "mine now")
    ann = team["ann"]
    with pytest.raises(TeamError, match="last admin"):
        ann.set_role("ann", Role.author)
    with pytest.raises(TeamError, match="last admin"):
        ann.remove_user("ann")
    with pytest.raises(TeamError, match="exists already"):
        ann.add_user("bob", Role.reviewer)
    assert ann.set_role("bob", Role.reviewer).role is Role.reviewer
    ann.remove_user("rita")
    assert [u.name for u in ann.users()] == ["ann", "bob"]
    with pytest.raises(PermissionDenied, match="unknown user 'rita'"):
        team["rita"].add_comment(1, "hello", step=1)


# -- who may do what ------------------------------------------------------------------------------
def test_an_author_cannot_approve_nor_request_changes(team: dict[str, Store]) -> None:
    bob = team["bob"]
    task_id = bob.create_task(a_task()).id
    bob.move_review(task_id, ReviewMove.submit)
    for move in (ReviewMove.approve, ReviewMove.request_changes):
        with pytest.raises(PermissionDenied, match="bob is author: to review one must be"):
            bob.move_review(task_id, move)
    assert bob.review_state(task_id).status is ReviewStatus.in_review


def test_a_reviewer_cannot_edit_code_create_generate_or_delete(team: dict[str, Store]) -> None:
    task_id = team["bob"].create_task(a_task()).id
    rita = team["rita"]
    changed = edited(a_task(), 1, solution="def f():\n    return 42\n")
    refused: list[Callable[[], object]] = [
        lambda: rita.add_revision(task_id, changed, source="edit", base_revision=1),
        lambda: rita.create_task(a_task()),
        lambda: rita.create_run(a_task().brief, model="local"),
        lambda: rita.delete_task(task_id),
        lambda: rita.assign(task_id, Duty.code, "rita", step=1),
        lambda: rita.move_review(task_id, ReviewMove.submit),
    ]
    for attempt in refused:
        with pytest.raises(PermissionDenied, match="rita is reviewer"):
            attempt()
    assert rita.task(task_id).head_revision == 1
    assert rita.revision(task_id).task == a_task()


# -- who did what ---------------------------------------------------------------------------------
def test_every_row_records_who_made_it(team: dict[str, Store]) -> None:
    bob, rita = team["bob"], team["rita"]
    task_id = bob.create_task(a_task()).id
    bob.add_revision(task_id, a_task(story="New."), source="edit", base_revision=1)
    run = bob.create_run(a_task().brief, model="local", task_id=task_id)
    worker = bob.acting_as(None)  # a run's worker does not sign in: the run says whose it is
    worker.log_call(CallRecord("m", [], "ok", Usage(), 0.0), stage="plan", run_id=run.id)
    worker.finish_run(run.id, a_task(story="Generated."))
    rita.log_call(CallRecord("m", [], "ok", Usage(), 0.0), stage="chat", task_id=task_id)
    comment = rita.add_comment(task_id, "Why?", step=1)
    rita.record_export(task_id, 2, "markdown")
    assert [r.actor for r in bob.revisions(task_id)] == ["bob", "bob", "bob"]
    assert bob.run(run.id).actor == "bob"
    assert [e.actor for e in bob.logbook()] == ["bob", "rita"]
    assert comment.actor == "rita"
    assert [(e.actor, e.revision, e.format) for e in bob.exports(task_id)] == [
        ("rita", 2, "markdown")
    ]


# -- the review state machine ---------------------------------------------------------------------
def _reach(team: dict[str, Store], task_id: int, status: ReviewStatus) -> None:
    bob, rita = team["bob"], team["rita"]
    path = {
        ReviewStatus.draft: [],
        ReviewStatus.in_review: [(bob, ReviewMove.submit)],
        ReviewStatus.changes_requested: [
            (bob, ReviewMove.submit),
            (rita, ReviewMove.request_changes),
        ],
        ReviewStatus.approved: [(bob, ReviewMove.submit), (rita, ReviewMove.approve)],
    }[status]
    for who, move in path:
        who.move_review(task_id, move)
    assert bob.review_state(task_id).status is status


WHO = {
    ReviewMove.submit: "bob",
    ReviewMove.request_changes: "rita",
    ReviewMove.approve: "rita",
    ReviewMove.reopen: "rita",
}


@pytest.mark.parametrize("move", list(ReviewMove))
@pytest.mark.parametrize("start", list(ReviewStatus))
def test_every_review_move_from_every_status(
    team: dict[str, Store], start: ReviewStatus, move: ReviewMove
) -> None:
    task_id = team["bob"].create_task(a_task()).id
    _reach(team, task_id, start)
    starts, after, _ = TRANSITIONS[move]
    actor = team[WHO[move]]
    if start in starts:
        assert actor.move_review(task_id, move, note="n").status is after
        last = actor.review_events(task_id)[-1]
        assert (last.move, last.before, last.after, last.actor) == (move, start, after, WHO[move])
    else:
        with pytest.raises(ReviewError, match=f"cannot {move.value} task {task_id}"):
            actor.move_review(task_id, move)
        assert actor.review_state(task_id).status is start


def test_the_allowed_moves_are_exactly_the_workflow() -> None:
    allowed = {(start, move) for move, (starts, _, _) in TRANSITIONS.items() for start in starts}
    s = ReviewStatus
    assert allowed == {
        (s.draft, ReviewMove.submit),
        (s.changes_requested, ReviewMove.submit),
        (s.in_review, ReviewMove.request_changes),
        (s.in_review, ReviewMove.approve),
        (s.in_review, ReviewMove.reopen),
        (s.changes_requested, ReviewMove.reopen),
        (s.approved, ReviewMove.reopen),
    }


def test_submitting_needs_every_step_verified_or_waived_with_a_reason(
    team: dict[str, Store],
) -> None:
    bob = team["bob"]
    task_id = bob.create_task(a_task(verified=(True, False))).id
    with pytest.raises(ReviewError, match=r"step\(s\) 2 not verified"):
        bob.move_review(task_id, ReviewMove.submit)
    with pytest.raises(ReviewError, match="needs a reason"):
        bob.move_review(task_id, ReviewMove.submit, waivers={2: "  "})
    assert bob.review_state(task_id).status is ReviewStatus.draft
    state = bob.move_review(task_id, ReviewMove.submit, waivers={2: "sandbox lacks numpy"})
    assert state.status is ReviewStatus.in_review
    assert (state.waivers[2].reason, state.waivers[2].by) == ("sandbox lacks numpy", "bob")
    assert state.submitted_revision == 1


def test_approval_keeps_the_approved_revision_while_edits_make_a_new_draft(
    team: dict[str, Store],
) -> None:
    bob, rita = team["bob"], team["rita"]
    task_id = bob.create_task(a_task()).id
    bob.move_review(task_id, ReviewMove.submit)
    assert rita.move_review(task_id, ReviewMove.approve).approved_revision == 1
    bob.add_revision(task_id, a_task(story="Changed."), source="edit", base_revision=1)
    state = bob.review_state(task_id)
    assert (state.status, state.approved_revision) == (ReviewStatus.draft, 1)
    assert bob.revision(task_id, 1).task == a_task()  # the approved one, still exportable
    bob.move_review(task_id, ReviewMove.submit)
    assert rita.move_review(task_id, ReviewMove.approve).approved_revision == 2


def test_an_edit_during_review_sends_the_task_back_to_draft(team: dict[str, Store]) -> None:
    bob = team["bob"]
    task_id = bob.create_task(a_task()).id
    bob.move_review(task_id, ReviewMove.submit)
    bob.add_revision(task_id, a_task(story="Oops."), source="edit", base_revision=1)
    state = bob.review_state(task_id)
    assert (state.status, state.submitted_revision) == (ReviewStatus.draft, None)
    with pytest.raises(ReviewError, match="it is draft"):
        team["rita"].move_review(task_id, ReviewMove.approve)


# -- ownership and the library filter -------------------------------------------------------------
def test_parts_are_assigned_and_the_library_filters_by_owner_and_status(
    team: dict[str, Store],
) -> None:
    bob, ann = team["bob"], team["ann"]
    mine = bob.create_task(a_task()).id
    other = bob.create_task(a_task()).id
    owners = bob.assign(mine, Duty.plan, "bob")
    owners = bob.assign(mine, Duty.review, "rita", step=2)
    assert owners.plan == "bob" and owners.steps[2].review == "rita"
    assert owners.steps[2].code is None
    with pytest.raises(ReviewError, match="steps 1-2"):
        bob.assign(mine, Duty.code, "bob", step=3)
    with pytest.raises(Exception, match="no user 'nobody'"):
        bob.assign(mine, Duty.code, "nobody", step=1)
    bob.move_review(other, ReviewMove.submit)
    assert [t.id for t in ann.find_tasks(assigned_to="bob")] == [mine]
    assert [t.id for t in ann.find_tasks(assigned_to="rita")] == [mine]
    assert ann.find_tasks(assigned_to="ann") == []
    assert [t.id for t in ann.find_tasks(status=ReviewStatus.in_review)] == [other]
    assert [t.id for t in ann.find_tasks(status=ReviewStatus.draft)] == [mine]
    assert ann.find_tasks(assigned_to="bob", status=ReviewStatus.in_review) == []
    assert bob.assign(mine, Duty.plan, None).plan is None


# -- comments -------------------------------------------------------------------------------------
def test_comments_are_threaded_resolvable_and_outdated_when_their_part_changes(
    team: dict[str, Store],
) -> None:
    bob, rita = team["bob"], team["rita"]
    task_id = bob.create_task(a_task()).id
    on_story = rita.add_comment(task_id, "Too long.", step=1, part=StepPart.story)
    on_code = rita.add_comment(task_id, "Off by one.", step=2, part=StepPart.solution)
    on_step = rita.add_comment(task_id, "Nice step.", step=2)
    reply = bob.add_comment(task_id, "Fixed?", reply_to=on_code.id)
    deeper = rita.add_comment(task_id, "Not yet.", reply_to=reply.id)
    assert (reply.parent_id, reply.step, reply.part) == (on_code.id, 2, StepPart.solution)
    assert deeper.parent_id == on_code.id  # one level of threads: replies join the root
    ids = [c.id for c in bob.comments(task_id)]
    assert ids == [on_story.id, on_code.id, reply.id, deeper.id, on_step.id]
    assert not any(c.outdated for c in bob.comments(task_id))

    # the solution of step 2 changes: comments on it and on the whole step are outdated
    changed = edited(a_task(), 2, solution="def f():\n    return 3\n")
    bob.add_revision(task_id, changed, source="edit", base_revision=1)
    outdated = {c.id: c.outdated for c in bob.comments(task_id)}
    assert outdated == {
        on_story.id: False,
        on_code.id: True,
        reply.id: True,
        deeper.id: True,
        on_step.id: True,
    }
    assert {c.revision for c in bob.comments(task_id)} == {1}

    resolved = bob.resolve_comment(task_id, on_code.id)
    assert (resolved.resolved, resolved.resolved_by) == (True, "bob")
    assert not rita.resolve_comment(task_id, on_code.id, resolved=False).resolved
    with pytest.raises(ReviewError, match="steps 1-2"):
        rita.add_comment(task_id, "Where?", step=5)
    with pytest.raises(ReviewError, match="empty"):
        rita.add_comment(task_id, "  ", step=1)


def test_the_review_summary_says_what_is_left(team: dict[str, Store]) -> None:
    bob, rita = team["bob"], team["rita"]
    task_id = bob.create_task(a_task(verified=(False, True))).id
    bob.assign(task_id, Duty.review, "rita", step=1)
    rita.add_comment(task_id, "Fix this.", step=1)
    done = rita.add_comment(task_id, "And this.", step=2)
    rita.resolve_comment(task_id, done.id)
    summary = rita.review_summary(task_id)
    assert summary.status is ReviewStatus.draft
    assert (summary.unverified_steps, summary.waived_steps) == ([1], [])
    assert (summary.open_comments, summary.open_by_step) == (1, {1: 1})
    assert summary.reviewers == {1: "rita"}
