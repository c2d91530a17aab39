"""Metrics: the metric hierarchy from the store (cost, authoring effort, correctness, text,
library, bugs, students) as figures and charts, and the bug list."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import streamlit as st

from coauthor.metrics.report import PARTS, compute, reference_graph
from coauthor.schemas.metrics import Distribution, Metrics, Usage
from coauthor.ui import common, resources


def main() -> None:
    st.title("Metrics")
    store = resources.store()
    with common.errors():
        since = st.date_input("Since", value=None, key="metrics_since")
        start = datetime.combine(since, time(), UTC) if isinstance(since, date) else None
        figures = compute(store, resources.settings().prices, since=start)
        st.caption("Since limits calls, tasks created and bugs; the rest is the library now.")
        cost(figures)
        effort(figures)
        correctness(figures)
        text(figures)
        library(figures)
        bugs(figures)
        students(figures)


def usage_frame(groups: dict[str, Usage]) -> list[dict[str, object]]:
    return [{"": name, **u.model_dump()} for name, u in groups.items()]


def cost(m: Metrics) -> None:
    st.header("Cost")
    total = m.cost.total
    cols = st.columns(4)
    cols[0].metric("Model calls", total.calls)
    cols[1].metric("Tokens", total.tokens_in + total.tokens_out)
    cols[2].metric("Model time", f"{total.seconds:.1f} s")
    money = f"{total.cost:.4f}" if total.priced or total.cost else ""
    unpriced = "" if total.priced else (" + unpriced" if total.cost else "unpriced")
    cols[3].metric(
        "Cost", money + unpriced, help="Models without a price in COAUTHOR_PRICES are unpriced"
    )
    if not total.calls:
        st.info("No model calls logged yet.")
        return
    st.markdown("**Tokens per week**")
    weeks = {
        "week": list(m.cost.by_week),
        "tokens in": [u.tokens_in for u in m.cost.by_week.values()],
        "tokens out": [u.tokens_out for u in m.cost.by_week.values()],
    }
    st.bar_chart(weeks, x="week", y=["tokens in", "tokens out"])
    if m.cost.by_stage:
        st.markdown("**Model time per stage (s)**")
        stages = {
            "stage": list(m.cost.by_stage),
            "seconds": [u.seconds for u in m.cost.by_stage.values()],
        }
        st.bar_chart(stages, x="stage", y="seconds")
    st.markdown("**By model**")
    st.dataframe(usage_frame(m.cost.by_model), hide_index=True, key="metrics_by_model")
    st.markdown("**By task**")
    st.dataframe(usage_frame(m.cost.by_task), hide_index=True, key="metrics_by_task")
    if m.cost.by_step:
        st.markdown("**By step**")
        st.dataframe(usage_frame(m.cost.by_step), hide_index=True, key="metrics_by_step")
    st.markdown("**By week**")
    st.dataframe(usage_frame(m.cost.by_week), hide_index=True, key="metrics_by_week")
    st.markdown("**By stage**")
    st.dataframe(usage_frame(m.cost.by_stage), hide_index=True, key="metrics_by_stage")


def effort(m: Metrics) -> None:
    st.header("Authoring effort")
    if not m.effort.tasks:
        st.info("No tasks in this period.")
        return
    st.caption("Share of the generated text kept in the approved revision (else the latest).")
    rows = [
        {
            "task": f"{t.task_id} {t.title}",
            "author": t.author or "-",
            **{part: t.kept.get(part) for part in PARTS},
            "edits": t.edits,
            "repair rounds": t.repair_rounds,
            "hours to approval": t.hours_to_approval,
        }
        for t in m.effort.tasks
    ]
    st.dataframe(rows, hide_index=True, key="metrics_effort")
    authors = [{"author": k, **a.model_dump()} for k, a in m.effort.by_author.items()]
    st.markdown("**Per author**")
    st.dataframe(authors, hide_index=True, key="metrics_authors")
    kept = {k: a.mean_kept for k, a in m.effort.by_author.items() if a.mean_kept is not None}
    if kept:
        st.markdown("**Share of generated text kept, per author**")
        st.bar_chart({"author": list(kept), "kept": list(kept.values())}, x="author", y="kept")


def spread(d: Distribution) -> str:
    if d.count == 0:
        return "-"
    return f"median {d.median:.2f} (min {d.minimum:.2f}, max {d.maximum:.2f}, n={d.count})"


def correctness(m: Metrics) -> None:
    st.header("Correctness")
    c = m.correctness
    cols = st.columns(4)
    cols[0].metric("Steps verified", f"{c.verified}/{c.steps}")
    cols[1].metric("Tests per step", "-" if c.tests_per_step is None else f"{c.tests_per_step:.1f}")
    cols[2].metric("Weak tests", c.weak_tests)
    cols[3].metric("Flags open", c.flags_open)
    st.markdown(f"Mutation score: {spread(c.mutation_scores)}; coverage: {spread(c.coverage)}")
    if c.mutation_scores.count:
        st.markdown("**Steps per mutation score band**")
        bands = {"band": list(c.mutation_buckets), "steps": list(c.mutation_buckets.values())}
        st.bar_chart(bands, x="band", y="steps")


def text(m: Metrics) -> None:
    st.header("Text")
    t = m.text
    lines = [
        f"- story words: {spread(t.story_words)}",
        f"- theory words: {spread(t.theory_words)}",
        *[f"- reading ease ({lang}): {spread(d)}" for lang, d in t.readability.items()],
        "- links per step: "
        + ("-" if t.links_per_step is None else f"{t.links_per_step:.1f}")
        + "; well-formed: "
        + ("-" if t.well_formed_links is None else f"{t.well_formed_links:.0%}"),
        f"- terms the theory defines (**bold** or *italic*): {t.terms_defined}; used in the "
        f"requirements: {t.terms_used}"
        + ("" if t.terms_used_share is None else f" ({t.terms_used_share:.0%})"),
    ]
    st.markdown("\n".join(lines))
    if t.terms:
        rows = [
            {
                "step": name,
                "defined in theory": ", ".join(terms.defined),
                "used in requirements": ", ".join(terms.used) or "-",
                "not used": ", ".join(x for x in terms.defined if x not in terms.used) or "-",
            }
            for name, terms in t.terms.items()
        ]
        st.dataframe(rows, hide_index=True, key="metrics_terms")


def library(m: Metrics) -> None:
    st.header("Library")
    lib = m.library
    st.metric("Tasks", lib.tasks)
    if lib.domains:
        st.markdown("**Tasks per domain**")
        domains = {"domain": list(lib.domains), "tasks": list(lib.domains.values())}
        st.bar_chart(domains, x="domain", y="tasks")
    spreads = (
        ("domains", lib.domains),
        ("difficulties", lib.difficulties),
        ("types", lib.types),
        ("lessons", lib.lessons),
    )
    st.dataframe(
        [
            {
                "over": name,
                "tasks": ", ".join(f"{k}: {v}" for k, v in counts.items()) or "-",
                "entropy (bits)": lib.entropy.get(name),
            }
            for name, counts in spreads
        ],
        hide_index=True,
        key="metrics_library_spread",
    )
    if lib.near_duplicates:
        st.markdown(
            "Near-duplicates: "
            + ", ".join(f"{d.first} ~ {d.second} ({d.similarity:.2f})" for d in lib.near_duplicates)
        )
    if lib.references:
        st.markdown("**Cross-references** (an arrow: the task names or links to the other)")
        st.graphviz_chart(reference_graph(lib))
    else:
        st.caption("No task names or links to another yet.")


def bugs(m: Metrics) -> None:
    st.header("Bugs")
    store = resources.store()
    st.markdown(f"Open: {m.bugs.open}, closed: {m.bugs.closed}")
    per_task = sorted(set(m.bugs.by_task) | set(m.bugs.closed_by_task))
    if per_task:
        st.markdown("**Bugs per task**")
        counts = {
            "task": per_task,
            "open": [m.bugs.by_task.get(name, 0) for name in per_task],
            "closed": [m.bugs.closed_by_task.get(name, 0) for name in per_task],
        }
        st.bar_chart(counts, x="task", y=["open", "closed"])
    authors = sorted(set(m.bugs.by_author) | set(m.bugs.closed_by_author))
    if authors:
        st.dataframe(
            [
                {
                    "author": name,
                    "open": m.bugs.by_author.get(name, 0),
                    "closed": m.bugs.closed_by_author.get(name, 0),
                }
                for name in authors
            ],
            hide_index=True,
            key="metrics_bugs_by_author",
        )
    tasks = [t.id for t in store.list_tasks()]
    if tasks:
        with st.form("metrics_bug_form", clear_on_submit=True):
            task = st.selectbox("Task", tasks, key="metrics_bug_task")
            report = st.text_area("What is wrong", key="metrics_bug_text")
            if st.form_submit_button("File bug"):
                with common.errors("file the bug"):
                    filed = store.file_bug(int(task), report)
                    common.flash(f"Bug {filed.id} filed against task {task}.")
                    st.rerun()
    for bug in store.bugs():
        cols = st.columns([1, 6, 2])
        cols[0].markdown(f"#{bug.id} · task {bug.task_id}")
        cols[1].markdown(f"{bug.text} — {bug.reporter or '-'} ({bug.status.value})")
        label = "Close" if bug.status.value == "open" else "Reopen"
        if cols[2].button(label, key=f"metrics_bug_{bug.id}"):
            with common.errors("change the bug"):
                store.close_bug(bug.id, closed=label == "Close")
                st.rerun()


def students(m: Metrics) -> None:
    st.header("Students")
    shown = m.students
    if not shown.tasks:
        st.caption(
            "No students' results yet: import a grader's file in the task editor "
            "(Students' results) or with coauthor results import."
        )
        return
    st.metric("Students passing every step", _share(shown.pass_through))
    rows: list[dict[str, object]] = []
    for task in shown.tasks:
        for step in task.steps:
            rows.append(
                {
                    "task": f"{task.task_id}: {task.title}",
                    "step": step.step,
                    "title": step.title,
                    "students": step.students if step.graded else None,
                    "attempted": step.attempted if step.graded else None,
                    "passed": _share(step.pass_through),
                    "mean score": _share(step.mean_score),
                    "dropped out": step.dropped,
                }
            )
        where = f"step {task.largest_drop}" if task.largest_drop else "nowhere"
        st.markdown(
            f"**{task.task_id}: {task.title}** — {task.students} students, "
            f"{_share(task.pass_through)} passed every step; most drop out at {where}."
        )
    st.dataframe(rows, hide_index=True)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


main()
