"""Pure algorithms of the clue registry (no Django): near-duplicate detection and its corpus."""
