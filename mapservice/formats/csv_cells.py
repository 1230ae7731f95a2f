"""Every CSV the service writes goes through here: cells a spreadsheet would run as a formula are neutralised.

OWASP's rule for CSV injection: a text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return gets a leading ``'``, so Excel and LibreOffice show it as text instead of evaluating it
(``=HYPERLINK(...)``, ``@SUM(...)``, ``+cmd|...``). Numbers stay numbers: an int or float value, or text that is
a plain number such as ``-12.5`` (a longitude, a negative amount), is written unchanged. The XLSX writers need no
such rule: they write text cells, never formulas.
"""
import csv
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise_cell(value):
    """``value`` as safe to open in a spreadsheet: formula-like text prefixed with ``'``; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` whose every cell is neutralised (same ``writerow``/``writerows``)."""

    def __init__(self, handle, **options):
        self._writer = csv.writer(handle, **options)

    def writerow(self, row):
        return self._writer.writerow([neutralise_cell(value) for value in row])

    def writerows(self, rows):
        for row in rows:
            self.writerow(row)


def csv_writer(handle, **options):
    """The CSV writer every file of the service uses (options as ``csv.writer``)."""
    return SafeWriter(handle, **options)
