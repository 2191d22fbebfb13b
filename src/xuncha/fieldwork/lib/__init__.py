"""Pure algorithms of fieldwork (no Django): interview scheduling."""
