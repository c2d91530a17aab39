"""Co-Author studio: the Streamlit interface (the edge: it imports the core, never the reverse)."""
