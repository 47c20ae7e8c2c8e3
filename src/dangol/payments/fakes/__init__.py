"""Local stand-ins for the payment providers' HTTP APIs, for tests and the demo."""
