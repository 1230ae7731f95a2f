"""HTML pages: the map (/), one project, an area's profile (any province, district or commune, and the
country's at /areas), the downloads, and about (sources, licences, the join, live data quality)."""
import dataclasses
import json
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from markupsafe import Markup

from mapservice.config import PROJECT_ROOT
from mapservice.formats import datasets, downloads, locale
from mapservice.read import areas, mapstate, projects, quality, totals
from mapservice.read.filters import parse_filters
from mapservice.web import exports, i18n, maps, social
from mapservice.web.api import years

blueprint = Blueprint("pages", __name__)
maps.register_page_hooks(blueprint)

EXAMPLE_AMOUNT = 45_200_000_000  # riel: how /about shows the short form of money
AREA_PROJECTS = 20  # projects listed on an area's page; the API and the downloads give all of them
MINI_ZOOM = {"province": 8, "district": 10, "commune": 12}
DOWNLOAD_LABELS = {"csv": "CSV", "xlsx": "Excel (XLSX)", "geojson": "GeoJSON", "gpkg": "GeoPackage"}
MANIFEST = PROJECT_ROOT / "data" / "boundaries" / "manifest.json"
LEVEL_NAMES = {"country": lazy_gettext("Country"), "province": lazy_gettext("Province"),
               "district": lazy_gettext("District"), "commune": lazy_gettext("Commune")}


@blueprint.app_context_processor
def layout_context():
    """The SAMPLE flag for base.html, on every HTML page of the app whichever blueprint renders it."""
    snapshot = g.get("snapshot")
    if snapshot is not None:
        return {"sample": snapshot.sample}
    known = current_app.extensions["data_state"].snapshot  # the last one built: no query, the database may be down
    if known is not None:
        return {"sample": known.sample}
    try:
        with current_app.extensions["session_factory"]() as session:
            return {"sample": current_app.extensions["data_state"].current(session).sample}
    except sa.exc.SQLAlchemyError:
        current_app.logger.warning("could not tell whether SAMPLE data are loaded (database unreachable?)")
        return {"sample": False}


@blueprint.get("/")
def index():
    """The map: folium's scaffold with the vendored Leaflet; the JS modules fetch the data from the API."""
    state = maps.state_from_request()
    return render_template("map.html", state=state, scaffold=maps.state_scaffold(state),
                           app_config=maps.page_config(state), layers=mapstate.MAP_LAYERS,
                           levels=mapstate.LEVEL_CHOICES, vocabulary=maps.vocabulary_labels(),
                           social=social.map_card(state))


@blueprint.get("/choose")
def choose():
    """The map's form without JavaScript: its "All ..." choices arrive blank and are left out (a blank filter is a
    400 everywhere else), then the map of the rest."""
    params = [(name, value) for name, value in request.args.items(multi=True) if value.strip()]
    return redirect(url_for("pages.index") + (f"?{urlencode(params)}" if params else ""), 303)


@blueprint.get("/projects/<project_id>")
def project(project_id):
    """Everything about one project, a mini map of its point, links to its PID record, areas and API."""
    record = projects.get_project(g.session, project_id) or abort(
        404, gettext('Project "%(id)s" does not exist.', id=project_id))
    scaffold = maps.scaffold(record["lat"], record["lon"], 13, gettext("Where the project is"),
                             "marker") if record["lat"] is not None else None
    return render_template("project.html", project=record, scaffold=scaffold, labels=LABELS,
                           vocabulary=maps.vocabulary_labels(), social=social.project_card(record),
                           originals=locale.original_amounts(record, i18n.current_language()))


@blueprint.get("/areas")
def country():
    """The country's profile: totals, per-year and per-sector charts, and its provinces."""
    filters = _filters()
    profile = country_profile(filters)
    return render_template("area.html", area=None, profile=profile, ancestors=[], projects=None, scaffold=None,
                           counts=areas.level_counts(g.session), **_profile_context(profile, filters),
                           social=social.area_card(profile, filters))


@blueprint.get("/areas.json")
def country_json():
    """The country's profile as JSON (the same shape as /api/v1/areas/<code>); the map's summary reads it."""
    return jsonify(country_profile(_filters()))


@blueprint.get("/areas/<code>")
def area(code):
    """One province, district or commune: totals, charts, its projects, its sub-areas, a mini map."""
    found = _area_or_404(code)
    filters = _filters()
    profile = totals.area_profile(g.session, g.snapshot.areas, found, filters, years())
    scoped = _scoped(filters, found)
    listed = {"rows": projects.list_projects(g.session, scoped, sort="-expenditure", limit=AREA_PROJECTS),
              "total": profile["totals"]["project_count"], "params": scoped.as_params()}
    label = g.snapshot.areas.areas[found.level][code]["label"]
    scaffold = maps.scaffold(label[1], label[0], MINI_ZOOM[found.level], gettext("Map of the area"))
    return render_template("area.html", area=found, profile=profile, ancestors=_ancestors(code),
                           projects=listed, scaffold=scaffold, **_profile_context(profile, filters),
                           social=social.area_card(profile, scoped))


@blueprint.get("/areas/<code>.json")
def area_json(code):
    """One area's profile as JSON (the page's twin; the API's /api/v1/areas/<code> says the same)."""
    found = _area_or_404(code)
    return jsonify(totals.area_profile(g.session, g.snapshot.areas, found, _filters(), years()))


@blueprint.get("/area/<code>")
def old_area(code):
    """The area pages moved to /areas/<code>."""
    return redirect(url_for("pages.area", code=code, **request.args), code=301)


@blueprint.get("/data")
def data():
    """Every download: the projects in four formats and the 12 province-by-year datasets."""
    return render_template("data.html", formats=project_download_links(), datasets=dataset_links(),
                           limits={"areas": exports.MAX_EXPORT_AREAS, "projects": exports.MAX_EXPORT_PROJECTS},
                           example_query=Markup('<code translate="no">?province=01&amp;year=2016</code>'))


@blueprint.get("/about")
def about():
    """Sources, licences and attribution, how projects are joined to communes, and live data quality."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    return render_template("about.html", manifest=manifest, report=g.snapshot.memo("quality", lambda: quality.build_quality_report(g.session)),
                           counts=areas.level_counts(g.session), labels=LABELS,
                           example_amount=i18n.format_compact_money(EXAMPLE_AMOUNT),
                           vintage=Markup('<span translate="no">{}</span>').format(manifest["vintage"]))


def _profile_context(profile, filters):
    return {"filters": filters, "labels": LABELS, "vocabulary": maps.vocabulary_labels(),
            "charts": chart_rows(profile), "year_links": year_links(filters)}


def chart_rows(profile):
    """(key, label, value, text) per bar of the spending-per-year and spending-by-sector charts."""
    def bar(key, label, value):
        """One bar: its key, label, raw value and the value in words."""
        return key, label, value, i18n.format_compact_number(value)

    years = [bar(row["fiscal_year"], str(row["fiscal_year"]), row["expenditure"]) for row in profile["by_year"]]
    sectors = [bar(row["sector"], i18n.localized(row), row["expenditure"])
               for row in sorted(profile["by_sector"], key=lambda row: -row["expenditure"])]
    return {"years": years, "sectors": sectors}


def year_links(filters):
    """(label, URL, current) for "all years" and each year, the page's other filters kept."""
    config = current_app.config
    others = [(k, v) for k, v in filters.as_params().items() if k != "year"] + [("lang", i18n.current_language())]
    links = [(gettext("All years"), f"{request.path}?{urlencode(others)}", filters.year_from is None)]
    for year in range(config["MAPSERVICE_FIRST_YEAR"], config["MAPSERVICE_LAST_YEAR"] + 1):
        current = filters.year_from == year == filters.year_to
        links.append((str(year), f"{request.path}?{urlencode([('year', year), *others])}", current))
    return links


def _filters():
    return parse_filters(request.args, g.snapshot.area_codes, *years())


def _area_or_404(code):
    return areas.get_area(g.session, code) or abort(
        404, gettext('Area "%(code)s" does not exist: expected a province, district or commune code.', code=code))


def _scoped(filters, area):
    areas_only = {"province": (), "district": (), "commune": ()} | {area.level: (area.code,)}
    return dataclasses.replace(filters, **areas_only)


def _ancestors(code):
    """The province (and district) holding an area, as dicts with code and names."""
    geometry = g.snapshot.areas.areas
    return [{"code": code[:length], **geometry[level][code[:length]]}
            for level, length in (("province", 2), ("district", 4)) if len(code) > length]


def country_profile(filters):
    """The whole country's totals, per-year and per-sector series and provinces (as /api/v1/areas/<code>)."""
    by_year = totals.series(g.session, filters, "fiscal_year")
    config = current_app.config
    first = filters.year_from or config["MAPSERVICE_FIRST_YEAR"]
    last = filters.year_to or config["MAPSERVICE_LAST_YEAR"]
    zero = dict.fromkeys(totals.MEASURES, 0)
    sectors = totals.series(g.session, filters, "sector")
    return {
        "code": None, "level": "country", "name_km": "កម្ពុជា", "name_en": "Cambodia", "filters": filters.as_params(),
        "totals": {m: sum(v[m] for v in by_year.values()) for m in totals.MEASURES},
        "by_year": [{"fiscal_year": year, **by_year.get(year, zero)} for year in range(first, last + 1)],
        "by_sector": [{"sector": code, "name_en": totals.SECTORS[code][0],
                       "name_km": totals.SECTORS[code][1], **values}
                      for code, values in sorted(sectors.items())],
        "sub_areas": totals.per_area(g.session, g.snapshot.areas, filters, "province")["areas"],
    }


def dataset_links():
    """The 12 datasets of mapservice.formats.datasets (projects and expenditure by province, one per year), each with
    its files, titled in the page's language."""
    config, language = current_app.config, i18n.current_language()
    years = (config["MAPSERVICE_FIRST_YEAR"], config["MAPSERVICE_LAST_YEAR"])
    links = []
    for dataset_id in datasets.dataset_ids(*years):
        kind, year = datasets.parse_id(dataset_id, *years)
        links.append({"id": dataset_id, "kind": kind, "year": year,
                      "title": datasets.TITLES[kind][language].format(year=year),
                      "links": {fmt: url_for("downloads.dataset_file", dataset_id=dataset_id, fmt=fmt)
                                for fmt in datasets.FORMAT_MIMETYPES}})
    return links


def project_download_links():
    """(format, label, URL) of each project download format of mapservice.formats.downloads."""
    return [(fmt, DOWNLOAD_LABELS.get(fmt, fmt.upper()), url_for("downloads.projects", fmt=fmt))
            for fmt in downloads.FORMATS]


FIELD_LABELS = {
    "project_id": lazy_gettext("Project ID"), "pid_reference": lazy_gettext("PID reference"),
    "title_km": lazy_gettext("Title (Khmer)"), "title_en": lazy_gettext("Title (English)"),
    "sector": lazy_gettext("Sector"), "project_type": lazy_gettext("Type of work"), "status": lazy_gettext("Status"),
    "fiscal_year": lazy_gettext("Fiscal year"), "funding_source": lazy_gettext("Funding source"),
    "planned_start": lazy_gettext("Planned start"), "planned_end": lazy_gettext("Planned end"),
    "actual_start": lazy_gettext("Actual start"), "actual_end": lazy_gettext("Actual end"),
    "budget": lazy_gettext("Budget"), "contract_value": lazy_gettext("Contract value"),
    "expenditure": lazy_gettext("Actual expenditure"), "cs_fund": lazy_gettext("Commune/Sangkat Fund"),
    "local_contribution": lazy_gettext("Local contribution"), "contract_number": lazy_gettext("Contract number"),
    "awarded_tenderer": lazy_gettext("Awarded tenderer"), "number_of_bidders": lazy_gettext("Number of bidders"),
    "eia_required": lazy_gettext("EIA required"), "eia_status": lazy_gettext("EIA status"),
    "eia_document_url": lazy_gettext("EIA document"), "village_code": lazy_gettext("Village code"),
    "location_precision": lazy_gettext("Location precision"), "join_status": lazy_gettext("Location check"),
    "quality_flags": lazy_gettext("Data-quality flags"), "stated_code": lazy_gettext("Code as given"),
}
JOIN_STATUS_LABELS = {
    "agree": lazy_gettext("The point lies in the stated commune."),
    "conflict": lazy_gettext("The point lies outside the stated commune; the stated commune keeps the money."),
    "code_only": lazy_gettext("No point was given: the project is shown at its commune's centre."),
    "point_only": lazy_gettext("No commune code was given: the commune was found from the point."),
    "unmatched": lazy_gettext("The point lies outside every commune and no code was given."),
}
FLAG_LABELS = {
    "expenditure_over_budget": lazy_gettext("Expenditure more than 1.5 times the budget"),
    "contract_over_budget": lazy_gettext("Contract value more than 1.2 times the budget"),
    "actual_end_before_start": lazy_gettext("Actual end before actual start"),
    "planned_end_before_start": lazy_gettext("Planned end before planned start"),
    "completed_without_expenditure": lazy_gettext("Completed but no expenditure recorded"),
    "missing_budget": lazy_gettext("No budget recorded"),
}
LABELS = {"field": FIELD_LABELS, "join_status": JOIN_STATUS_LABELS, "flag": FLAG_LABELS, "level": LEVEL_NAMES}
