"""The public channel (issue 6): anonymous reports and talk requests. Only its pure
cryptographic core has landed so far (``lib``); the app is not installed yet."""
