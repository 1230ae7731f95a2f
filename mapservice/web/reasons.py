"""A draft's validation reasons in the reader's language: one translatable sentence per reason code of
ingest/reasons.py (what is wrong and how to fix it), filled with the reason's params; the column named by its header
in that language (the downloads' bilingual dictionary). A code without a sentence here keeps the English text."""
from flask_babel import lazy_gettext

from mapservice.formats import downloads

REASON_TEXTS = {
    "required": lazy_gettext("%(column)s is empty; it is required."),
    "title_required": lazy_gettext("The title is empty; give the title in Khmer or in English."),
    "not_in_list": lazy_gettext('%(column)s is "%(value)s", which is not in the list; use one of: %(allowed)s.'),
    "not_an_amount": lazy_gettext('%(column)s is "%(value)s"; write an amount in riel with digits only, such as '
                                  "12500000."),
    "negative_amount": lazy_gettext('%(column)s is "%(value)s"; an amount cannot be negative.'),
    "amount_too_large": lazy_gettext('%(column)s is "%(value)s"; one project can have at most %(limit)s riel. '
                                     "Check for extra digits."),
    "not_a_date": lazy_gettext('%(column)s is "%(value)s"; write the date as year-month-day, such as 2016-03-01.'),
    "year_out_of_range": lazy_gettext('%(column)s is "%(value)s"; the fiscal year must be from %(first)s to '
                                      "%(last)s."),
    "not_a_count": lazy_gettext('%(column)s is "%(value)s"; write a whole number.'),
    "not_yes_no": lazy_gettext('%(column)s is "%(value)s"; write yes or no.'),
    "not_a_web_address": lazy_gettext('%(column)s is "%(value)s"; a link must start with http:// or https://.'),
    "repeated_id": lazy_gettext('The project ID "%(value)s" is also on line %(first_line)s; each project once only.'),
    "code_not_digits": lazy_gettext('The commune code "%(value)s" is not a code; write the 6-digit NCDD code, such as '
                                    "010201."),
    "code_too_short": lazy_gettext('The commune code "%(value)s" is a province or district code; write the 6-digit '
                                   "commune code, or give the longitude and latitude."),
    "code_unknown": lazy_gettext('The commune code "%(value)s" is not a commune of the NCDD 2014 list; check the '
                                 "code."),
    "no_location": lazy_gettext("The project has no place; give the commune code, or the longitude and latitude."),
    "not_a_degree": lazy_gettext('%(column)s is "%(value)s"; write a decimal degree, such as 103.0177.'),
    "lon_lat_together": lazy_gettext("Give both the longitude and the latitude, or neither."),
    "outside_cambodia": lazy_gettext("The point (%(value)s) is outside Cambodia; check that the longitude and the "
                                     "latitude are not swapped."),
    "unknown_currency": lazy_gettext('The currency "%(value)s" cannot be converted for this fiscal year; give the '
                                     "amounts in riel (KHR)."),
    "damaged_text": lazy_gettext('%(column)s is "%(value)s"; its Khmer letters were damaged when the file was '
                                 "saved. Save the file again as UTF-8 and upload it again."),
}


def column_label(column, language):
    return downloads.header(column, language) if column in downloads.COLUMNS else column or ""


def reason_text(item, language):
    """The sentence of one reason (``code``, ``params``, ``reason``) in ``language`` (the request's)."""
    template = REASON_TEXTS.get(item.get("code"))
    if template is None:
        return item["reason"]
    params = {k: "" if v is None else str(v) for k, v in (item.get("params") or {}).items()}
    params["column"] = column_label(params.get("column"), language)
    try:
        return str(template) % params
    except (KeyError, ValueError):  # a sentence and a reason that do not fit: the English reason, not an error
        return item["reason"]
