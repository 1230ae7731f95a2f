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
    "unknown_currency": lazy_gettext("The currency “%(value)s” has no exchange rate for the project's year: use "
                                     "riel (%(khr)s) or ask ODC to add the rate."),
    "damaged_text": lazy_gettext("%(column)s is “%(value)s”: the Khmer letters were damaged when the file was "
                                 "saved. Save the file again as %(utf8)s and upload it again."),
    "out_of_scope": lazy_gettext("Project %(value)s is in %(area)s, outside the areas of your account (%(allowed)s)."),
}
# what a file must hold literally, whatever the reader's language
WRITTEN = {"yes": "yes", "no": "no", "khr": "KHR", "utf8": "UTF-8", "http": "http://", "https": "https://"}


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
