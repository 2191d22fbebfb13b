"""Signals other apps listen to without core knowing them."""

from django.dispatch import Signal

# Sent after a password was checked at sign-in, with ``user``, ``password`` and
# ``request``: the public channel unwraps the user's private key with it. The password
# must not be kept or logged by receivers beyond deriving keys.
password_verified = Signal()
