"""Local stand-ins for outside services, used by the tests and available to the demo."""
