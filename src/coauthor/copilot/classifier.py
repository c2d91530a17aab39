"""The offline intent classifier: fast, deterministic, trained at first use.

Features: TF-IDF over character n-grams (robust to Russian endings and typos) and
word n-grams, plus the cue-word groups and which slots the message names. A
multinomial logistic regression on top gives calibrated-enough probabilities for
"confident or ask". Training on the shipped examples takes well under a second.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from coauthor.copilot.cues import cue_hits
from coauthor.copilot.intents import Intent
from coauthor.copilot.slots import extract, normalized

if TYPE_CHECKING:
    from scipy import sparse
    from sklearn.pipeline import Pipeline

# scikit-learn takes seconds to import, so it is imported where a model is fitted:
# commands that never route a message do not pay for it.

OWN_EXAMPLES = "examples.jsonl"
DEV_EXAMPLES = "intents-dev.jsonl"
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class Example:
    """One labelled message; ``slots`` holds the labelled step, part and format."""

    text: str
    intent: Intent
    slots: dict[str, object] = field(default_factory=dict)


def parse_examples(lines: Iterable[str]) -> list[Example]:
    found = []
    for line in lines:
        if line.strip():
            item = json.loads(line)
            slots = {key: item[key] for key in ("step", "part", "format") if key in item}
            found.append(Example(item["text"], Intent(item["intent"]), slots))
    return found


def read_examples(path: Path) -> list[Example]:
    return parse_examples(path.read_text(encoding="utf-8").splitlines())


def shipped_examples(*, dev: bool = True) -> list[Example]:
    """The examples in the package: our own, plus the labelled development set."""
    folder = resources.files("coauthor.copilot").joinpath("data")
    names = [OWN_EXAMPLES, DEV_EXAMPLES] if dev else [OWN_EXAMPLES]
    lines: list[str] = []
    for name in names:
        lines += folder.joinpath(name).read_text(encoding="utf-8").splitlines()
    return parse_examples(lines)


def _prepared(text: str) -> str:
    return _DIGIT.sub("0", normalized(text))


def _rule_features(texts: Sequence[str]) -> sparse.csr_matrix:
    import numpy as np
    from scipy import sparse

    rows = []
    for text in texts:
        found = extract(text)
        named = [found.step is not None or found.last_step, found.part, found.format]
        rows.append([*cue_hits(normalized(text)), *(float(bool(v)) for v in named)])
    return sparse.csr_matrix(np.array(rows, dtype=float))


def _pipeline(*, strength: float) -> Pipeline:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union
    from sklearn.preprocessing import FunctionTransformer

    chars = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(1, 5), sublinear_tf=True, preprocessor=_prepared
    )
    words = TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        sublinear_tf=True,
        preprocessor=_prepared,
        token_pattern=r"(?u)\b\w+\b",
    )
    rules = FunctionTransformer(_rule_features, accept_sparse=True)
    model = LogisticRegression(
        C=strength, solver="newton-cg", max_iter=1000, class_weight="balanced"
    )
    return cast("Pipeline", make_pipeline(make_union(chars, words, rules), model))


class IntentClassifier:
    """Ranks the intents for a message, most likely first, with probabilities."""

    def __init__(self, pipeline: Pipeline) -> None:
        self._pipeline = pipeline
        self._classes = [Intent(name) for name in pipeline.classes_]

    @classmethod
    def fit(cls, examples: Sequence[Example], *, strength: float = 10.0) -> IntentClassifier:
        if len({e.intent for e in examples}) < 2:
            raise ValueError("the classifier needs examples of at least two intents")
        pipeline = _pipeline(strength=strength)
        pipeline.fit([e.text for e in examples], [e.intent.value for e in examples])
        return cls(pipeline)

    def ranking(self, text: str) -> list[tuple[Intent, float]]:
        probabilities: Any = self._pipeline.predict_proba([text])[0]
        pairs = [(i, float(p)) for i, p in zip(self._classes, probabilities, strict=True)]
        return sorted(pairs, key=lambda pair: -pair[1])

    def predict(self, text: str) -> Intent:
        return self.ranking(text)[0][0]


@cache
def default_classifier() -> IntentClassifier:
    """Trained once per process on every shipped example."""
    return IntentClassifier.fit(shipped_examples())


def cross_validated(
    examples: Sequence[Example], *, folds: int = 5, seed: int = 0
) -> list[tuple[Intent, Intent]]:
    """(label, prediction) for every example, each predicted by a model that never saw it."""
    from sklearn.model_selection import StratifiedKFold

    labels = [e.intent.value for e in examples]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    pairs: list[tuple[Intent, Intent]] = []
    for train, test in splitter.split([[0]] * len(labels), labels):
        model = IntentClassifier.fit([examples[i] for i in train])
        pairs += [(examples[i].intent, model.predict(examples[i].text)) for i in test]
    return pairs
