"""The ``export`` intent: writes the open task in the named format under the session's
export folder (``exports/task-ID/FORMAT`` by default)."""

from __future__ import annotations

from coauthor.copilot.checking import open_task
from coauthor.copilot.intents import Intent
from coauthor.copilot.phrases import say
from coauthor.copilot.results import Exported, Failed
from coauthor.copilot.session import Reply, Request, Session
from coauthor.export import ExportError, exporter, formats


def export(session: Session, request: Request) -> Reply:
    lang = request.language
    head = open_task(session, lang)
    fmt = request.slots.format
    if fmt is None:
        known = ", ".join(formats())
        return Reply(say("which_format", lang, formats=known), Intent.export)
    try:
        target = exporter(fmt)
        out = session.out_dir / f"task-{head.task_id}" / fmt
        path = target.export(head.task, out, task_id=head.task_id, revision=head.number)
    except ExportError as exc:
        text = say("export_unavailable", lang, format=fmt, reason=exc, task=head.task_id)
        return Reply(text, Intent.export, result=Failed(error=str(exc)))
    session.store.record_export(head.task_id, head.number, fmt)
    return Reply(
        say("exported", lang, format=fmt, path=path),
        Intent.export,
        links=(f"file:{path}",),
        result=Exported(format=fmt, path=str(path)),
    )
