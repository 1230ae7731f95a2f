"""Validation reasons as structured messages: the validator (records.py) writes one English sentence per
(row, column); ``structured`` adds a ``code`` and its ``params`` (column, value, allowed values...), so that a page
can say the same in the reader's language (web/reasons.py holds the translated sentences of every code).
``REASON_CODES`` lists the codes with their English sentence, placeholders named after the params."""
import re

# code: (pattern of the English reason, English sentence with the params' names)
REASON_CODES = {
    "required": (r"^(?P<column>\w+) is required$", "{column} is required"),
    "title_required": (r"^a title is required", "a title is required (title_km or title_en)"),
    "not_in_list": (r'^(?P<column>\w+) was "(?P<value>.*)"; expected one of (?P<allowed>.*)$',
                    '{column} was "{value}"; expected one of {allowed}'),
    "not_an_amount": (r'^(?P<column>\w+) was "(?P<value>.*)"; expected an amount in riel',
                      '{column} was "{value}"; expected an amount in riel such as 12500000'),
    "negative_amount": (r'^(?P<column>\w+) was "(?P<value>.*)"; an amount cannot be negative',
                        '{column} was "{value}"; an amount cannot be negative'),
    "amount_too_large": ((r'^(?P<column>\w+) was "(?P<value>.*)"(?: in another currency)?; expected (?:a finite amount '
                         r"of )?at most (?P<limit>[\d,]+) riel"),
                         '{column} was "{value}"; expected at most {limit} riel for one project'),
    "not_a_date": (r'^(?P<column>\w+) was "(?P<value>.*)"; expected a date as YYYY-MM-DD',
                   '{column} was "{value}"; expected a date as YYYY-MM-DD'),
    "year_out_of_range": (r'^(?P<column>\w+) was "(?P<value>.*)"; expected a year from (?P<first>\d+) to (?P<last>\d+)',
                          '{column} was "{value}"; expected a year from {first} to {last}'),
    "not_a_count": (r'^(?P<column>\w+) was "(?P<value>.*)"; expected a whole number',
                    '{column} was "{value}"; expected a whole number of bidders'),
    "not_yes_no": (r'^(?P<column>\w+) was "(?P<value>.*)"; expected yes or no', '{column} was "{value}"; expected yes or no'),
    "not_a_web_address": (r'^(?P<column>\w+) was "(?P<value>.*)"; expected a web address',
                          '{column} was "{value}"; expected a web address starting with http:// or https://'),
    "too_long": (r'^(?P<column>\w+) was "(?P<value>.*)", (?P<length>\d+) characters; expected at most (?P<most>\d+)$',
                 '{column} was "{value}", {length} characters; expected at most {most}'),
    "repeated_id": (r'^project_id "(?P<value>.*)" appears more than once in this file \(first on line (?P<first_line>\d+)\)',
                    'project_id "{value}" appears more than once in this file (first on line {first_line})'),
    "code_not_digits": (r'^commune_code was "(?P<value>.*)"; expected a 6-digit NCDD code',
                        'commune_code was "{value}"; expected a 6-digit NCDD code such as 010201 (or KH010201)'),
    "code_too_short": (r'^commune_code was "(?P<value>.*)", a province or district code',
                       ('commune_code was "{value}", a province or district code; a commune code (6 digits) or lon/lat '
                       "is required")),
    "code_unknown": (r'^commune_code was "(?P<value>.*)"; it is not a commune',
                     ('commune_code was "{value}"; it is not a commune of the NCDD 2014 gazetteer nor a later code with '
                     "a known 2014 equivalent")),
    "no_location": (r"^no location", "no location: give commune_code or lon and lat"),
    "not_a_degree": (r'^(?P<column>lon|lat) was "(?P<value>.*)"; expected a decimal degree',
                     '{column} was "{value}"; expected a decimal degree'),
    "lon_lat_together": (r"^lon and lat must be given together", "lon and lat must be given together"),
    "outside_cambodia": (r"^point \((?P<value>.*)\) is outside Cambodia",
                         "point ({value}) is outside Cambodia; check that lon and lat are not swapped"),
    "mixed_currencies": (r'^currency was "(?P<value>.*)": the amounts of one project are in more than one currency',
                         ('currency was "{value}": the amounts of one project are in more than one currency; give '
                          "them all in one (riel, or one currency with a rate)")),
    "unknown_currency": (r'^currency was "(?P<value>.*)"; expected KHR',
                         'currency was "{value}"; expected KHR, or a currency with an exchange rate for the fiscal year'),
    "damaged_text": (r'^(?P<column>\w+) was "(?P<value>.*)": (?:it holds|Khmer letters read|the Khmer letters were)',
                     ('{column} was "{value}": the Khmer letters were damaged when the file was saved; save it again as '
                     "UTF-8")),
    "out_of_scope": (r"^project (?P<value>\S*) is in (?P<area>\S*), outside your areas (?P<allowed>.*)$",
                     "project {value} is in {area}, outside your areas {allowed}"),
}
_PATTERNS = [(code, re.compile(pattern, re.DOTALL)) for code, (pattern, _text) in REASON_CODES.items()]


def structured(item):
    """A rejected-row item (line, project_id, column, reason) with its ``code`` and ``params`` added
    (``other`` with the column alone when no code fits)."""
    for code, pattern in _PATTERNS:
        match = pattern.search(item["reason"])
        if match:
            params = {"column": item.get("column"), **{k: v for k, v in match.groupdict().items() if v is not None}}
            return {**item, "code": code, "params": params}
    return {**item, "code": "other", "params": {"column": item.get("column")}}
