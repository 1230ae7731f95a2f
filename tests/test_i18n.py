"""Khmer first: every UI string translated, the language of a request (?lang=, Accept-Language, Khmer), and
numbers, money and dates formatted by Babel for the locale (and handed to the JS modules)."""
import datetime
import json
import re
from pathlib import Path

import pytest
from babel import Locale, numbers
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po
from babel.support import Translations
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from mapservice.config import PROJECT_ROOT
from mapservice.web import i18n, js_messages
from tests.test_pages import client, make_client, site  # noqa: F401 (fixtures)

CATALOGUES = PROJECT_ROOT / "translations"
METHODS = [("mapservice/**.py", "python"), ("templates/**.html", "jinja2"), ("static/js/**.js", "javascript")]
OPTIONS = {"static/js/**.js": js_messages.JS_OPTIONS}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}


def extracted_messages():
    """Every msgid in the code, templates and JS modules, as pybabel extracts them (babel.cfg)."""
    found = extract_from_dir(PROJECT_ROOT, METHODS, options_map=OPTIONS, keywords=KEYWORDS)
    return {message for _file, _line, message, _comments, _context in found}


def catalogue(language):
    with open(CATALOGUES / language / "LC_MESSAGES" / "messages.po", "rb") as file:
        return read_po(file)


def test_every_ui_string_has_a_khmer_translation():
    km = catalogue("km")
    strings = {m.id: m.string for m in km if m.id}
    untranslated = sorted(str(m) for m in extracted_messages() if not strings.get(m) or not all(
        strings[m] if isinstance(strings[m], tuple) else [strings[m]]))
    assert untranslated == []
    assert sorted(map(str, set(strings) - extracted_messages())) == []  # no stale entries either
    assert not any(m.fuzzy for m in km if m.id)


@pytest.mark.parametrize("language", ["km", "en"])
def test_compiled_catalogues_match_their_po_files(language):
    with open(CATALOGUES / language / "LC_MESSAGES" / "messages.mo", "rb") as file:
        compiled = Translations(file)
    for message in catalogue(language):
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            expected = message.string if language == "km" else message.id
            assert [compiled.ungettext(*message.id, n) for n in (1, 2)] == [expected[0], expected[-1]]
        else:
            assert compiled.ugettext(message.id) == message.string, message.id


def test_every_js_call_is_extracted():
    """Babel's JS lexer can lose a file to one odd regex literal: count the calls it finds against the source."""
    for path in sorted((PROJECT_ROOT / "static" / "js").glob("*.js")):
        calls = len(re.findall(r'(?<![\w.])(?:_|ngettext)\(\s*"', path.read_text(encoding="utf-8")))
        found = list(extract_from_file("javascript", path, keywords=js_messages.JS_KEYWORDS, options=js_messages.JS_OPTIONS))
        assert len(found) == calls, path.name


@pytest.mark.parametrize("asked, accept, expected", [
    ("km", "en-US,en;q=0.9", "km"),
    ("en", "km-KH", "en"),
    ("", "en-GB,en;q=0.8", "en"),
    ("", "km-KH,km;q=0.9,en;q=0.5", "km"),
    ("", "fr-FR,fr;q=0.9", "km"),      # neither: Khmer first
    ("", "", "km"),
    ("fr", "en", "en"),                # an unknown ?lang falls back here (the pages answer it with a 400)
])
def test_select_language(asked, accept, expected):
    assert i18n.select_language({"lang": asked}, parse_accept_header(accept, LanguageAccept)) == expected


@pytest.mark.parametrize("url, headers, lang, title", [
    ("/", {}, "km", "គម្រោងហេដ្ឋារចនាសម្ព័ន្ធឃុំ និងស្រុក"),
    ("/", {"Accept-Language": "en-US,en;q=0.9"}, "en", "Infrastructure projects of communes and districts"),
    ("/?lang=km", {"Accept-Language": "en-US,en;q=0.9"}, "km", "គម្រោងហេដ្ឋារចនាសម្ព័ន្ធឃុំ និងស្រុក"),
    ("/about?lang=en", {"Accept-Language": "km"}, "en", "Infrastructure projects of communes and districts"),
    ("/data", {"Accept-Language": "de"}, "km", "គម្រោងហេដ្ឋារចនាសម្ព័ន្ធឃុំ និងស្រុក"),
])
def test_pages_speak_the_chosen_language(client, url, headers, lang, title):
    response = client.get(url, headers=headers)
    page = response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert re.search(r'<a class="site-title"[^>]*>(.*?)</a>', page).group(1) == title
    assert "Accept-Language" in response.headers["Vary"]


def test_language_links_keep_the_page_and_its_state(client):
    page = client.get("/areas/0105?year=2016&lang=en").get_data(as_text=True)
    assert re.findall(r'<a hreflang="(\w+)" lang="\w+" href="([^"]+)"', page) == [
        ("km", "/areas/0105?year=2016&amp;lang=km"), ("en", "/areas/0105?year=2016&amp;lang=en")]


@pytest.mark.parametrize("lang, loading, plural", [
    ("km", "កំពុងផ្ទុក…", ["គម្រោង %(num)s", "គម្រោង %(num)s"]),
    ("en", "Loading…", ["%(num)s project", "%(num)s projects"]),
])
def test_js_strings_reach_the_page_translated(client, lang, loading, plural):
    page = client.get(f"/?lang={lang}").get_data(as_text=True)
    block = json.loads(re.search(r'<script type="application/json" id="messages">(.*?)</script>', page).group(1))
    singles, plurals = js_messages.js_message_ids()
    assert sorted(block["messages"]) == singles and sorted(block["plurals"]) == [one for one, _ in plurals]
    assert block["messages"]["Loading…"] == loading
    assert block["plurals"]["%(num)s project"] == plural
    assert all(block["messages"].values())


# Where the currency sign goes in Khmer compact amounts changed between CLDR releases: take it from the installed Babel
KM_COMPACT_USD = numbers.format_compact_currency(45_200_000_000 / 4100, "USD", locale="km", fraction_digits=1)


@pytest.mark.parametrize("lang, expected", [
    ("km", {"number": "1,234,567", "money": "4,000,000 រៀល (≈ $976)", "compact": f"45.2 ប៊ីលាន រៀល (≈ {KM_COMPACT_USD})",
            "date": "5 មីនា 2016", "rate": "1 ដុល្លារអាមេរិក = 4,100 រៀល"}),
    ("en", {"number": "1,234,567", "money": "4,000,000 riel (≈ $976)", "compact": "45.2 billion riel (≈ $11M)",
            "date": "Mar 5, 2016", "rate": "1 US dollar = 4,100 riel"}),
])
def test_numbers_money_and_dates_follow_babel(site, lang, expected):
    app = site.client.application
    with app.test_request_context(f"/?lang={lang}"):
        assert {"number": i18n.format_number(1234567), "money": i18n.format_money(4_000_000),
                "compact": i18n.format_compact_money(45_200_000_000), "date": i18n.format_date(datetime.date(2016, 3, 5)),
                "rate": i18n.rate_note()} == expected


def test_the_dollar_rate_is_a_setting(site):
    client = make_client(site.db, MAPSERVICE_USD_RATE=4000)
    page = client.get("/projects/OC-2015-01?lang=en").get_data(as_text=True)
    assert "41,000,000 riel (≈ $10,250)" in page and "1 US dollar = 4,000 riel" in page
    config = json.loads(re.search(r'id="app-config">(.*?)</script>', client.get("/?lang=en").get_data(as_text=True)).group(1))
    assert config["usdRate"] == 4000.0


def test_js_gets_babels_locale_data(client):
    page = client.get("/?lang=km").get_data(as_text=True)
    locale = json.loads(re.search(r'id="app-config">(.*?)</script>', page).group(1))["locale"]
    assert (locale["group"], locale["decimal"], locale["usd"], locale["datePattern"]) == (",", ".", "$", "d MMM y")
    assert locale["compact"]["other"]["1000000000"] == "0 ប៊ីលាន"
    assert locale["compactCurrency"]["other"]["1000000"] in ("¤0\xa0លាន", "0\xa0លាន¤")  # CLDR moved the sign
    assert locale["compactCurrency"]["other"]["1000000"] == Locale("km").compact_currency_formats["short"]["other"]["1000000"].pattern
    assert locale["months"][2] == "មីនា"


def test_catalogues_ship_with_the_code():
    # scripts/setup.sh (both README commands) compiles the .po catalogues; the .mo files are not committed
    assert sorted(str(p.relative_to(CATALOGUES)) for p in CATALOGUES.glob("*/LC_MESSAGES/*.mo")) == [
        "en/LC_MESSAGES/messages.mo", "km/LC_MESSAGES/messages.mo"]
    assert Path(PROJECT_ROOT / "babel.cfg").exists()
