"""Khmer first: the language of a request (``?lang=``, then Accept-Language, then Khmer), Flask-Babel set-up,
locale formatting of numbers, money (riel and US dollars) and dates, and the translated messages of the JS modules."""
import logging
from functools import lru_cache
from urllib.parse import urlencode

from babel import Locale, dates, numbers
from babel.messages.extract import extract_from_file
from flask import current_app, request
from flask_babel import Babel, get_locale, get_translations, gettext, ngettext

from mapservice import vocabulary
from mapservice.config import PROJECT_ROOT, ConfigError
from mapservice.filters import FilterError

logger = logging.getLogger(__name__)

LANGUAGES = ("km", "en")
DEFAULT_LANGUAGE = "km"
LANGUAGE_NAMES = {"km": "ខ្មែរ", "en": "English"}
TRANSLATIONS = PROJECT_ROOT / "translations"
JS_DIR = PROJECT_ROOT / "static" / "js"
# The JS modules call _("...") and ngettext("...", "...", n); pybabel extracts them with these keywords (babel.cfg).
JS_KEYWORDS = {"_": None, "ngettext": (1, 2)}
JS_OPTIONS = {"parse_template_string": True}  # as in babel.cfg: _() inside `${...}` counts too
MISSING = "—"


def select_language(args, accept_languages):
    """``lang`` from the query if it is km or en, else the browser's best match, else Khmer."""
    asked = (args.get("lang") or "").strip()
    if asked in LANGUAGES:
        return asked
    return accept_languages.best_match(LANGUAGES) or DEFAULT_LANGUAGE


def check_language(args):
    """Raise FilterError for a ``lang`` parameter that is neither km nor en (pages answer 400, not a guess)."""
    asked = args.get("lang")
    if asked is not None and asked.strip() not in LANGUAGES:
        raise FilterError("lang", asked, "km or en")


def current_language():
    """The language of this request: "km" or "en"."""
    return str(get_locale() or DEFAULT_LANGUAGE)


def init_app(app):
    """Install Flask-Babel (catalogues in translations/), the template filters and the layout's context."""
    if "babel" in app.extensions:
        return
    try:
        rate = float(app.config["MAPSERVICE_USD_RATE"])
    except ValueError:
        rate = 0
    if not rate > 0:
        raise ConfigError(f'MAPSERVICE_USD_RATE was "{app.config["MAPSERVICE_USD_RATE"]}"; expected riel per '
                          "US dollar, a number above 0")
    Babel().init_app(app, default_locale=DEFAULT_LANGUAGE, default_translation_directories=str(TRANSLATIONS),
                     locale_selector=lambda: select_language(request.args, request.accept_languages))
    app.jinja_env.filters.update(number=format_number, money=format_money, riel=format_riel, usd=format_usd,
                                 compact_money=format_compact_money, compact_number=format_compact_number,
                                 date=format_date, percent=format_percent, name=localized)
    app.jinja_env.globals.update(lang_url=lang_url, js_messages=js_messages, rate_note=rate_note, LANGUAGES=LANGUAGES,
                                 LANGUAGE_NAMES=LANGUAGE_NAMES)
    app.context_processor(lambda: {"lang": current_language(), "usd_rate": usd_rate()})


def usd_rate():
    """Riel per US dollar (MAPSERVICE_USD_RATE)."""
    return float(current_app.config["MAPSERVICE_USD_RATE"])


def lang_url(language, args=None):
    """This page's URL in another language, every other query parameter kept (the whole state)."""
    params = [(k, v) for k, v in (args if args is not None else request.args).items(multi=True) if k != "lang"]
    return request.path + "?" + urlencode(params + [("lang", language)])


def localized(record, field="name"):
    """``record["name_km"]`` or ``record["name_en"]`` for the current language (the other one when empty)."""
    get = record.get if isinstance(record, dict) else lambda key: getattr(record, key, None)
    first, second = (f"{field}_km", f"{field}_en") if current_language() == "km" else (f"{field}_en", f"{field}_km")
    return get(first) or get(second) or ""


def format_number(value, digits=0):
    """A number in the locale's digits and separators (Babel); a dash for no value."""
    if value is None:
        return MISSING
    if digits:
        return numbers.format_decimal(round(value, digits), format="#,##0." + "#" * digits, locale=current_language())
    return numbers.format_decimal(round(value), format="#,##0", locale=current_language())


def format_riel(value):
    """An exact riel amount: "4,000,000 riel"."""
    return MISSING if value is None else gettext("%(amount)s riel", amount=format_number(value))


def format_usd(riel, compact=False):
    """The US dollar equivalent of a riel amount at MAPSERVICE_USD_RATE: "$976" or "$11.1 million"."""
    if riel is None:
        return MISSING
    dollars = riel / usd_rate()
    if compact and abs(dollars) >= 10_000:
        return numbers.format_compact_currency(dollars, "USD", locale=current_language(), fraction_digits=1)
    return numbers.format_currency(dollars, "USD", format="¤#,##0", currency_digits=False, locale=current_language())


def format_money(value):
    """Riel and US dollars: "4,000,000 riel (≈ $976)"."""
    if value is None:
        return MISSING
    return gettext("%(riel)s (≈ %(usd)s)", riel=format_riel(value), usd=format_usd(value))


def format_compact_number(value):
    """Large numbers in words, one decimal: "45.2 billion" (Babel's long compact form)."""
    if value is None:
        return MISSING
    if abs(value) < 1_000_000:
        return format_number(value)
    return numbers.format_compact_decimal(value, format_type="long", fraction_digits=1, locale=current_language())


def format_compact_money(value):
    """Large amounts in words: "45.2 billion riel (≈ $11.0 million)"."""
    if value is None:
        return MISSING
    return gettext("%(riel)s (≈ %(usd)s)", riel=gettext("%(amount)s riel", amount=format_compact_number(value)),
                   usd=format_usd(value, compact=True))


def format_date(value):
    """A date in the locale's medium format ("5 Mar 2016", "5 មីនា 2016"); a dash for no date."""
    return MISSING if value is None else dates.format_date(value, "medium", locale=current_language())


def format_percent(value):
    """A share as a percentage for the locale ("87%")."""
    return MISSING if value is None else numbers.format_percent(value, locale=current_language())


def rate_note():
    """"1 US dollar = 4,100 riel" in the current language (shown wherever dollars are)."""
    return gettext("1 US dollar = %(rate)s riel", rate=format_number(usd_rate()))


@lru_cache(maxsize=1)
def js_message_ids():
    """The msgids the JS modules use: (singular messages, plural pairs), read once from static/js."""
    singles, plurals = set(), set()
    for path in sorted(JS_DIR.glob("*.js")):
        for _line, message, _comments, _context in extract_from_file("javascript", path, keywords=JS_KEYWORDS,
                                                                     options=JS_OPTIONS):
            (plurals.add(message) if isinstance(message, tuple) else singles.add(message))
    return sorted(singles), sorted(plurals)


def js_messages():
    """The JS modules' messages translated for this request (rendered into the page as a JSON block)."""
    singles, plurals = js_message_ids()
    catalogue = get_translations()  # raw msgstrs: flask_babel's ngettext would fill in %(num)s already
    return {"messages": {msgid: catalogue.ugettext(msgid) for msgid in singles},
            "plurals": {one: [catalogue.ungettext(one, other, n) for n in (1, 2)] for one, other in plurals}}



def describe_filters(filters, areas):
    """The filters in words for titles and sentences: "2016 · Banteay Meanchey · Rural road"."""
    config = current_app.config
    first, last = (filters.year_from, filters.year_to) if filters.year_from is not None else (
        config["MAPSERVICE_FIRST_YEAR"], config["MAPSERVICE_LAST_YEAR"])
    parts = [str(first) if first == last else f"{first}–{last}"]
    level = next((name for name in ("commune", "district", "province") if getattr(filters, name)), None)
    parts.append(", ".join(localized(areas[level][code]) for code in getattr(filters, level)) if level
                 else gettext("Cambodia"))
    label = 0 if current_language() == "en" else 1
    for name, table in (("sector", vocabulary.SECTORS), ("status", vocabulary.STATUSES),
                        ("eia_status", vocabulary.EIA_STATUSES), ("funding_source", vocabulary.FUNDING_SOURCES)):
        if getattr(filters, name):
            parts.append(", ".join(table[code][label] for code in getattr(filters, name)))
    if filters.eia_required is not None:
        parts.append(gettext("EIA required") if filters.eia_required else gettext("EIA not required"))
    if filters.q:
        parts.append(f"“{filters.q}”")
    return " · ".join(parts)



def locale_data():
    """What the JS modules need to format like Babel does here (browsers' Intl often lacks Khmer): symbols,
    compact patterns for riel and US dollars, the medium date pattern and month names."""
    locale = Locale.parse(current_language())

    def patterns(table):
        """{plural form: {magnitude: pattern}} as plain strings."""
        return {form: {magnitude: getattr(p, "pattern", p) for magnitude, p in by_magnitude.items()}
                for form, by_magnitude in table.items()}

    return {
        "group": numbers.get_group_symbol(locale), "decimal": numbers.get_decimal_symbol(locale),
        "compact": patterns(locale.compact_decimal_formats["long"]),
        "compactCurrency": patterns(locale.compact_currency_formats["short"]),
        "usd": numbers.get_currency_symbol("USD", locale),
        "datePattern": locale.date_formats["medium"].pattern,
        "months": [dates.get_month_names("abbreviated", locale=locale)[month] for month in range(1, 13)],
    }
