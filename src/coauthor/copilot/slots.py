"""Rule-based slots (step, part, export format) and the message's language, en and ru.

Rules, not a trained model: they need no data, are exact on what they know, and
are the same on every path (classifier or model).
"""

from __future__ import annotations

import re

from coauthor.copilot.intents import Slots
from coauthor.export import ExportFormat
from coauthor.schemas import Language

_EN_ORDINALS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
]
_EN_NUMBERS = [
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
]
# Russian ordinal stems; any ending follows ("второй", "втором", "второго", ...).
_RU_ORDINALS = [
    "перв",
    "втор",
    "трет",
    "четверт",
    "пят",
    "шест",
    "седьм",
    "восьм",
    "девят",
    "десят",
    "одиннадцат",
    "двенадцат",
]
_RU_NUMBERS = [
    "один",
    "два",
    "три",
    "четыре",
    "пять",
    "шесть",
    "семь",
    "восемь",
    "девять",
    "десять",
    "одиннадцать",
    "двенадцать",
]

_STEP_WORD = r"(?:steps?\b|шаг[а-я]*)"
_RU_ENDINGS = "ь?(?:ый|ой|ий|ая|ое|ее|ые|ого|его|ому|ему|ым|им|ом|ем|ую|ей|ых|их|ья|ье|ьи|ью)"
_ORDINAL_WORD = "|".join([*_EN_ORDINALS, *(f"{stem}{_RU_ENDINGS}" for stem in _RU_ORDINALS)])
_NUMBER_WORD = "|".join([*_EN_NUMBERS, *_RU_NUMBERS])

# "step 2", "шаг №2", "шаге 3", "step two"
_AFTER = re.compile(rf"{_STEP_WORD}\s*(?:№|#|no\.?|number)?\s*(\d{{1,2}}|{_NUMBER_WORD})\b")
# "2nd step", "2-й шаг", "на 2 шаге": a number before the word counts only as an ordinal,
# so "a 4-step quest" and "из 5 шагов" stay a count of steps
_BEFORE_DIGIT = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th|-?(?:й|ой|ий|ый|го|ого|м|ом|ем|му|ому))?\s+(?:step\b|шаг(?:е|у|ом)?\b)"
)
_BEFORE_ORDINAL_DIGIT = re.compile(
    r"\b(\d{1,2})(?:st|nd|rd|th|-(?:й|ой|ий|ый|го|ого|м|ом|ем|му|ому))\s*(?:steps?\b|шаг)"
)
# "second step", "во втором шаге", "третьего шага", "step three's"
_BEFORE_WORD = re.compile(rf"\b({_ORDINAL_WORD})\b(?:'s)?\s+(?:\w+\s+)?(?:steps?\b|шаг)")
_LAST = re.compile(r"\b(?:last|final)\s+step\b|последн[а-я]*\s+шаг")

_PARTS = {
    "story": r"\bstor(?:y|ies)\b|\blegends?\b|\bnarrative\b|\bplot\b|легенд|истори|сюжет",
    "theory": r"\btheor|теори|\blinks?\b|ссылк",
    "requirements": r"\brequirement|\bspecs?\b|\bspecification|требовани",
    "starter": r"\bstarter|\btemplate|\bskeleton|\bstubs?\b|стартер|стартов|шаблон|заготовк",
    "solution": r"\bsolution|\breference\b|\bsolve\b|эталон|решени|\bреши(?:ть|те)?\b",
    "tests": r"\btest|тест",
}
_PART_PATTERNS = {part: re.compile(pattern) for part, pattern in _PARTS.items()}

# a picture asked for: a diagram (a flow drawn from DOT) or a chart (plotting code);
# "plot of"/"plot showing" is a chart, a bare "plot" stays the story's plot
_DIAGRAM = re.compile(r"\bdiagrams?\b|\bflow ?charts?\b|диаграмм|схем[а-я]*\b")
_CHART = re.compile(
    r"\bcharts?\b|\bgraphs?\b|\bplots? (?:of|showing|with)\b|\bhistograms?\b|"
    r"\bfigures?\b|\bvisuali[sz]|\bpictures?\b|\bimages?\b|график|гистограмм|рисун|"
    r"картинк|визуализ|изображени"
)

# with a part named too ("fix the graph traversal in the solution"), a picture is meant
# only when the message asks to draw or add one
_DRAW = re.compile(
    r"\b(?:add|draw|insert|put|include|plot|visuali[sz]e|illustrate|show)\b|"
    r"добав|нарису|встав|покаж|проиллюстр|визуализ"
)

# how students did on the steps ("which steps do students fail most?"): students, an outcome
# and steps named together; answered from the imported grader results
_STUDENTS = re.compile(r"\bstudents?\b|\blearners?\b|студент|учени|учащ|слушател")
_OUTCOME = re.compile(
    r"\bfail|\bstruggl|\bdrop|\bstuck\b|\bmistake|\bwrong\b|\bpass(?:es|ed|ing)?\b|"
    r"pass[- ]through|pass rate|\bhardest\b|\bscores?\b|ошиба|ошибк|провал|не справ|"
    r"не сда|не прох|отва|броса|застрев|сложнее всего|труднее всего|справля|проход|балл"
)
_STEPS = re.compile(r"\bsteps?\b|\bwhere\b|шаг|этап|\bгде\b")

_FORMATS = {
    "nbgrader": r"\bnb[\s-]?grader|нбгрейдер",
    "otter": r"\botter|оттер|\bотер",
    "notion": r"\bnotion\b|ноушн|ноушен|ноушне",
    "json": r"\bjson\b|джейсон",
    "markdown": r"\bmarkdown\b|\bmd\b|маркдаун",
}
_FORMAT_PATTERNS = {ExportFormat(name): re.compile(p) for name, p in _FORMATS.items()}
_NOTEBOOK = re.compile(r"\bnotebook|\bjupyter|\bipynb|ноутбук|юпитер")

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


def normalized(text: str) -> str:
    """Lowercase with "ё" as "е": how both the rules and the classifier read a message."""
    return text.lower().replace("ё", "е")


def language(text: str) -> Language:
    """Russian when Cyrillic letters are a fair share of the message (code words are Latin)."""
    cyrillic, latin = len(_CYRILLIC.findall(text)), len(_LATIN.findall(text))
    return Language.ru if cyrillic >= 2 and cyrillic * 2 >= latin else Language.en


def extract(text: str, *, steps: int | None = None) -> Slots:
    """Slots named in ``text``; with ``steps`` (the open task's length) "last step" resolves."""
    norm = normalized(text)
    number = _step_number(norm)
    last = number is None and _LAST.search(norm) is not None
    if last and steps:
        number = steps
    repair = _REPAIR.search(norm) is not None
    part = _part(norm)
    figure = "diagram" if _DIAGRAM.search(norm) else "chart" if _CHART.search(norm) else None
    if figure is not None and part is not None and not _DRAW.search(norm):
        figure = None
    students = all(p.search(norm) for p in (_STUDENTS, _OUTCOME, _STEPS))
    return Slots(
        step=number,
        part=None if figure else part,
        format=_format(norm),
        last_step=last,
        repair=repair,
        figure=figure,
        students=students,
    )


def _step_number(norm: str) -> int | None:
    found: list[tuple[int, int]] = []
    for pattern in (_AFTER, _BEFORE_DIGIT, _BEFORE_ORDINAL_DIGIT, _BEFORE_WORD):
        for match in pattern.finditer(norm):
            value = _number_value(match.group(1))
            if value is not None:
                found.append((match.start(), value))
    return min(found)[1] if found else None


def _number_value(word: str) -> int | None:
    if word.isdigit():
        value = int(word)
        return value if value >= 1 else None
    for table in (_EN_ORDINALS, _EN_NUMBERS, _RU_NUMBERS):
        if word in table:
            return table.index(word) + 1
    for index, stem in enumerate(_RU_ORDINALS):
        if word.startswith(stem):
            return index + 1
    return None


def _part(norm: str) -> str | None:
    """The part named first: "требования к решению" is about the requirements."""
    hits = [(m.start(), part) for part, p in _PART_PATTERNS.items() if (m := p.search(norm))]
    return min(hits)[1] if hits else None


def _format(norm: str) -> str | None:
    hits = [(m.start(), name) for name, p in _FORMAT_PATTERNS.items() if (m := p.search(norm))]
    if hits:
        return min(hits)[1].value
    return ExportFormat.otter.value if _NOTEBOOK.search(norm) else None


# Difficulty and task-type words (en/ru) as authors write them; shared by the copilot's
# new-task proposals and library filters.
_REPAIR = re.compile(r"\brepair|\bfix\b|\bfix (?:it|them|the)|почин|исправ|отремонт")

# Domains as authors name them (en/ru): the studio's suggestions, the copilot's new-task
# proposals and its library filters all read this one table.
DOMAIN_WORDS = {
    "e-commerce": r"\be-?commerce|е-?коммерс|маркетплейс|\bmarketplace|интернет-магазин|"
    r"\bonline shop",
    "fintech": r"\bfintech|финтех|\bbank|банк|\bcredit|кредит|\bpayment|платеж",
    "retail": r"\bretail|ритейл|\bgrocery|розниц",
    "telecom": r"\btelecom|телеком|сотов|\bсвяз[ьи]\b",
    "healthcare": r"\bhealthcare|\bhealth\b|\bmedical|\bclinic|медицин|клиник|здравоохран",
    "media": r"\bstreaming|\bmusic|онлайн-кинотеатр|стриминг",
    "logistics": r"\blogistic|\bdelivery|логистик|доставк",
    "gaming": r"\bgames?\b|\bgaming|игров",
    "edtech": r"\bedtech|\beducation|образован",
    "marketing": r"\bmarketing|маркетинг",
}

DIFFICULTY_WORDS = {
    "intern": r"\bintern|стажер",
    "junior": r"\bjunior|джун",
    "middle": r"\bmiddle|\bmid-level|мидл",
    "senior": r"\bsenior|сеньор|синьор",
}
TYPE_WORDS = {
    "one-shot": r"\bone[\s-]?shot|одношаг|ваншот",
    "challenge": r"\bchallenge|челлендж",
    "quest": r"\bquest|квест",
}
