"""Generation stages as plain functions, and the runner that composes them."""
