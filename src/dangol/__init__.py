"""dangol (단골): regular customers for market merchants, and the programs that fund them."""

__version__ = "0.1.0"
