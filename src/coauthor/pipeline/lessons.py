"""Stage: the key lessons a raw task idea should teach."""

from __future__ import annotations

from coauthor.pipeline.context import Context
from coauthor.schemas import Lesson, LessonList


def lessons(ctx: Context, idea: str, *, count: int = 5) -> list[Lesson]:
    prompt = ctx.messages("lessons.j2", idea=idea, count=count, exemplar=ctx.exemplar)
    reply = ctx.model.generate(prompt, output=LessonList, max_tokens=700)
    return reply.lessons[:count]
