"""Background work of messaging: scheduled sends, quiet-hour releases and dispatch of
external channels. Each task loads rows by id or state and calls a service; safe to rerun."""
