"""How the checking system's verdict on a step is shown: one line, then the details."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from coauthor.pipeline.labels import one_line
from coauthor.schemas import Verdict
from coauthor.schemas.mutation import Mutant, MutationReport
from coauthor.ui.common import Outcome

SurvivorTools = Callable[[list[Mutant]], None]
"""What the page offers for the survivors (add tests, mark equivalent), drawn under them."""

WEAK_ISOLATION = "rlimits-only"


def headline(verdict: Verdict) -> str:
    coverage = "n/a" if verdict.coverage is None else f"{verdict.coverage:.0f}%"
    state = "verified" if verdict.verified else "NOT verified"
    report = verdict.mutation
    score = "" if report is None or report.score is None else f", mutation score {report.score:.0%}"
    return (
        f"{state} — {verdict.tests} tests, coverage {coverage}{score}, {verdict.duration_s:.1f} s"
    )


def outcome(number: int, verdict: Verdict | None) -> tuple[Outcome, str]:
    """How a check of step ``number`` is announced: green only when it is verified, and
    the reasons when it is not."""
    if verdict is None:
        return "warning", f"Step {number} was not checked."
    if verdict.verified:
        return "success", f"Step {number} verified ({verdict.tests} tests)."
    reasons = "; ".join(one_line(p, limit=160) for p in verdict.problems[:3])
    return "error", f"Step {number} is NOT verified: {reasons or 'see its Verdict tab'}."


def verdict_summary(number: int, verdict: Verdict) -> None:
    """One line per step, as verdicts arrive during a run."""
    text = f"Step {number}: {headline(verdict)}"
    if verdict.verified:
        st.success(text, icon=":material/verified:")
    else:
        first = verdict.problems[0] if verdict.problems else "see the task editor"
        st.error(f"{text}. {first}", icon=":material/cancel:")


def verdict_details(verdict: Verdict | None, *, tools: SurvivorTools | None = None) -> None:
    """Everything an author needs to judge a step's tests; ``tools`` draws the actions on
    the surviving mutants."""
    if verdict is None:
        st.info("Not verified since it last changed: use Re-verify.", icon=":material/help:")
        return
    if verdict.verified:
        st.success(headline(verdict), icon=":material/verified:")
    else:
        st.error(headline(verdict), icon=":material/cancel:")
    passed = sum(1 for got in verdict.solution_outcomes.values() if got == "passed")
    st.markdown(
        f"- reference solution passes **{passed} of {verdict.tests}** tests\n"
        f"- starter fails **{verdict.tests - len(verdict.weak_tests)} of {verdict.tests}** tests"
    )
    if verdict.weak_tests:
        names = ", ".join(f"`{name}`" for name in verdict.weak_tests)
        st.warning(
            f"Weak tests (they pass on the starter and catch no mutant, so they check "
            f"nothing): {names}"
        )
    if verdict.failing_tests:
        names = ", ".join(f"`{name}`" for name in verdict.failing_tests)
        st.error(f"Tests the reference solution fails: {names}")
    for problem in verdict.problems:
        st.markdown(f"- :red[problem:] {problem}")
    for warning in verdict.warnings:
        st.markdown(f"- :orange[warning:] {warning}")
    if verdict.disagreements:
        st.markdown(
            "Test cases the reference solution does not meet (the case or the solution "
            "is wrong):\n"
            + "\n".join(
                f"- `{d.case}`: `{d.call}` expected `{d.expected}`, got `{d.actual}`"
                for d in verdict.disagreements
            )
        )
    if verdict.mutation is not None:
        mutation_details(verdict.mutation, tools=tools)
    isolation(verdict.isolation)
    if verdict.checking_mode:
        st.caption(f"Checking mode: {verdict.checking_mode}")
    if verdict.repairs:
        st.markdown("Repairs: " + "; ".join(verdict.repairs))
    if verdict.output:
        with st.expander("pytest output"):
            st.code(verdict.output, language=None)


def mutation_headline(report: MutationReport) -> str:
    """``Mutation score 73% (threshold 80%)``, or why there is none."""
    if report.score is None:
        return f"No mutation score: {report.skipped or 'no mutant counts'}"
    return f"Mutation score {report.score:.0%} (threshold {report.threshold:.0%})"


def mutation_counts(report: MutationReport) -> str:
    return (
        f"{report.generated} mutants: {report.killed} killed, {report.survived} survived, "
        f"{report.timed_out} timed out, {report.equivalent} marked equivalent"
    )


def mutation_details(report: MutationReport, *, tools: SurvivorTools | None = None) -> None:
    """The score against its threshold, the counts, and each survivor as a diff."""
    st.markdown("**Mutation analysis**")
    headline_text = mutation_headline(report)
    if report.score is None:
        st.info(headline_text, icon=":material/help:")
        return
    if report.score >= report.threshold:
        st.success(headline_text, icon=":material/bug_report:")
    else:
        st.error(headline_text, icon=":material/bug_report:")
    st.caption(mutation_counts(report))
    survivors = report.survivors
    if not survivors:
        return
    st.markdown(
        f"Surviving mutants ({len(survivors)}): the tests still pass when the solution "
        "is changed like this."
    )
    for mutant in survivors:
        st.markdown(f"`{mutant.id}` · line {mutant.line} · {mutant.change}")
        st.code(mutant.diff or mutant.change, language="diff", wrap_lines=True)
    if tools is not None:
        tools(survivors)


def isolation(kind: str) -> None:
    if kind == WEAK_ISOLATION:
        st.warning(
            "Isolation: rlimits-only — bubblewrap is not available, so generated code ran "
            "with resource limits but without filesystem or network isolation (weaker).",
            icon=":material/shield:",
        )
    elif kind:
        st.caption(f"Isolation: {kind}")
