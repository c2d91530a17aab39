"""What the copilot says to the author, in English and Russian.

These are replies shown to a person, not prompts: no model reads them.
"""

from __future__ import annotations

from coauthor.copilot.intents import Intent
from coauthor.schemas import Language

_PHRASES: dict[str, tuple[str, str]] = {
    "other": (
        "I'm the Co-Author copilot: I can start a new task, edit or add tests to a step, "
        "verify, review or export the open task, answer from the master document, "
        "search the library and explain a concept.",
        "Я копилот Co-Author: могу начать новую задачу, переписать часть шага или добавить "
        "тесты, проверить, отревьюить или экспортировать открытую задачу, ответить по "
        "мастер-документу, найти задачи в библиотеке и объяснить понятие.",
    ),
    "clarify": ("Do you want me to {first} or {second}?", "Вы хотите {first} или {second}?"),
    "no_task": (
        "Open a task first (in the studio, or with --task ID on the command line).",
        "Сначала откройте задачу (в студии или с --task ID в командной строке).",
    ),
    "which_step": (
        "Which step? The task has {steps} steps.",
        "Какой шаг? В задаче шагов: {steps}.",
    ),
    "which_part": (
        "Which part of step {step}: story, theory, requirements, starter, solution or tests?",
        "Какую часть шага {step}: легенду, теорию, требования, стартер, решение или тесты?",
    ),
    "no_such_step": (
        "The task has {steps} steps; there is no step {step}.",
        "В задаче шагов: {steps}; шага {step} нет.",
    ),
    "edited": (
        "Step {step}: the {part} is rewritten (revision {revision}). {status}",
        "Шаг {step}: переписано — {part} (ревизия {revision}). {status}",
    ),
    "figure_added": (
        "Step {step}: the {kind} '{name}' is drawn and placed in the theory (revision "
        "{revision}); change it on the step's Figures tab.",
        "Шаг {step}: {kind_ru} '{name}' нарисован(а) и вставлен(а) в теорию (ревизия "
        "{revision}); поправить можно на вкладке Figures шага.",
    ),
    "figure_failed": (
        "Step {step}: the {kind} '{name}' could not be drawn ({error}); it is kept, "
        "flagged, in revision {revision}: fix its code on the step's Figures tab.",
        "Шаг {step}: {kind_ru} '{name}' не нарисован(а) ({error}); сохранено с флагом в "
        "ревизии {revision}: поправьте код на вкладке Figures шага.",
    ),
    "tests_added": (
        "Step {step}: the tests are extended (revision {revision}). {status}",
        "Шаг {step}: тесты дополнены (ревизия {revision}). {status}",
    ),
    "survivors_killed": (
        "Step {step}: added {tests}, which catch {killed} of {tried} surviving mutants "
        "(revision {revision}). {status}",
        "Шаг {step}: добавлены {tests}; они ловят {killed} из {tried} выживших мутантов "
        "(ревизия {revision}). {status}",
    ),
    "survivors_none_kept": (
        "Step {step}: no new test was kept, nothing saved: {reason}. A test is kept only "
        "when it passes on the solution and catches a surviving mutant.",
        "Шаг {step}: ни один новый тест не подошёл, ничего не сохранено: {reason}. Тест "
        "сохраняется, только если решение его проходит, а выживший мутант — нет.",
    ),
    "mutation_score": (", mutation score {score}", ", мутационный балл {score}"),
    "verified": (
        "Verified: the solution passes all {tests} tests and the starter fails them.",
        "Проверено: решение проходит все {tests} тестов, а стартер их не проходит.",
    ),
    "not_verified": ("Not verified: {problems}", "Не проверено: {problems}"),
    "no_checker": (
        "Not verified: the checking system is not available here.",
        "Не проверено: система проверки здесь недоступна.",
    ),
    "verify_unavailable": (
        "Verification is not available in this session; nothing was changed.",
        "Проверка недоступна в этой сессии; ничего не изменено.",
    ),
    "checked": ("Checked (revision {revision}):", "Проверено (ревизия {revision}):"),
    "step_ok": (
        "step {step}: verified ({tests} tests{coverage}{rounds})",
        "шаг {step}: проверен ({tests} тестов{coverage}{rounds})",
    ),
    "step_bad": ("step {step}: not verified: {problems}", "шаг {step}: не проверен: {problems}"),
    "repaired": (", repaired in {rounds} round(s)", ", исправлен за {rounds} раунд(а)"),
    "offer_repair": (
        '{count} step(s) not verified: say "repair them" and the model rewrites what fails '
        "(a few minutes per step).",
        "Не проверено шагов: {count}. Напишите «исправь их», и модель перепишет то, что "
        "не проходит (несколько минут на шаг).",
    ),
    "guidelines_none": (
        "The master document does not cover this.",
        "В мастер-документе об этом ничего нет.",
    ),
    "guidelines_found": ("From the master document:", "Из мастер-документа:"),
    "library_empty": ("The library has no tasks yet.", "В библиотеке пока нет задач."),
    "library_none": ("No task in the library matches.", "Подходящих задач в библиотеке нет."),
    "library_found": ("Tasks that match:", "Подходящие задачи:"),
    "offer_theory": (
        "put this into the theory of step {step}",
        "добавить это в теорию шага {step}",
    ),
    "theory_added": (
        "The explanation is added to the theory of step {step} (revision {revision}).",
        "Объяснение добавлено в теорию шага {step} (ревизия {revision}).",
    ),
    "review_clean": (
        "No findings: the checks see nothing against the definition of done.",
        "Замечаний нет: проверки не нашли нарушений критериев готовности.",
    ),
    "review_head": ("Review of '{title}':", "Ревью задачи «{title}»:"),
    "whole_task": ("Whole task", "Вся задача"),
    "left_head": (
        "Left to review on task {task} '{title}' (revision {revision}, {status}):",
        "Что осталось в ревью задачи {task} «{title}» (ревизия {revision}, {status}):",
    ),
    "left_unverified": (
        "steps not verified and not waived: {steps}",
        "шаги без проверки и без обоснования: {steps}",
    ),
    "left_waived": ("steps waived with a reason: {steps}", "шаги с обоснованием: {steps}"),
    "left_comments": (
        "{count} open comment thread(s): {where}",
        "открытых обсуждений: {count} ({where})",
    ),
    "left_reviewers": ("reviewers: {who}", "ревьюеры: {who}"),
    "left_nothing": (
        "nothing left: every step is verified or waived and no comment is open",
        "ничего не осталось: все шаги проверены или обоснованы, открытых обсуждений нет",
    ),
    "left_approved": (
        "approved: revision {revision}",
        "одобрено: ревизия {revision}",
    ),
    "step_head": ("Step {step}", "Шаг {step}"),
    "which_format": ("Which format: {formats}?", "В каком формате: {formats}?"),
    "exported": ("Exported as {format}: {path}", "Экспортировано в {format}: {path}"),
    "export_unavailable": (
        "The {format} export is not available here ({reason}). On the command line: "
        "coauthor export {task} --format {format} --out DIR",
        "Экспорт в {format} здесь недоступен ({reason}). В командной строке: "
        "coauthor export {task} --format {format} --out DIR",
    ),
    "proposal": (
        "A new task: {idea}\nDomain: {domain}; difficulty: {difficulty}; type: {type}; "
        "language: {language}; steps: {steps}. Shall I generate it?",
        "Новая задача: {idea}\nДомен: {domain}; сложность: {difficulty}; тип: {type}; "
        "язык: {language}; шагов: {steps}. Сгенерировать?",
    ),
    "f_no_steps": ("the task has no steps", "в задаче нет шагов"),
    "f_lesson": (
        "the lesson '{lesson}' is not covered by any step",
        "урок «{lesson}» не покрыт ни одним шагом",
    ),
    "f_no_story": ("the story is empty", "легенда пустая"),
    "f_no_link": (
        "the theory has no link to a trustworthy source",
        "в теории нет ссылки на надёжный источник",
    ),
    "f_no_requirements": ("there are no requirements", "нет требований"),
    "f_no_starter": ("the starter file is empty", "стартовый файл пуст"),
    "f_no_solution": ("the reference solution is empty", "эталонное решение пустое"),
    "f_starter_is_solution": (
        "the starter is the reference solution: it gives the answer away",
        "стартер совпадает с эталонным решением и выдаёт ответ",
    ),
    "f_no_tests": ("there are no tests", "тестов нет"),
    "f_few_tests": (
        "only {count} test(s); the definition of done asks for at least three",
        "тестов всего {count}; по критериям готовности нужно не меньше трёх",
    ),
    "f_no_import": (
        "the tests do not import from `solution`",
        "тесты не импортируют из `solution`",
    ),
    "f_io": (
        "the code reads files or the network; tests must create their own data",
        "код читает файлы или сеть; тесты должны создавать данные сами",
    ),
    "f_unverified": (
        "not verified since it last changed",
        "не проверен после последнего изменения",
    ),
    "f_failed": ("verification failed: {problems}", "проверка не пройдена: {problems}"),
    "f_weak": (
        "tests that pass on the starter check nothing: {tests}",
        "тесты, которые проходит стартер, ничего не проверяют: {tests}",
    ),
    "f_coverage": (
        "the tests cover only {coverage:.0f}% of the solution",
        "тесты покрывают только {coverage:.0f}% решения",
    ),
    "f_flag": ("left for the author: {flag}", "оставлено автору: {flag}"),
    "no_results": (
        "No students' results for this task yet: import otter's final_grades.csv or "
        "nbgrader's gradebook.db (coauthor results import {task_id} FILE, or Students' "
        "results in the task editor).",
        "Результатов студентов по этой задаче пока нет: импортируйте final_grades.csv из "
        "otter или gradebook.db из nbgrader (coauthor results import {task_id} FILE или "
        "«Students' results» в редакторе задачи).",
    ),
    "results_head": (
        "{students} students ({sources}); {passed_all} passed every step. Steps, the most "
        "failed first:",
        "Студентов: {students} ({sources}); все шаги прошли: {passed_all}. Шаги, начиная с "
        "тех, где ошибаются чаще всего:",
    ),
    "results_step": (
        "step {step} «{title}»: {failed} of {students} did not pass ({failed_share}), "
        "mean score {mean}",
        "шаг {step} «{title}»: не прошли {failed} из {students} ({failed_share}), "
        "средний балл {mean}",
    ),
    "results_drop": (
        "Most students drop out at step {step}: {dropped} of those who tried step {before} "
        "did not try it ({share}).",
        "Больше всего студентов бросают на шаге {step}: {dropped} из тех, кто пробовал шаг "
        "{before}, его не начали ({share}).",
    ),
    "failed": ("I could not do that: {error}", "Не получилось: {error}"),
    "conflict": (
        "The task changed while I was working; nothing was saved. Please try again.",
        "Задача изменилась, пока я работал; ничего не сохранено. Попробуйте ещё раз.",
    ),
}

_INTENTS: dict[Intent, tuple[str, str]] = {
    Intent.new_task: ("start a new task", "начать новую задачу"),
    Intent.edit_step: ("rewrite a part of a step", "переписать часть шага"),
    Intent.add_tests: ("add tests to a step", "добавить тесты в шаг"),
    Intent.verify: ("verify the task", "проверить задачу"),
    Intent.ask_guidelines: ("answer from the master document", "ответить по мастер-документу"),
    Intent.ask_library: ("search the task library", "поискать в библиотеке задач"),
    Intent.explain: ("explain a concept", "объяснить понятие"),
    Intent.review: ("review the task", "отревьюить задачу"),
    Intent.export: ("export the task", "экспортировать задачу"),
    Intent.other: ("just chat", "просто поговорить"),
}


_PART_NAMES = {
    "story": "легенда",
    "theory": "теория",
    "requirements": "требования",
    "starter": "стартер",
    "solution": "решение",
    "tests": "тесты",
}


def part_name(part: str, lang: Language) -> str:
    return _PART_NAMES.get(part, part) if lang is Language.ru else part


def say(key: str, lang: Language, /, **values: object) -> str:
    """The phrase ``key`` in ``lang`` with ``values`` filled in."""
    english, russian = _PHRASES[key]
    return (russian if lang is Language.ru else english).format(**values)


def describe(intent: Intent, lang: Language) -> str:
    """What an intent does, as a clarifying question names it."""
    english, russian = _INTENTS[intent]
    return russian if lang is Language.ru else english
