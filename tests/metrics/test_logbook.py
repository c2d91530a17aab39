"""The logbook: calls and decisions, filters, totals and costs worked out by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from coauthor.metrics.logbook import LogFilter, call_cost, logbook
from coauthor.schemas.metrics import LogKind
from coauthor.settings import ModelPrice
from coauthor.store import Store


def test_everything_is_logged_with_its_cost(library: Store, prices: dict[str, ModelPrice]) -> None:
    book = logbook(library, prices)
    kinds = [(i.kind, i.stage) for i in book.items]
    assert kinds == [
        (LogKind.call, "draft:1"),  # at the same moment, the calls come before the decisions
        (LogKind.call, "tests:1"),
        (LogKind.revision, "generate"),
        (LogKind.revision, "edit"),
        (LogKind.review, "submit"),
        (LogKind.review, "approve"),
        (LogKind.call, "copilot"),
        (LogKind.revision, "generate"),
    ]
    # 1000 x 0.15 + 500 x 0.6 = 450 per million; 2000 x 0.15 + 1000 x 0.6 = 900 per million
    assert book.by_task["1"].cost == pytest.approx(0.00135)
    assert book.by_task["1"].priced and not book.by_task["2"].priced  # "local" has no price
    assert not book.total.priced
    assert (book.total.calls, book.total.errors, book.total.decisions) == (3, 1, 5)
    assert (book.total.tokens_in, book.total.tokens_out) == (3100, 1550)
    assert book.total.latency_ms == 3500
    assert book.by_stage["draft"].tokens_in == 1000 and set(book.by_stage) == {
        "copilot",
        "draft",
        "tests",
    }
    assert book.by_user["bob"].calls == 2 and book.by_user["rita"].decisions == 1
    assert book.by_day["2026-11-02"].decisions == 3
    assert book.by_day["2026-11-03"].decisions == 1
    # the Logbook page's per-day charts: bob's two calls on the 2nd, ann's one on the 10th
    day = book.by_day["2026-11-02"]
    assert (day.tokens_in, day.tokens_out, day.latency_ms) == (3000, 1500, 3000)
    assert book.by_day["2026-11-10"].latency_ms == 500


def test_secrets_stay_redacted(library: Store, prices: dict[str, ModelPrice], secret: str) -> None:
    text = logbook(library, prices).model_dump_json()
    assert secret not in text
    assert "tighter story [redacted]" in text and "timeout with [redacted]" in text


def test_filters(library: Store, prices: dict[str, ModelPrice]) -> None:
    only = logbook(library, prices, LogFilter(task_id=1, stage="draft"))
    assert [i.stage for i in only.items] == ["draft:1"]
    rita = logbook(library, prices, LogFilter(user="rita"))
    assert [(i.stage, i.detail) for i in rita.items] == [("approve", "in review -> approved: fine")]
    late = logbook(library, prices, LogFilter(since=datetime(2026, 11, 5, tzinfo=UTC)))
    assert [i.task_id for i in late.items] == [2, 2]


def test_price_by_full_or_bare_model_name(prices: dict[str, ModelPrice]) -> None:
    assert call_cost("openai:gpt-4o-mini@http://x", 1_000_000, 0, prices) == pytest.approx(0.15)
    assert call_cost("gpt-4o", 10, 10, prices) is None


def test_log_command(library: Store, secret: str, monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from coauthor.cli import app

    monkeypatch.setenv("COAUTHOR_DATABASE_URL", library.url)
    monkeypatch.setenv("COAUTHOR_prices", '{"gpt-4o-mini": {"input": 0.15, "output": 0.6}}')
    env = {"COAUTHOR_USER": "ann", "COLUMNS": "250"}
    result = CliRunner().invoke(app, ["log", "--task", "1", "--json"], env=env)
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["total"]["cost"] == pytest.approx(0.00135)
    assert payload["total"]["calls"] == 2 and secret not in result.stdout
    table = CliRunner().invoke(app, ["log", "--user", "bob", "--stage", "tests"], env=env)
    assert table.exit_code == 0 and "tests:1" in table.stdout and "draft:1" not in table.stdout
    assert "Per day" in table.stdout and "2026-11-02" in table.stdout
    bad = CliRunner().invoke(app, ["log", "--since", "yesterday"], env=env)
    assert bad.exit_code == 2 and "--since" in bad.stderr


def test_router_decisions_and_equivalent_marks(
    library: Store, prices: dict[str, ModelPrice]
) -> None:
    from coauthor.schemas.calls import CallRecord, Usage
    from coauthor.schemas.mutation import EquivalentMark

    outcome = '{"intent": "explain", "confidence": 0.91, "decided_by": "classifier"}'
    routed = CallRecord(
        model="router:classifier", messages=[], reply=outcome, usage=Usage(), latency_s=0.01
    )
    library.log_call(routed, stage="copilot", task_id=2)
    churn = library.revision(2).task.model_copy(deep=True)
    churn.steps[1].equivalent_mutants = [EquivalentMark(mutant_id="m3", by="ann")]
    library.add_revision(2, churn, source="edit", note="mutant m3 is equivalent")
    book = logbook(library, prices, LogFilter(task_id=2))
    details = [i.detail for i in book.items]
    assert "intent explain (confidence 0.91, decided by classifier)" in details
    assert details[-1] == (
        "revision 2: mutant m3 is equivalent (1/2 steps verified); "
        "marked equivalent: step 2 mutant m3 by ann"
    )
    assert details.count("") == 1  # the plain "local" call has no decision to show
