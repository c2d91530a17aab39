"""Cue words per intent, in English and Russian: features the classifier weighs.

A few hundred examples cannot teach a character n-gram model that "почини",
"repair" and "is it green?" all mean verification; these stems carry that
knowledge, and the classifier learns how much to trust each group. Stems match
at a word start of the normalized message (lowercase, "ё" as "е"); each group is a
regular-expression alternation.
"""

from __future__ import annotations

import re

CUES: dict[str, str] = {
    "create": (
        "new|create|generate|draft|compose|idea|build me|make a|make an|write a|let's do|"
        "let's write|let's start|start a|put together|prepare a|set up|turn that into|"
        "turn it into|нов|созда|сгенери|придума|сделай задач|сделай квест|сделай одно|"
        "хочу задач|хочу квест|хочу нов|нужна задач|нужна нов|нужно задани|подготовь|"
        "напиши задач|давай сдела|давай нов|давай придума|запусти генерац"
    ),
    "task_kind": (
        "task|quest|challenge|exercise|assignment|problem|задач|квест|челлендж|задани|упражнен"
    ),
    "audience": (
        "intern|junior|middle|senior|student|learner|analyst|стажер|джун|мидл|сеньор|"
        "студент|аналитик|уровн|level"
    ),
    "rewrite": (
        "rewrite|rephrase|shorten|shorter|simplif|simpler|easier|harder|more challenging|"
        "change|edit|replace|refactor|tone down|make the|make it|more vivid|precise|vague|"
        "clearer|перепиш|переформул|сократ|упрост|проще|сложнее|посложнее|попроще|измени|"
        "поправ|уточни|убери|замени|живее|размыт|слишком|too "
    ),
    "tests": (
        "test|coverage|edge case|edge-case|boundary|hidden|hardcod|property-based|тест|"
        "покро|покрыт|граничн|скрыт|захардк|параметриз"
    ),
    "add": ("add|more|extend|include|one more|добав|допиш|ещ|усил"),
    "check": (
        "verif|check|run|re-run|rerun|pass|fail|red|green|sandbox|pytest|grader|oracle|"
        "repair|fix|broken|valid|провер|перепровер|прогон|прогна|запуст|проход|пада|упал|"
        "почин|исправ|зелен|красн|песочниц|верифиц|автопровер"
    ),
    "rules": (
        "guide|master|rule|standard|principle|convention|policy|allow|definition of done|"
        "should|may |according|per our|remind|мастер|регламент|правил|принцип|стандарт|гайд|"
        "можно ли|разреш|должн|критери|напомни|согласно|по нашим"
    ),
    "library": (
        "library|catalog|have we|do we have|do we already|we wrote|existing|already|find|"
        "search|look up|list|show|open|which tasks|which quests|tasks|quests|similar|"
        "библиотек|каталог|уже|есть ли|есть похож|у нас|найди|поищ|покажи|список|выведи|"
        "открой|какие задачи|какие квесты|задачи|квесты|похож|делали|были ли|сколько у нас"
    ),
    "explain": (
        "explain|explanation|what is|what's the|what does|how does|how do|why|difference|"
        "intuition|idea behind|tell me about|объясн|поясни|что такое|как работает|"
        "как устроен|чем отлича|отличается|зачем|расскажи про|в чем идея|что измеряет"
    ),
    "review": (
        "review|feedback|critique|critic|improve|weak|problem|issue|quality|ready|rate|"
        "audit|consistent|missing|good is|ревью|отревью|фидбек|критик|покритик|улучш|слаб|"
        "проблем|оцен|замечан|готова ли|качеств|не хватает|не так|соответству|согласован|"
        "this task|this quest|этой задач|этом квест"
    ),
    "export": (
        "export|download|save|publish|push|send|dump|notebook|format|экспорт|выгруз|сохрани|"
        "скача|опубликуй|отправ|ноутбук|формат"
    ),
    "chat": (
        "hi|hello|hey|thank|thanks|bye|good morning|how are you|how's it going|great job|"
        "weather|joke|funny|poem|haiku|music|pizza|translate|price|football|привет|здравств|"
        "добр|спасибо|пока|как дела|погод|анекдот|стих|хокку|музык|такси|перевед|переведи|"
        "отличн|who are you|кто ты|what can you|что ты умеешь"
    ),
}

_PATTERNS = {group: re.compile(rf"(?<!\w)(?:{stems})") for group, stems in CUES.items()}
GROUPS = tuple(CUES)


def cue_hits(norm: str) -> list[float]:
    """One value per cue group: 1 if any of its stems starts a word of the message."""
    return [1.0 if pattern.search(norm) else 0.0 for pattern in _PATTERNS.values()]
