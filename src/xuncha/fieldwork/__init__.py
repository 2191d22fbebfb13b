"""Fieldwork during stationing: interview scheduling and what follows (issue #7)."""
