"""Trusted helpers that run inside the sandbox; they live outside any work folder."""
