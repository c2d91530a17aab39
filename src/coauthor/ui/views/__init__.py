"""The studio's pages, one file each; ``app.py`` lists them in ``st.navigation``."""
