"""Verified example tasks that show what a finished task looks like and steer the prompts."""
