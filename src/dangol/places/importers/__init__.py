"""Import the national data: the legal-dong code list (regions), the official list of
traditional markets (markets) and their facilities.

Every import reads the whole file before writing anything, refuses a file that is not what it
expects (encoding, columns, empty) with a translated `ImportFileRefused`, reports every row it
cannot use with its line number and reason, and writes the rest in one transaction with a few
bulk statements. Running an import again updates rows in place. The modules:

- `reading`: the report of an import (ImportReport, RowProblem), the file's text through
  dangol.core.csvfile, its table of records and the rejection of one record.
- `regions`: `regions_import` and the reconciliation table of official changes (REGION_CHANGES).
- `addresses`: RegionDirectory, which finds the current 시군구 of a market's addresses.
- `markets`: `markets_import`, the market file's columns and the reading of each value.
- `facilities`: `market_facilities_import` and the facility file's columns.
"""
