"""Export buttons for every format the project has (listed from the registry).

A format that writes files is exported to a temporary folder and offered as a
zip; a format that publishes to a service (Notion) is published and linked.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import streamlit as st

from coauthor.export import ExportError, exporter, formats
from coauthor.export.base import ExportOptions, Publisher
from coauthor.schemas import Task
from coauthor.ui import common, resources


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
    try:
        names = formats()
    except ImportError as exc:  # a format module that fails to load must not hide the others
        st.error(f"Export formats could not be loaded: {exc}")
        return
    db = resources.store()
    parent = st.text_input(
        "Parent page (for formats that publish to a service, e.g. a Notion page id)",
        key=f"export_parent_{task_id}",
    )
    options = ExportOptions(
        notion_parent=parent.strip() or None,
        known_page=db.external_page,
        remember_page=db.remember_external_page,
    )
    columns = st.columns(min(4, max(1, len(names))))
    for index, name in enumerate(names):
        with columns[index % len(columns)]:
            one_format(name, task, task_id=task_id, revision=revision, options=options)


def one_format(
    name: str, task: Task, *, task_id: int, revision: int, options: ExportOptions
) -> None:
    ready = f"export_{task_id}_{revision}_{name}"
    if st.button(f"Export {name}", key=f"btn_{ready}", icon=":material/download:"):
        with common.errors(f"export {name}"):
            target = exporter(name, options)
            if isinstance(target, Publisher):
                published = target.publish(task, task_id=task_id, revision=revision)
                st.success(f"Published to {name}: {published.url or published.page_id}")
                return
            st.session_state[ready] = export_zip(
                name, task, task_id=task_id, revision=revision, options=options
            )
    data = st.session_state.get(ready)
    if isinstance(data, bytes):
        st.download_button(
            f"Download {name} (.zip)",
            data=data,
            file_name=f"task-{task_id}-r{revision}-{name}.zip",
            mime="application/zip",
            key=f"dl_{ready}",
            on_click="ignore",
            type="primary",
        )
