"""Numbers, money (riel and US dollars) and dates as each language writes them (Babel's CLDR data), the
catalogue's words they use, and the locale data the JS modules format with. No Flask: the language (and the
riel-per-dollar rate) are arguments, so files and pictures built outside a request format the same way."""
import json
from functools import lru_cache

from babel import Locale, dates, numbers, support

from mapservice.config import PROJECT_ROOT

LANGUAGES = ("km", "en")
DEFAULT_LANGUAGE = "km"
LANGUAGE_NAMES = {"km": "ខ្មែរ", "en": "English"}
TRANSLATIONS = PROJECT_ROOT / "translations"
MISSING = "—"
SHORT_FROM = 1_000_000  # amounts from a million on are written "1.5 million" / "1.5 លាន"


@lru_cache(maxsize=len(LANGUAGES))
def catalogue(language):
    """The compiled Khmer or English catalogue (translations/, compiled by scripts/setup.sh), read once."""
    return support.Translations.load(str(TRANSLATIONS), [language])


def localized(record, language, field="name"):
    """``record["name_km"]`` or ``record["name_en"]`` for the language (the other one when empty)."""
    get = record.get if isinstance(record, dict) else lambda key: getattr(record, key, None)
    first, second = (f"{field}_km", f"{field}_en") if language == "km" else (f"{field}_en", f"{field}_km")
    return get(first) or get(second) or ""


def format_number(value, language, digits=0):
    """A number in the locale's digits and separators; a dash for no value."""
    if value is None:
        return MISSING
    if digits:
        return numbers.format_decimal(round(value, digits), format="#,##0." + "#" * digits, locale=language)
    return numbers.format_decimal(round(value), format="#,##0", locale=language)


def format_riel(value, language):
    """An exact riel amount: "4,000,000 riel"."""
    if value is None:
        return MISSING
    return catalogue(language).gettext("%(amount)s riel") % {"amount": format_number(value, language)}


def format_usd(riel, language, rate, compact=False):
    """The US dollar equivalent of a riel amount at ``rate`` riel per dollar: "$976", or in the short form
    "$241,000" / "$11 million" ("$11 លាន")."""
    if riel is None:
        return MISSING
    dollars = riel / rate
    symbol = numbers.get_currency_symbol("USD", language)
    if compact and abs(dollars) >= SHORT_FROM:
        return symbol + format_compact_number(dollars, language)
    if compact and abs(dollars) >= 10_000:
        dollars = round(dollars, -3)  # "$241,000": a short form need not count single dollars
    return symbol + format_number(dollars, language)


def format_money(value, language, rate):
    """Riel and US dollars: "4,000,000 riel (≈ $976)"."""
    if value is None:
        return MISSING
    return catalogue(language).gettext("%(riel)s (≈ %(usd)s)") % {
        "riel": format_riel(value, language), "usd": format_usd(value, language, rate)}


def format_compact_number(value, language):
    """Large numbers in the words readers use, one decimal: "988 លាន", "1.5 ប៊ីលាន", "45.2 billion" (Babel's
    long compact form); below a million the whole number."""
    if value is None:
        return MISSING
    if abs(value) < SHORT_FROM:
        return format_number(value, language)
    return numbers.format_compact_decimal(value, format_type="long", fraction_digits=1, locale=language)


def format_compact_money(value, language, rate):
    """Large amounts in words, riel first and dollars beside: "45.2 billion riel (≈ $11 million)"."""
    if value is None:
        return MISSING
    words = catalogue(language)
    riel = words.gettext("%(amount)s riel") % {"amount": format_compact_number(value, language)}
    return words.gettext("%(riel)s (≈ %(usd)s)") % {"riel": riel, "usd": format_usd(value, language, rate, compact=True)}


def format_range(low, high, kind, language, rate):
    """A legend class: "988 លាន – 1.5 ប៊ីលាន រៀល (≈ $241,000 – $375,000)" for money, "12 – 40" for counts,
    "80% – 95%" for shares; "≤ x" and "> x" for the open ends. ``kind``: "money", "share" or "count"."""
    def one(value):
        if kind == "share":
            return format_percent(value, language)
        return format_compact_number(value, language) if kind == "money" else format_number(value, language, 2)

    def span(show):
        shown = [None if v is None else show(v) for v in (low, high)]
        return f"≤ {shown[1]}" if shown[0] is None else f"> {shown[0]}" if shown[1] is None else " – ".join(shown)

    text = span(one)
    if kind != "money":
        return text
    words = catalogue(language)
    riel = words.gettext("%(amount)s riel") % {"amount": text}
    usd = span(lambda value: format_usd(value, language, rate, compact=True))
    return words.gettext("%(riel)s (≈ %(usd)s)") % {"riel": riel, "usd": usd}


def format_date(value, language):
    """A date in the locale's medium format ("5 Mar 2016", "5 មីនា 2016"); a dash for no date."""
    return MISSING if value is None else dates.format_date(value, "medium", locale=language)


def format_percent(value, language):
    """A share as a percentage for the locale ("87%")."""
    return MISSING if value is None else numbers.format_percent(value, locale=language)


def original_amounts(record, language):
    """field -> "given as $25,000.50 (4,059.5 riel per US Dollar)" for each amount of a record that was given in
    another currency than riel (its ``original_currency``, ``exchange_rate`` and ``original_amounts`` JSON)."""
    currency, given = record.get("original_currency"), record.get("original_amounts")
    if not currency or currency == "KHR" or not given:
        return {}
    words = catalogue(language).gettext("given as %(amount)s (%(rate)s riel per %(unit)s)")
    rate = format_number(record["exchange_rate"], language, digits=4)
    unit = numbers.get_currency_name(currency, locale=language)
    return {field: words % {"amount": numbers.format_currency(amount, currency, locale=language), "rate": rate,
                            "unit": unit}
            for field, amount in (json.loads(given) if isinstance(given, str) else given).items()}


def rate_note(language, rate):
    """"1 US dollar = 4,100 riel" (shown wherever dollars are)."""
    return catalogue(language).gettext("1 US dollar = %(rate)s riel") % {"rate": format_number(rate, language)}


def locale_data(language):
    """What the JS modules need to format like Babel does here (browsers' Intl often lacks Khmer): symbols,
    the long compact patterns (លាន, ប៊ីលាន), the medium date pattern and month names."""
    locale = Locale.parse(language)

    def patterns(table):
        """{plural form: {magnitude: pattern}} as plain strings."""
        return {form: {magnitude: getattr(p, "pattern", p) for magnitude, p in by_magnitude.items()}
                for form, by_magnitude in table.items()}

    return {
        "group": numbers.get_group_symbol(locale), "decimal": numbers.get_decimal_symbol(locale),
        "compact": patterns(locale.compact_decimal_formats["long"]),
        "usd": numbers.get_currency_symbol("USD", locale),
        "datePattern": locale.date_formats["medium"].pattern,
        "months": [dates.get_month_names("abbreviated", locale=locale)[month] for month in range(1, 13)],
    }
