"""Background work of programs."""
