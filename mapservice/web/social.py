"""The card a shared link shows on Facebook, Telegram and other messaging apps (Open Graph and Twitter-card
tags): the page's title, its numbers in a sentence, in the page's language, and a 1200x630 picture of its map
(``/maps/view.png``, drawn by ``formats/mapimage.py`` and kept in the snapshot's response cache)."""
from flask import g, request, url_for

from layers import REGISTRY
from mapservice.read import totals
from mapservice.web import i18n

CARD_SIZE = {"width": 1200, "height": 630}  # what Facebook and Twitter's large cards show uncropped
SITE_TITLE = "Sub-national infrastructure projects, Cambodia 2014–2019"


def card(title=None, description=None, map_params=None):
    """{title, description, url, image, image_alt, locale} for ``_social.html``; the country's map by default."""
    language = i18n.current_language()
    site = i18n.gettext(SITE_TITLE)
    params = {"layer": "expenditure", **(map_params or {})}
    return {
        "title": title or site, "site": site,
        "description": description or i18n.gettext(
            "Where the communes' and districts' infrastructure money went: roads, bridges, wells, schools; a map, "
            "tables and open data."),
        "url": request.url, "locale": "km_KH" if language == "km" else "en_US",
        "image": url_for("exports.view_png", _external=True, **params, **CARD_SIZE, lang=language),
        "image_alt": i18n.gettext("Map of infrastructure projects"),
    }


def numbers_sentence(project_count, expenditure, where):
    """"24 projects, spent 1.2 billion riel (≈ $293,000) · Banteay Meanchey · 2014–2019"."""
    count = i18n.ngettext("%(num)s project", "%(num)s projects", project_count)
    spent = i18n.gettext("spent %(money)s", money=i18n.format_compact_money(expenditure))
    return f"{count}, {spent} · {where}"


def map_card(state):
    """The card of a map view: its layer, its filters in words and their totals (one query per filters, language
    and data version, kept in the snapshot's cache), the picture of that view."""
    def describe():
        found = totals.series(g.session, state.filters, "fiscal_year").values()
        where = i18n.describe_filters(state.filters, g.snapshot.areas.areas)
        return numbers_sentence(sum(row["project_count"] for row in found),
                                sum(row["expenditure"] for row in found), where)

    key = ("card", g.snapshot.version, i18n.current_language(), tuple(sorted(state.filters.as_params().items())))
    description = g.snapshot.responses.get_or_build(key, describe)
    title = f"{REGISTRY[state.layer].title[i18n.current_language()]} · {i18n.gettext(SITE_TITLE)}"
    return card(title, description, state.params())


def area_card(profile, filters):
    """The card of an area's page (or the country's): its name, totals and the map of the area (``filters``:
    the page's, with the area's code)."""
    name = i18n.gettext("Cambodia") if profile["level"] == "country" else i18n.localized(profile)
    where = i18n.describe_filters(filters, g.snapshot.areas.areas)
    description = numbers_sentence(profile["totals"]["project_count"], profile["totals"]["expenditure"], where)
    return card(f"{name} · {i18n.gettext(SITE_TITLE)}", description, filters.as_params())


def project_card(record):
    """The card of a project's page: its title, place, year, budget and the map of its commune."""
    place = ", ".join(filter(None, (i18n.localized(record, f"{level}_name") for level in ("commune", "province"))))
    description = " · ".join(filter(None, (place, str(record["fiscal_year"] or ""),
                                           i18n.gettext("Budget") + ": " + i18n.format_compact_money(record["budget"]))))
    params = {"layer": "project_points", "commune": record["commune_code"]} if record.get("commune_code") else {}
    return card(f"{i18n.localized(record, 'title') or record['project_id']} · {i18n.gettext(SITE_TITLE)}",
                description, params)
