"""Org units: import from spreadsheets, bulk writes, columnar reads, standards over units
(results, outputs, the printable report) and the grid planner."""
