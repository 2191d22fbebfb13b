"""Pure parts of the public channel: sealing report contents, receipts."""
