"""Reading ease of English and Russian text, by documented formulas.

English: Flesch Reading Ease, 206.835 - 1.015 * words/sentences - 84.6 * syllables/words.
Russian: Oborneva's adaptation of it (2006), 206.835 - 1.3 * words/sentences
- 60.1 * syllables/words. Higher is easier; both are about 0-100 for ordinary prose.

Syllables are vowel groups: in English a group of a, e, i, o, u, y, less a final silent
"e" ("five" has one); in Russian every vowel is a syllable. Sentences end at ., ! or ?
and at a blank line. (textstat, the maintained library, needs NLTK's CMU dictionary
downloaded at run time, which an offline studio cannot do.)

Terms: the theory defines a term where it emphasises it in markdown (``**term**``,
``__term__``, ``*term*``, ``_term_``), the way a textbook sets a new word in bold; the
requirements use it where its words appear there (case-insensitive, whole words).
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from coauthor.schemas import Language

_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_SENTENCE_END = re.compile(r"[.!?…]+|\n\s*\n")
_EN_VOWELS = re.compile(r"[aeiouy]+")
_RU_VOWELS = re.compile(r"[аеёиоуыэюя]")
_EMPHASIS = re.compile(
    r"\*\*(?P<a>[^*\n]+?)\*\*|__(?P<b>[^_\n]+?)__"
    r"|(?<![*\w])\*(?P<c>[^*\s][^*\n]*?)\*(?![*\w])|(?<![_\w])_(?P<d>[^_\s][^_\n]*?)_(?![_\w])"
)
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.DOTALL)
MAX_TERM_WORDS = 4
"""Longer emphasised text is a warning or a sentence, not a term."""
FORMULAS = {
    Language.en: (206.835, 1.015, 84.6),
    Language.ru: (206.835, 1.3, 60.1),
}


def words(text: str) -> list[str]:
    return _WORD.findall(text)


def sentences(text: str) -> int:
    """Pieces of ``text`` between sentence ends that hold a word; at least 1."""
    return max(1, sum(1 for piece in _SENTENCE_END.split(text) if words(piece)))


def syllables(word: str, language: Language) -> int:
    word = word.lower()
    if language is Language.ru:
        return max(1, len(_RU_VOWELS.findall(word)))
    count = len(_EN_VOWELS.findall(word))
    if count > 1 and word.endswith("e") and not word.endswith(("le", "ee")):
        count -= 1
    return max(1, count)


def reading_ease(text: str, language: Language) -> float | None:
    """The formula's score for ``text``; None for text without words."""
    found = words(text)
    if not found:
        return None
    base, per_sentence, per_syllable = FORMULAS[language]
    total = sum(syllables(w, language) for w in found)
    return base - per_sentence * len(found) / sentences(text) - per_syllable * total / len(found)


def well_formed_url(url: str) -> bool:
    """An http(s) address with a host that has a dot (or is localhost)."""
    try:
        parts = urlparse(url.strip())
    except ValueError:
        return False
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and ("." in host or host == "localhost")


def defined_terms(theory: str) -> list[str]:
    """The terms ``theory`` defines: emphasised phrases of 1 to MAX_TERM_WORDS words,
    lower-cased, each once, in the order they first appear; code is not looked at."""
    found: list[str] = []
    for match in _EMPHASIS.finditer(_CODE.sub(" ", theory)):
        phrase = next(group for group in match.groups() if group is not None)
        term = " ".join(words(phrase)).casefold()
        if term and len(term.split()) <= MAX_TERM_WORDS and term not in found:
            found.append(term)
    return found


def uses(term: str, text: str) -> bool:
    """Whether ``text`` has ``term``'s words in a row (case-insensitive, whole words)."""
    said = [w.casefold() for w in words(text)]
    wanted = term.split()
    return any(said[i : i + len(wanted)] == wanted for i in range(len(said) - len(wanted) + 1))
