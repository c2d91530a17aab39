"""Co-Author studio: ``streamlit run src/coauthor/ui/app.py``.

The entry only sets up the page and the navigation; each page is its own file
under ``views/`` and calls the core through ``coauthor.ui.resources``.
"""

from __future__ import annotations

import streamlit as st

from coauthor.ui import common, resources


def main() -> None:
    st.set_page_config(
        page_title="Co-Author studio", page_icon=":material/edit_note:", layout="wide"
    )
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
    ]
    chosen = st.navigation(pages)
    with st.sidebar, common.errors():
        st.caption(f"Model: `{resources.settings().model}`")
    chosen.run()


main()
