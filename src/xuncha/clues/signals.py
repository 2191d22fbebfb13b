"""Signals other apps listen to (fieldwork updates the outlines of talks not yet held)."""

from django.dispatch import Signal

# Sent inside the transaction, after a problem or clue is recorded, changed, merged or
# closed: sender=Record, record=<Record>, created=<bool>.
record_saved = Signal()
