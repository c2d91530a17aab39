"""TF-IDF search over a handful of documents (master-document passages, library tasks,
exemplars).

Word n-grams reward exact terms; character n-grams (within words) match across
English and Russian endings ("тесты", "тестов"; "dataset", "data"). The score is
their mean cosine similarity; stop words and the question's framing are dropped
first, so "what does our guide say about hints?" searches for "hints".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

_STOP_TEXT = (
    "a an the and or of to in on for with about at by from as is are be was were do does "
    "did what what's which who how why when where can could should would may might must "
    "will we our us you your i me my it its this that these those there any some all every "
    "each please "
    "say says said tell show find list give let's let have has had any anything something "
    "master document doc docs guide guides guideline guidelines rules rule regulation "
    "according per written write wrote task tasks quest quests library catalog catalogue "
    "existing already similar one ones do we have и или в во на по для с со о об про к ко "
    "от из у а но же ли не что как какой какая какие каком каких где когда зачем почему "
    "сколько можно нужно надо есть был были было мы наш наша наше наши нашем нашим нас вы "
    "ваш это этот эта эти тот та те все всё всех мне меня скажи покажи найди поищи выведи "
    "список расскажи говорит сказано написано мастер документ документе мастер-документ "
    "мастер-документе регламент регламенту гайд гайду правила правилам правилах согласно "
    "задача задачи задачу задач задачами квест квесты квестов библиотека библиотеке каталог "
    "каталоге уже похожие похожая делали "
)
STOP_WORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"[\w@+#-]+")


def normalized(text: str) -> str:
    """Lowercase with "ё" as "е"."""
    return text.lower().replace("ё", "е")


def content(text: str) -> str:
    """The words of ``text`` that carry meaning, normalized."""
    return " ".join(w for w in _WORD.findall(normalized(text)) if w not in STOP_WORDS)


class Index:
    """Scores a query against fixed documents; empty documents never match."""

    def __init__(self, documents: Sequence[str]) -> None:
        from sklearn.feature_extraction.text import (
            TfidfVectorizer,
        )  # slow to import: see classifier

        self.size = len(documents)
        texts = [content(d) for d in documents]
        self._usable = any(t.strip() for t in texts)
        words = TfidfVectorizer(token_pattern=r"[\w@+#-]+", ngram_range=(1, 2))
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)
        self._fitted = [_Fitted.of(v, texts) for v in (words, chars)] if self._usable else []

    def scores(self, query: str) -> list[float]:
        """One score per document, 0 (nothing shared) to 1: the mean over the word and the
        character vectorizers."""
        text = content(query)
        if not self._usable or not text:
            return [0.0] * self.size
        words, chars = (fitted.cosines(text) for fitted in self._fitted)
        return [(w + c) / 2 for w, c in zip(words, chars, strict=True)]

    def search(self, query: str, *, limit: int, threshold: float) -> list[tuple[int, float]]:
        """(document index, score) of the best documents scoring at least ``threshold``."""
        ranked = sorted(enumerate(self.scores(query)), key=lambda pair: -pair[1])
        return [(i, score) for i, score in ranked[:limit] if score >= threshold]


@dataclass(frozen=True)
class _Fitted:
    """A vectorizer fitted on the documents: its analyzer (built once: building it compiles
    its patterns) and the documents' rows, each of unit length, in column-major form."""

    vectorizer: Any
    analyzer: Callable[[str], list[str]]
    matrix: Any

    @classmethod
    def of(cls, vectorizer: Any, texts: list[str]) -> _Fitted:
        matrix = vectorizer.fit_transform(texts).tocsc()
        return cls(vectorizer, vectorizer.build_analyzer(), matrix)

    def cosines(self, text: str) -> list[float]:
        """The cosine of ``text`` with each document: what
        ``matrix @ vectorizer.transform([text]).T`` gives, computed on the query's few
        terms only (the vectorizer's own transform was most of a search's time: it
        validates and builds a sparse matrix for one short text)."""
        vocabulary: dict[str, int] = self.vectorizer.vocabulary_
        counts: dict[int, int] = {}
        for term in self.analyzer(text):
            column = vocabulary.get(term)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        if not counts:
            return [0.0] * self.matrix.shape[0]
        columns = sorted(counts)
        idf = self.vectorizer.idf_
        sublinear = self.vectorizer.sublinear_tf
        weights = [(1 + math.log(counts[c]) if sublinear else counts[c]) * idf[c] for c in columns]
        norm = math.sqrt(sum(w * w for w in weights))
        found = self.matrix[:, columns] @ [w / norm for w in weights]
        return [float(value) for value in found]
