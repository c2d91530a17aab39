"""Export: a format selector (listed from the registry) and one button under it.

A format that writes files is exported to a temporary folder and offered as a
zip; a format that publishes to a service (Notion) is published and linked.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import replace
from pathlib import Path

import streamlit as st

from coauthor.export import ExportError, exporter, formats
from coauthor.export.base import PUBLISHED, ExportOptions, Publisher
from coauthor.schemas import Task
from coauthor.store import Store
from coauthor.ui import common, resources

DEFAULT = "markdown"


def zipped(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())
    return buffer.getvalue()


def export_zip(
    name: str, task: Task, *, task_id: int, revision: int, options: ExportOptions
) -> bytes:
    """The files format ``name`` writes for ``task``, as a zip."""
    target = exporter(name, options)
    with tempfile.TemporaryDirectory(prefix="coauthor-export-") as tmp:
        out = Path(tmp) / f"task-{task_id}-r{revision}"
        target.export(task, out, task_id=task_id, revision=revision)
        if not out.exists():
            raise ExportError(f"the {name} export wrote nothing")
        return zipped(out)


def export_buttons(task: Task, *, task_id: int, revision: int) -> None:
    """A format selector and, under it, the one button that produces that format."""
    names = formats()  # every format; one that cannot load says so when it is used
    name = str(
        st.selectbox(
            "Format",
            names,
            index=names.index(DEFAULT) if DEFAULT in names else 0,
            key=f"export_format_{task_id}",
        )
    )
    db = resources.store()
    options = ExportOptions(known_page=db.external_page, remember_page=db.remember_external_page)
    if name in PUBLISHED:
        publish(name, task, task_id=task_id, revision=revision, options=options)
    else:
        st.download_button(
            f"Download {name} (.zip)",
            data=lambda: recorded(
                db,
                export_zip(name, task, task_id=task_id, revision=revision, options=options),
                task_id=task_id,
                revision=revision,
                name=name,
            ),
            file_name=f"task-{task_id}-r{revision}-{name}.zip",
            mime="application/zip",
            key=f"dl_export_{task_id}_{revision}_{name}",
            on_click="ignore",
            type="primary",
            icon=":material/download:",
        )


def recorded(db: Store, data: bytes, *, task_id: int, revision: int, name: str) -> bytes:
    """``data``, once the export of it is recorded as this session's user's."""
    db.record_export(task_id, revision, name)
    return data


def publish(name: str, task: Task, *, task_id: int, revision: int, options: ExportOptions) -> None:
    """A format that publishes to a service: where to, and the button that does it."""
    parent = st.text_input(
        f"Parent page in {name} (its page id)", key=f"export_parent_{task_id}_{name}"
    )
    if st.button(f"Publish to {name}", key=f"publish_{task_id}_{name}", type="primary"):
        with common.errors(f"export {name}"):
            target = exporter(name, replace(options, notion_parent=parent.strip() or None))
            assert isinstance(target, Publisher)
            published = target.publish(task, task_id=task_id, revision=revision)
            resources.store().record_export(task_id, revision, name)
            st.success(f"Published to {name}: {published.url or published.page_id}")
