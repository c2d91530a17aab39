"""Logbook: every model call and every recorded decision, filtered, with totals and charts
of tokens and model time per stage and per day. Costs come from COAUTHOR_PRICES."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import streamlit as st

from coauthor.metrics.logbook import LogFilter, logbook
from coauthor.schemas.metrics import Logbook, LogTotals
from coauthor.ui import common, resources

ANY = "(any)"


def main() -> None:
    st.title("Logbook")
    store = resources.store()
    with common.errors():
        everything = logbook(store, resources.settings().prices)
        where = filters(everything)
        book = logbook(store, resources.settings().prices, where)
        totals(book.total)
        if not book.items:
            st.info("Nothing logged yet for this choice.")
            return
        charts(book)
        st.subheader("Calls and decisions")
        st.dataframe(
            [
                {
                    "when": i.at.strftime("%Y-%m-%d %H:%M"),
                    "kind": i.kind.value,
                    "task": i.task_id,
                    "run": i.run_id,
                    "user": i.user or "",
                    "stage": i.stage,
                    "model": i.model,
                    "tokens in": i.tokens_in,
                    "tokens out": i.tokens_out,
                    "ms": i.latency_ms,
                    "cost": i.cost,
                    "error / detail": i.error if i.error is not None else i.detail,
                }
                for i in book.items
            ],
            hide_index=True,
            key="logbook_items",
        )
        st.subheader("Totals")
        for title, groups in (
            ("Per task", book.by_task),
            ("Per run", book.by_run),
            ("Per user", book.by_user),
            ("Per stage", book.by_stage),
            ("Per day", book.by_day),
        ):
            if groups:
                st.markdown(f"**{title}**")
                st.dataframe(table(groups), hide_index=True, key=f"logbook_{title}")


def filters(everything: Logbook) -> LogFilter:
    tasks = sorted({i.task_id for i in everything.items if i.task_id is not None})
    users = sorted({i.user for i in everything.items if i.user})
    cols = st.columns(5)
    task = cols[0].selectbox("Task", [ANY, *map(str, tasks)], key="logbook_task")
    user = cols[1].selectbox("User", [ANY, *users], key="logbook_user")
    stage = cols[2].text_input("Stage", key="logbook_stage", help="draft keeps draft:2")
    run = cols[3].text_input("Run", key="logbook_run")
    since = cols[4].date_input("Since", value=None, key="logbook_since")
    return LogFilter(
        task_id=None if task == ANY else int(task),
        user=None if user == ANY else user,
        stage=stage.strip() or None,
        run_id=int(run) if run.strip().isdigit() else None,
        since=datetime.combine(since, time(), UTC) if isinstance(since, date) else None,
    )


def totals(total: LogTotals) -> None:
    cols = st.columns(5)
    cols[0].metric("Model calls", total.calls)
    cols[1].metric("Failed calls", total.errors)
    cols[2].metric("Tokens in / out", f"{total.tokens_in} / {total.tokens_out}")
    cols[3].metric("Model time", f"{total.latency_ms / 1000:.1f} s")
    cost = cost_text(total.cost, priced=total.priced)
    cols[4].metric("Cost", cost, help="Models without a price in COAUTHOR_PRICES are unpriced")
    st.caption(f"{total.decisions} decisions (revisions, review moves, runs)")


def cost_text(cost: float, *, priced: bool) -> str:
    """The cost as a figure; "unpriced" where no call had a price, never a bare 0."""
    if priced:
        return f"{cost:.4f}"
    return f"{cost:.4f} + unpriced" if cost else "unpriced"


def table(groups: dict[str, LogTotals]) -> list[dict[str, object]]:
    return [{"": name, **t.model_dump()} for name, t in groups.items()]


def charts(book: Logbook) -> None:
    """Tokens and model time, per stage and per day, side by side."""
    for label, groups in (("stage", book.by_stage), ("day", book.by_day)):
        if not groups:
            continue
        cols = st.columns(2)
        with cols[0]:
            st.markdown(f"**Tokens per {label}**")
            tokens = {
                label: list(groups),
                "tokens in": [t.tokens_in for t in groups.values()],
                "tokens out": [t.tokens_out for t in groups.values()],
            }
            st.bar_chart(tokens, x=label, y=["tokens in", "tokens out"])
        with cols[1]:
            st.markdown(f"**Model time per {label} (s)**")
            seconds = {
                label: list(groups),
                "seconds": [t.latency_ms / 1000 for t in groups.values()],
            }
            st.bar_chart(seconds, x=label, y="seconds")


main()
