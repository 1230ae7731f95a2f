"""Why a row of a draft was refused, in the reader's language: one translated sentence per reason code of
``ingest/reasons.py`` (what is wrong and how to fix it), the column named by its header in that language (the
downloads' bilingual dictionary), the values as written in the file. ``explain`` gives the pages' markup (the file's
values escaped and ``translate="no"``), ``reason_text`` the plain text; a code without a sentence keeps the
validator's English words."""
from flask_babel import lazy_gettext
from markupsafe import Markup, escape

from mapservice.formats import downloads
from mapservice.ingest.reasons import REASON_CODES

REASON_TEXTS = {
    "required": lazy_gettext("%(column)s is empty; it is required. Fill it in."),
    "title_required": lazy_gettext("The project has no title: fill in %(column)s (Khmer or English title)."),
    "not_in_list": lazy_gettext("%(column)s is “%(value)s”, which is not allowed. Write one of: %(allowed)s."),
    "not_an_amount": lazy_gettext("%(column)s is “%(value)s”, not an amount. Write the amount in riel with digits "
                                  "only, for example 12500000."),
    "negative_amount": lazy_gettext("%(column)s is “%(value)s”: an amount cannot be below zero."),
    "amount_too_large": lazy_gettext("%(column)s is “%(value)s”, more than %(limit)s riel for one project. Check "
                                     "the number of zeros."),
    "not_a_date": lazy_gettext("%(column)s is “%(value)s”, not a date. Write it as year-month-day, for example "
                               "2016-03-25."),
    "year_out_of_range": lazy_gettext("%(column)s is “%(value)s”; the year must be from %(first)s to %(last)s."),
    "not_a_count": lazy_gettext("%(column)s is “%(value)s”; write the number of bidders as a whole number."),
    "not_yes_no": lazy_gettext("%(column)s is “%(value)s”; write %(yes)s or %(no)s."),
    "not_a_web_address": lazy_gettext("%(column)s is “%(value)s”; a link must start with %(http)s or %(https)s."),
    "too_long": lazy_gettext("%(column)s is “%(value)s”, %(length)s characters long; it may be at most %(most)s "
                             "characters. Shorten it."),
    "repeated_id": lazy_gettext("The project number “%(value)s” is already on line %(first_line)s of this file. "
                                "Each project must appear once."),
    "code_not_digits": lazy_gettext("The commune code “%(value)s” is not a commune code of 6 digits, such as "
                                    "010201."),
    "code_too_short": lazy_gettext("“%(value)s” is a province or district code. Write the commune's code (6 "
                                   "digits), or the point's longitude and latitude."),
    "code_unknown": lazy_gettext("The commune code “%(value)s” is not a commune of the 2014 gazetteer of NCDD "
                                 "(the National Committee) nor a later code known to replace one."),
    "no_location": lazy_gettext("The project has no place: write its commune code, or its longitude and latitude."),
    "not_a_degree": lazy_gettext("%(column)s is “%(value)s”, not a number of degrees, such as 103.5."),
    "lon_lat_together": lazy_gettext("Write both the longitude and the latitude of the point, or neither."),
    "outside_cambodia": lazy_gettext("The point (%(value)s) is outside Cambodia: check that longitude and latitude "
                                     "are not swapped."),
    "mixed_currencies": lazy_gettext("The project's amounts are in more than one currency (%(value)s). Give them all "
                                     "in one: riel (%(khr)s), or one currency with an exchange rate."),
    "unknown_currency": lazy_gettext("The currency “%(value)s” has no exchange rate for the project's year: use "
                                     "riel (%(khr)s) or ask ODC to add the rate."),
    "damaged_text": lazy_gettext("%(column)s is “%(value)s”: the Khmer letters were damaged when the file was "
                                 "saved. Save the file again as %(utf8)s and upload it again."),
    "out_of_scope": lazy_gettext("Project %(value)s is in %(area)s, outside the areas of your account (%(allowed)s)."),
}
SAVE_AS_UTF8 = lazy_gettext("Save it again as %(utf8)s (in Excel: %(excel_save)s; in LibreOffice: the character set "
                            "%(libreoffice_charset)s) and upload it again.")
FILE_TEXTS = {  # why a whole file cannot be read, by ingest's SourceError codes
    "not_found": lazy_gettext("The file did not arrive. Choose it again and upload it."),
    "empty_file": lazy_gettext("The file is empty."),
    "no_rows": lazy_gettext("The file holds no rows."),
    "header_only": lazy_gettext("The file has a header row but no project rows."),
    "too_large": lazy_gettext("The file is larger than this service accepts (%(size)s); nothing was read. Split the "
                              "file, or save it without unused rows and columns."),
    "xlsx_too_large": lazy_gettext("The workbook unpacks to more than this service accepts (%(size)s); nothing was "
                                   "read. Split the file, or save it as CSV %(utf8)s."),
    "utf16": lazy_gettext("The file is saved as %(utf16)s text, not %(utf8)s. %(save)s"),
    "not_utf8": lazy_gettext("Line %(line)s of the file is not %(utf8)s text: the file was saved in another "
                             "encoding (such as %(legacy)s). %(save)s"),
    "csv_unreadable": lazy_gettext("Line %(line)s cannot be read as CSV: a quotation mark is left open, or the file "
                                   "was cut short. Save the file again from the spreadsheet and upload it again."),
    "xlsx_unreadable": lazy_gettext("The file is not a workbook that can be read. Open it in Excel or LibreOffice "
                                    "and save it again as XLSX."),
    "formula_without_value": lazy_gettext("Cell %(cell)s of the sheet “%(sheet)s” (%(column)s) holds the formula "
                                          "%(formula)s without its value. Open the file in Excel or LibreOffice and "
                                          "save it again, or paste the values in place of the formulas."),
    "no_such_sheet": lazy_gettext("The workbook has no sheet named “%(sheet)s”; its sheets are: %(sheets)s."),
    "cell_too_long": lazy_gettext("Line %(line)s, column “%(column)s”: a cell of %(length)s characters, more than "
                                  "a spreadsheet can hold (%(limit)s). The file is damaged, or the column is not "
                                  "one of the template's."),
    "not_json": lazy_gettext("The file is not valid JSON (line %(line)s, column %(column)s). Export it again from "
                             "the program that made it."),
    "json_too_deep": lazy_gettext("The JSON file is nested more than %(limit)s levels deep, and an OC4IDS package "
                                  "about 6: it is not an OC4IDS file."),
    "not_oc4ids": lazy_gettext("The JSON file is not an OC4IDS project package: it must hold a list of projects "
                               "(%(projects_key)s)."),
    "project_not_object": lazy_gettext("Project %(number)s of the JSON file is not a project (a JSON object)."),
    "no_projects": lazy_gettext("The OC4IDS package holds no projects."),
    "file_type": lazy_gettext("The file is not a CSV, XLSX or JSON file."),
    "same_column_twice": lazy_gettext("The columns “%(first)s” and “%(second)s” mean the same thing; keep one of "
                                      "them."),
    "missing_columns": lazy_gettext("Columns are missing: %(missing)s. The file's header has %(found)s. Start from "
                                    "the project template (see the manual)."),
    "missing_columns_damaged": lazy_gettext("The Khmer letters of the header were replaced by “?” when the file was "
                                            "saved, so its columns cannot be recognised. %(save)s"),
    "pid_needs_year": lazy_gettext("A PID report needs the fiscal year it covers."),
    "pid_no_rows": lazy_gettext("The PID report holds no project rows (a project row has an empty %(area_name)s, "
                                "below its commune's row)."),
    "no_boundaries": lazy_gettext("No boundaries are stored yet: an administrator must import them first."),
}
# what a file must hold literally, whatever the reader's language
WRITTEN = {"yes": "yes", "no": "no", "khr": "KHR", "utf8": "UTF-8", "http": "http://", "https": "https://",
           "utf16": "UTF-16", "legacy": "Windows-1252", "excel_save": "“Save as” > “CSV UTF-8”",
           "libreoffice_charset": "“Unicode (UTF-8)”", "projects_key": "“projects”", "area_name": "area_name"}


def file_error(exc, size_text):
    """Why a whole file cannot be read (an ingest SourceError) in the request's language: the sentence of its code,
    the file's values as written; its English message when the code has none. ``size_text``: a limit in words."""
    template = FILE_TEXTS.get(exc.code)
    if template is None:
        return str(exc)
    params = {**WRITTEN, "save": str(SAVE_AS_UTF8) % WRITTEN, **exc.params}
    if exc.code in ("too_large", "xlsx_too_large"):
        params["size"] = size_text(params["limit"])
    try:
        return str(template) % params
    except (KeyError, ValueError):
        return str(exc)


def missing_codes():
    """Reason codes of the validator without a sentence here (tests/test_admin_web.py keeps this empty)."""
    return sorted(set(REASON_CODES) - set(REASON_TEXTS))


def column_label(column, language):
    """A column of the file by its header in ``language`` (its own name when the dictionary lacks it)."""
    return downloads.header(column, language) if column in downloads.COLUMNS else column or ""


def _verbatim(value):
    """A value from the file, shown as written and never translated."""
    return Markup('<span class="verbatim" translate="no">{}</span>').format("" if value is None else value)


def explain(item, language):
    """The sentence for one refused cell ({code, params, reason, column...}) in ``language`` (the request's), as
    markup whose values from the file are escaped and marked ``translate="no"``."""
    params = {name: _verbatim(value) for name, value in {**WRITTEN, **(item.get("params") or {})}.items()}
    params["column"] = escape(column_label((item.get("params") or {}).get("column") or item.get("column"), language))
    template = REASON_TEXTS.get(item.get("code"))
    if template is not None:
        try:
            return Markup(str(template)) % params
        except (KeyError, ValueError):  # a sentence and a reason that do not fit: the validator's own words
            pass
    return _verbatim(item.get("reason"))


def reason_text(item, language):
    """The same sentence as plain text (for JSON or a log)."""
    return explain(item, language).striptags()
