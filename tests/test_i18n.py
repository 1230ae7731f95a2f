"""Khmer first: every UI string translated, the language of a request (?lang=, Accept-Language, Khmer), and
numbers, money and dates formatted by Babel for the locale (and handed to the JS modules)."""
import datetime
import html.parser
import json
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.pofile import read_po
from babel.support import Translations
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from mapservice.config import PROJECT_ROOT
from mapservice.web import i18n, js_messages
from tests import khmer_chrome
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


@pytest.mark.parametrize("lang, expected", [
    ("km", {"number": "1,234,567", "money": "4,000,000 រៀល (≈ $976)", "compact": "45.2 ប៊ីលាន រៀល (≈ $11 លាន)",
            "date": "5 មីនា 2016", "rate": "1 ដុល្លារអាមេរិក = 4,100 រៀល"}),
    ("en", {"number": "1,234,567", "money": "4,000,000 riel (≈ $976)", "compact": "45.2 billion riel (≈ $11 million)",
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
    assert locale["compact"]["other"]["1000000"] == "0 លាន"
    assert locale["months"][2] == "មីនា"


def test_catalogues_ship_with_the_code():
    # scripts/setup.sh (both README commands) compiles the .po catalogues; the .mo files are not committed
    assert sorted(str(p.relative_to(CATALOGUES)) for p in CATALOGUES.glob("*/LC_MESSAGES/*.mo")) == [
        "en/LC_MESSAGES/messages.mo", "km/LC_MESSAGES/messages.mo"]
    assert Path(PROJECT_ROOT / "babel.cfg").exists()


# --- Khmer chrome: no Latin words but the allowed ones (tests/khmer_chrome.py), in the catalogue, and no UI
# text outside the catalogue in the templates or the JS modules ---

# Technical pages for GIS clients and programmers, in English by design (OGC API HTML views, the API's docs)
ENGLISH_ONLY_TEMPLATES = {"api_docs.html", "ogc_api.html", "ogc_collection.html", "ogc_collections.html",
                          "ogc_conformance.html", "ogc_item.html", "ogc_items.html", "ogc_landing.html",
                          "ogc_schema.html", "ogc_queryables.html"}
UI_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")


def test_khmer_messages_keep_latin_only_for_names_and_explained_abbreviations():
    problems = []
    for message in catalogue("km"):
        if not message.id:
            continue
        for text in message.string if isinstance(message.string, tuple) else (message.string,):
            if words := khmer_chrome.latin_words(text):
                problems.append(f"{message.id!r}: {words}")
            problems += [f"{message.id!r}: {short} without {meaning}" for short, meaning in khmer_chrome.EXPLAINED.items()
                         if re.search(rf"\b{short}\b", text) and meaning not in text]
    assert problems == []


class TemplateText(html.parser.HTMLParser):
    """The literal text of a template (Jinja removed) that a reader sees: text and UI attributes outside
    script, style, code and translate="no" elements."""

    SKIP = {"script", "style", "code", "textarea"}
    VOID = {"meta", "link", "input", "br", "img", "hr", "source", "area", "col", "wbr"}

    def __init__(self):
        super().__init__()
        self.stack, self.found = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        skipped = tag in self.SKIP or attrs.get("translate") == "no" or bool(self.stack and self.stack[-1])
        if not skipped:
            self.found += [value.strip() for name, value in attrs.items() if name in UI_ATTRIBUTES and value and value.strip()]
        if tag not in self.VOID:
            self.stack.append(skipped)

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]) and data.strip():
            self.found.append(data.strip())


def template_literals(source):
    """The literal UI text of a template: Jinja comments, statements and expressions taken out first."""
    bare = re.sub(r"{%-? block body_class -?%}.*?{%-? endblock -?%}", " ", source)  # a class name, not text
    bare = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", bare, flags=re.S)
    parser = TemplateText()
    parser.feed(bare)
    return parser.found


def test_templates_have_no_ui_text_outside_the_catalogue():
    problems = {}
    for path in sorted((PROJECT_ROOT / "templates").rglob("*.html")):  # templates/admin/ too
        if path.name in ENGLISH_ONLY_TEMPLATES:
            continue
        words = sorted({w for text in template_literals(path.read_text(encoding="utf-8")) for w in khmer_chrome.latin_words(text)})
        if words:
            problems[path.name] = words
    assert problems == {}


# UI text a module sets without _(): a literal as an element's text, title, label or placeholder
JS_UI_LITERAL = re.compile(r"""(?:(?:\btext|\btitle|"aria-label"|\bplaceholder)\s*:|\.textContent\s*=)\s*(["'`])((?:(?!\1).)*[A-Za-z]{2}(?:(?!\1).)*)\1""")


def test_js_modules_set_no_ui_text_outside_the_catalogue():
    problems = [f"{path.name}: {match.group(2)!r}" for path in sorted((PROJECT_ROOT / "static" / "js").glob("*.js"))
                for match in JS_UI_LITERAL.finditer(path.read_text(encoding="utf-8"))
                if re.search("[A-Za-z]{2}", re.sub(r"\$\{.*?\}", "", match.group(2)))]  # `${...}` parts are code
    assert problems == []


def test_the_checks_catch_latin_text():
    assert khmer_chrome.latin_words("គំរូ (SAMPLE)") == ["SAMPLE"]
    assert khmer_chrome.latin_words("ព្រំដែន © geoBoundaries, Open Development Cambodia (CC BY 4.0)") == []
    assert template_literals('<p>{{ _("Map") }} PNG <span translate="no">Leaflet (MIT)</span></p>') == ["PNG"]
    assert template_literals('<button title="Close" aria-label="{{ _(\'x\') }}">{{ x }}</button>') == ["Close"]
    assert JS_UI_LITERAL.search('el("p", { text: "Loading" })') and not JS_UI_LITERAL.search('el("p", { text: _("Loading") })')
