"""Co-Author studio: ``streamlit run src/coauthor/ui/app.py``.

The entry only sets up the page and the navigation; each page is its own file
under ``views/`` and calls the core through ``coauthor.ui.resources``.
"""

from __future__ import annotations

import streamlit as st
from alembic.util.exc import CommandError

from coauthor.ui import common, resources, signin

NEWER = (
    "This database was written by a newer Co-Author: its schema is unknown here, so the "
    "studio will not open it (it was left unchanged). Upgrade Co-Author, or point "
    "COAUTHOR_DATABASE_URL at another database."
)


def main() -> None:
    # An emoji favicon is drawn as a data: URL; a :material/...: one would be fetched
    # from fonts.gstatic.com, and the studio loads nothing from the network.
    st.set_page_config(page_title="Co-Author studio", page_icon="📝", layout="wide")
    # The page files live in views/, not pages/: Streamlit would treat a pages/ folder as
    # its legacy multipage folder and serve deep links without this entry.
    pages = [
        st.Page(common.NEW_TASK, title="New task", icon=":material/add:", url_path="new"),
        st.Page(common.RUN_VIEW, title="Run", icon=":material/play_circle:", url_path="run"),
        st.Page(common.QUEUE, title="Queue", icon=":material/queue:", url_path="queue"),
        st.Page(common.EDITOR, title="Task editor", icon=":material/edit:", url_path="editor"),
        st.Page(common.COPILOT, title="Copilot", icon=":material/forum:", url_path="copilot"),
        st.Page(
            common.LIBRARY, title="Library", icon=":material/library_books:", url_path="library"
        ),
        st.Page(common.SETTINGS, title="Settings", icon=":material/settings:", url_path="settings"),
        st.Page(common.TEAM, title="Team", icon=":material/group:", url_path="team"),
        st.Page(common.LOGBOOK, title="Logbook", icon=":material/receipt_long:", url_path="log"),
        st.Page(common.METRICS, title="Metrics", icon=":material/monitoring:", url_path="metrics"),
    ]
    try:
        if not signin.admitted([page.url_path for page in pages]):
            return
        resources.store()
    except CommandError as exc:
        if "can't locate revision" not in str(exc).lower():
            raise
        st.error(NEWER, icon=":material/error:")
        st.stop()
    chosen = st.navigation(pages)
    with st.sidebar, common.errors():
        st.caption(f"Model: `{resources.settings().model}`")
        store = resources.store()
        if store.team_mode():
            st.caption(f"Signed in as {store.user} ({store.role().value})")
        else:
            st.caption("Single-user mode")
        signin.sidebar()
    chosen.run()


main()
