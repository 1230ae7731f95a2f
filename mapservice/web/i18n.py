"""Khmer first, for a request: its language (``?lang=``, then Accept-Language, then Khmer), Flask-Babel set-up,
and the Jinja filters and helpers that format for that language (through ``formats.locale``)."""
import logging
from urllib.parse import urlencode

from flask import current_app, request
from flask_babel import Babel, get_locale, gettext, ngettext  # noqa: F401  (the views' gettext)

from mapservice.formats import captions, locale
from mapservice.formats.locale import DEFAULT_LANGUAGE, LANGUAGE_NAMES, LANGUAGES, TRANSLATIONS
from mapservice.read.filters import FilterError

logger = logging.getLogger(__name__)


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
    from mapservice.web.js_messages import js_messages

    if "babel" in app.extensions:
        return
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


# formats.locale for this request's language and the configured rate (the Jinja filters and the views)
def localized(record, field="name"):
    return locale.localized(record, current_language(), field)


def format_number(value, digits=0):
    return locale.format_number(value, current_language(), digits)


def format_riel(value):
    return locale.format_riel(value, current_language())


def format_usd(riel, compact=False):
    return locale.format_usd(riel, current_language(), usd_rate(), compact)


def format_money(value):
    return locale.format_money(value, current_language(), usd_rate())


def format_compact_number(value):
    return locale.format_compact_number(value, current_language())


def format_compact_money(value):
    return locale.format_compact_money(value, current_language(), usd_rate())


def format_range(low, high, kind):
    return locale.format_range(low, high, kind, current_language(), usd_rate())


def format_date(value):
    return locale.format_date(value, current_language())


def format_percent(value):
    return locale.format_percent(value, current_language())


def rate_note():
    return locale.rate_note(current_language(), usd_rate())


def locale_data():
    return locale.locale_data(current_language())


def describe_filters(filters, areas):
    """The filters in words for this request; all configured years when no year is chosen."""
    config = current_app.config
    return captions.describe_filters(filters, areas, current_language(), config["MAPSERVICE_FIRST_YEAR"],
                                     config["MAPSERVICE_LAST_YEAR"])
