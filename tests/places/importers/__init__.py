"""The national-data importers: `dangol import regions`, `dangol import markets` and
`dangol import facilities`.

Small files are written by the tests from synthetic rows; the full official files are read
from ../shared/data by the tests marked `slow`, which skip when the files are absent.
"""
