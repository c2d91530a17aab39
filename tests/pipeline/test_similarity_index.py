"""The search index scores a query as the fitted vectorizers' own transform would."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from coauthor.pipeline.similarity import Index, content

DOCUMENTS = (
    "A/B test of a landing page: conversion, uplift and a bootstrap interval",
    "Кредитный скоринг: логистическая регрессия и ROC-кривая на данных банка",
    "Recommender from ratings: matrix factorisation, top-k and hit rate",
    "Retention cohorts of a mobile app, churn and the cohort table",
    "",
)

_VOCABULARY = """
test tests тесты тестов data dataset uplift cohort cohorts churn
rating ratings регрессия банк the what guide a/b roc-кривая matrix k-means zzz qqq
"""
WORDS = st.sampled_from(_VOCABULARY.split())


def _reference(index: Index, query: str) -> list[float]:
    """The scores through scikit-learn's transform, as the index computed them before."""
    text = content(query)
    words, chars = (f.matrix @ f.vectorizer.transform([text]).T for f in index._fitted)
    combined: Any = (words.toarray().ravel() + chars.toarray().ravel()) / 2
    return [float(value) for value in combined]


@settings(max_examples=60, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=8).map(" ".join))
def test_scores_match_the_vectorizers_transform(query: str) -> None:
    index = _index()
    if not content(query):
        assert index.scores(query) == [0.0] * len(DOCUMENTS)
        return
    got = index.scores(query)
    expected = _reference(index, query)
    assert len(got) == len(DOCUMENTS)
    assert all(abs(a - b) < 1e-9 for a, b in zip(got, expected, strict=True)), (got, expected)


def test_the_closest_document_ranks_first() -> None:
    ranked = _index().search("cohort retention churn", limit=2, threshold=0.05)
    assert ranked[0][0] == 3
    assert 0 < ranked[0][1] <= 1


def test_a_query_of_unknown_terms_scores_zero() -> None:
    assert _index().scores("qqqq zzzz") == [0.0] * len(DOCUMENTS)


_built: list[Index] = []


def _index() -> Index:
    if not _built:
        _built.append(Index(DOCUMENTS))
    return _built[0]
