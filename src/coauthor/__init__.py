"""Co-Author: an authoring studio for verified multi-step programming tasks."""

__version__ = "0.1.0"
