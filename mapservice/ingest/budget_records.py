"""Validation of raw budget rows (``ingest/budget_template.py``), vectorised like ``ingest/records.py``: one
reason per row and column, naming the value and what is allowed.

Checks: required cells; the area is a district or commune of the 2014 set (or a later commune code with a known
2014 equivalent); the year is in range; the kind is revenue or expenditure; the line is one of the kind's
vocabulary and applies to the area's level; amounts are riel and not negative; no line twice in an area-year;
and where the file gives a total row, the lines add up to it.
"""
from dataclasses import dataclass, field

import pandas as pd

from mapservice.ingest.records import RecordErrors, _apply, _blank, _parse_int, _parse_money, _text, normalise_code
from mapservice.store.budget_vocabulary import KIND_LABELS, LINES, TOTAL_LABELS, TOTAL_LINE

RAW_COLUMNS = ["area_code", "fiscal_year", "kind", "budget_line", "approved", "actual"]
REQUIRED = ["area_code", "fiscal_year", "kind", "budget_line", "approved"]
LEVEL_OF_LENGTH = {4: "district", 6: "commune"}
GROUP = ["area_code", "fiscal_year", "kind"]


@dataclass
class BudgetCodeBook:
    """What budget rows are checked against: the stored districts and communes, commune aliases, the years."""

    districts: set
    communes: set
    aliases: dict = field(default_factory=dict)
    first_year: int = 2014
    last_year: int = 2019


def _lookup(codes_and_labels):
    return {word.casefold(): code for code, labels in codes_and_labels.items() for word in (code, *labels)}


KIND_WORDS = _lookup({kind: labels for kind, labels in KIND_LABELS.items()})
LINE_WORDS = {kind: _lookup({code: (line.en, line.km) for code, line in lines.items()} | {TOTAL_LINE: TOTAL_LABELS})
              for kind, lines in LINES.items()}


def _fold(value):
    return None if value is None else " ".join(value.replace("\u200b", "").split()).casefold()


def _parse_area(series, book, errors):
    """(2014 code, level) of each stated district or commune code."""
    stated = _apply(series, normalise_code)
    code = _apply(stated, lambda c: c if c in book.districts or c in book.communes else book.aliases.get(c))
    level = _apply(code, lambda c: None if c is None else LEVEL_OF_LENGTH.get(len(c)))
    digits = stated.fillna("").str.fullmatch(r"\d+")
    wrong_length = stated.notna() & digits & ~stated.fillna("").str.len().isin(list(LEVEL_OF_LENGTH))
    errors.add(stated.notna() & ~digits, "area_code",
               lambda v: f'area_code was "{v}"; expected a district (4 digits) or commune (6 digits) NCDD code')
    errors.add(wrong_length, "area_code",
               lambda v: f'area_code was "{v}"; budgets are per district (4 digits) or commune (6 digits)')
    errors.add(stated.notna() & digits & ~wrong_length & code.isna(), "area_code",
               lambda v: f'area_code was "{v}"; it is not a district or commune of the NCDD 2014 gazetteer')
    return code, level


def _parse_kind_and_line(frame, level, errors):
    kind = _apply(_text(frame["kind"]), lambda v: None if v is None else KIND_WORDS.get(_fold(v)))
    errors.add(frame["kind"].notna() & kind.isna(), "kind",
               lambda v: f'kind was "{v}"; expected revenue or expenditure (ចំណូល or ចំណាយ)')
    words = _text(frame["budget_line"])
    line = pd.Series([None if k is None or w is None else LINE_WORDS[k].get(_fold(w)) for k, w in zip(kind, words)],
                     index=frame.index, dtype=object)
    for name, lines in LINES.items():
        allowed = ", ".join([*lines, TOTAL_LINE])
        what = "a revenue source" if name == "revenue" else "an expenditure line"
        errors.add((kind == name) & words.notna() & line.isna(), "budget_line",
                   lambda v, w=what, a=allowed: f'budget_line was "{v}"; it is not {w}: expected one of {a} '
                                                "(or its English or Khmer label)")
    levels = [LINES[k][c].levels if c not in (None, TOTAL_LINE) else () for k, c in zip(kind, line)]
    misplaced = pd.Series([lv is not None and bool(ls) and lv not in ls for lv, ls in zip(level, levels)],
                          index=frame.index)
    shown = pd.Series([f'budget_line "{c}" belongs to {" and ".join(ls) or "no"} budgets; {a} is a {lv}'
                       for c, ls, a, lv in zip(line, levels, frame["area_code"], level)], index=frame.index)
    errors.add(misplaced, "budget_line", lambda v: v, values=shown)
    return kind, line


def _check_repeats(out, errors):
    columns = GROUP + ["line"]
    complete = out[columns].notna().all(axis=1)
    repeated = complete & out[columns].duplicated(keep="first")
    first = {tuple(key): number for *key, number in out[complete].drop_duplicates(columns)[columns + ["line_number"]]
             .itertuples(index=False)}
    shown = pd.Series([f"{line} ({kind}) of {area} in {year} appears more than once "
                       f"(first on line {first.get((area, year, kind, line))})" if again else ""
                       for area, year, kind, line, again in zip(*(out[c] for c in columns), repeated)],
                      index=out.index)
    errors.add(repeated, "budget_line", lambda v: v, values=shown)


def _check_totals(out, errors):
    """A total row's approved (and actual, when given) must equal the sum of its area-year-kind's lines."""
    lines = out[out["line"].notna() & (out["line"] != TOTAL_LINE)]
    sums = lines.groupby(GROUP)[["approved", "actual"]].sum(min_count=1)
    totals = out[out["line"] == TOTAL_LINE]
    for column in ("approved", "actual"):
        expected = totals.join(sums[column].rename("sum"), on=GROUP)["sum"]
        wrong = totals[column].notna() & (expected.fillna(0) != totals[column])
        mask = out.index.isin(totals.index[wrong.fillna(False).astype(bool)])
        shown = pd.Series("", index=out.index, dtype=object)
        for index in totals.index[wrong.fillna(False).astype(bool)]:
            row = out.loc[index]
            shown[index] = (f'the {row["kind"]} total {column} of {row["area_code"]} in {row["fiscal_year"]} was '
                            f'{int(row[column]):,} riel but its lines add up to {int(expected.fillna(0)[index]):,}')
        errors.add(mask, column, lambda v: f"{v}; correct the total or the lines", values=shown)


def validate_budgets(raw, book):
    """Parse raw budget rows; return (typed frame of the rows without errors, list of rejected-row reasons).

    The typed frame has ``line_number``, ``area_code``, ``level``, ``fiscal_year``, ``kind``, ``line``,
    ``approved``, ``actual``; total rows are checked, then left out (the store keeps lines only)."""
    frame = raw.reindex(columns=["line"] + RAW_COLUMNS).astype(object)
    frame = frame.where(pd.notna(frame), None)
    errors = RecordErrors(frame, key="area_code")
    for column in REQUIRED:
        errors.add(frame[column].map(_blank), column, lambda v, c=column: f"{c} is required")
    out = pd.DataFrame({"line_number": frame["line"].astype(int)})
    out["area_code"], out["level"] = _parse_area(frame["area_code"], book, errors)
    out["fiscal_year"] = _parse_int(frame["fiscal_year"], "fiscal_year", errors, book.first_year, book.last_year,
                                    f"a year from {book.first_year} to {book.last_year}")
    out["kind"], out["line"] = _parse_kind_and_line(frame, out["level"], errors)
    out["approved"] = _parse_money(frame["approved"], "approved", errors)
    out["actual"] = _parse_money(frame["actual"], "actual", errors)
    _check_repeats(out, errors)
    _check_totals(out, errors)
    rejected = errors.rejected_lines()
    bad = out[out["line_number"].isin(rejected) & out["area_code"].notna() & out["fiscal_year"].notna()]
    area_year = {int(n): (code, int(year)) for n, code, year in bad[["line_number", "area_code", "fiscal_year"]]
                 .itertuples(index=False)}
    for item in errors.items:
        item["area_year"] = area_year.get(item["line"])
    valid = out[~out["line_number"].isin(rejected) & (out["line"] != TOTAL_LINE)].reset_index(drop=True)
    valid.attrs["rejected_area_years"] = set(area_year.values())
    return valid, sorted(errors.items, key=lambda item: item["line"])
