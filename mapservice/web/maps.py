"""The map's state in the URL, folium's scaffold for every Leaflet map of the site (vendored Leaflet, no CDN),
the embed for iframes, and the two exports: a PNG for reports and a standalone HTML map of a small selection.

Data never goes into the map page: its JS modules fetch the API. Only the standalone HTML export, being a
file to keep, carries its (small) data and Leaflet itself."""
import base64
import html
import json
import math
from dataclasses import dataclass, field
from functools import lru_cache

import folium
from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from folium.template import Template
from markupsafe import Markup

from layers import REGISTRY
from layers.base import class_of
from mapservice import i18n, mapimage, vocabulary
from mapservice.config import PROJECT_ROOT
from mapservice.filters import Filters, FilterError, parse_filters
from mapservice.http_cache import request_key
from mapservice.models import LEVELS
from mapservice.web.api import close_session, layer_body, open_session

blueprint = Blueprint("maps", __name__)

MAP_LAYERS = ("project_points", "project_count", "expenditure", "budget_vs_actual")
DEFAULT_LAYER = "expenditure"
LEVEL_CHOICES = ("auto",) + LEVELS
VIEWS = ("map", "table")
CHILD = {"province": "district", "district": "commune", "commune": "commune"}
CAMBODIA = {"lat": 12.6, "lon": 104.9, "zoom": 7}
CAMBODIA_BOUNDS = [[10.4, 102.3], [14.7, 107.7]]
# The standalone HTML map carries its data: beyond these it would be megabytes (choose a smaller area).
MAX_EXPORT_AREAS, MAX_EXPORT_PROJECTS = 250, 2000
PNG_SIZE = {"width": (1200, 300, 3000), "height": (900, 200, 3000)}  # default, min, max pixels
VENDOR = PROJECT_ROOT / "static" / "vendor"
NO_DATA_COLOR, POINT_COLOR = "#dddddd", "#d95f02"  # as static/js/layers.js and legend.js


def shown_level(asked, zoom, area_level):
    """The level drawn: the one asked for, or with ``auto`` the deeper of the zoom's level (province below 8,
    district below 10, commune from 10) and the level below the selected area."""
    if asked != "auto":
        return asked
    by_zoom = "province" if zoom < 8 else "district" if zoom < 10 else "commune"
    by_area = CHILD[area_level] if area_level else "province"
    return max(by_zoom, by_area, key=LEVELS.index)


@dataclass(frozen=True)
class MapState:
    """What a map shows: layer, level (auto = by zoom), filters, position and view, as in the URL."""

    layer: str = DEFAULT_LAYER
    level: str = "auto"
    filters: Filters = field(default_factory=Filters)
    lat: float | None = None
    lon: float | None = None
    zoom: int | None = None
    view: str = "map"

    @property
    def area_level(self):
        """The level of the area filters (the deepest given), or None for the whole country."""
        return next((level for level in reversed(LEVELS) if getattr(self.filters, level)), None)

    @property
    def level_shown(self):
        """The admin level the map draws for this state."""
        zoom = CAMBODIA["zoom"] if self.zoom is None else self.zoom
        return shown_level(self.level, zoom, self.area_level)

    def params(self):
        """The query parameters of this state, as the map page writes them."""
        params = {"layer": self.layer, "level": self.level, **self.filters.as_params()}
        params.update({k: getattr(self, k) for k in ("lat", "lon", "zoom") if getattr(self, k) is not None})
        return params | ({"view": self.view} if self.view != "map" else {})


def parse_map_state(args, area_codes, first_year, last_year):
    """Validate the map parameters of ``args`` into a MapState (FilterError names the first bad one)."""
    filters = parse_filters(args, area_codes, first_year, last_year)
    values = {name: _choice(args, name, choices, default) for name, choices, default in (
        ("layer", MAP_LAYERS, DEFAULT_LAYER), ("level", LEVEL_CHOICES, "auto"), ("view", VIEWS, "map"))}
    values["lat"] = _number(args, "lat", -90, 90)
    values["lon"] = _number(args, "lon", -180, 180)
    zoom = _number(args, "zoom", 0, 20)
    if zoom is not None and zoom != int(zoom):
        raise FilterError("zoom", args.get("zoom"), "a whole number from 0 to 20")
    values["zoom"] = None if zoom is None else int(zoom)
    if (values["lat"] is None) != (values["lon"] is None):
        missing = "lat" if values["lat"] is None else "lon"
        raise FilterError(missing, "", "both lat and lon, or neither")
    return MapState(filters=filters, **values)


def _choice(args, name, choices, default):
    value = (args.get(name) or "").strip() or default
    if value not in choices:
        raise FilterError(name, value, f"one of {', '.join(choices)}")
    return value


def _number(args, name, low, high):
    text = (args.get(name) or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        raise FilterError(name, text, f"a number from {low} to {high}")
    return value


def check_request_language():
    """A page asked for in a language it does not have is a 400, like any other bad parameter."""
    i18n.check_language(request.args)


def vary_on_language(response):
    """Pages depend on Accept-Language when there is no ?lang=, so caches must keep one copy per language."""
    response.vary.add("Accept-Language")
    return response


def register_page_hooks(blueprint):
    """What every page blueprint needs: the API's session and data snapshot, the language, Flask-Babel."""
    blueprint.before_request(open_session)
    blueprint.before_request(check_request_language)
    blueprint.teardown_request(close_session)
    blueprint.after_request(vary_on_language)
    blueprint.record_once(lambda setup: i18n.init_app(setup.app))


register_page_hooks(blueprint)


def state_from_request():
    """The MapState of this request's query parameters."""
    config = current_app.config
    return parse_map_state(request.args, g.snapshot.area_codes, config["MAPSERVICE_FIRST_YEAR"],
                           config["MAPSERVICE_LAST_YEAR"])


class ScaffoldMap(folium.Map):
    """folium's Map whose container and JS variable are both ``map`` (the page's modules find it as
    ``window.map``), without folium's page-wide styles (the site's stylesheet lays the page out)."""

    _template = Template("""
        {% macro header(this, kwargs) %}{% endmacro %}
        {% macro html(this, kwargs) %}<div id="map" class="folium-map" role="region"
          aria-label="{{ this.label|e }}"></div>{% endmacro %}
        {% macro script(this, kwargs) %}
        var map = L.map("map", {center: {{ this.location|tojson }}, crs: L.CRS.{{ this.crs }},
                                ...{{ this.options|tojavascript }}});
        {% endmacro %}
    """)

    def get_name(self):
        """The JS variable and container id folium uses for this map."""
        return "map"


def scaffold(lat, lon, zoom, label, extra_js=(), extra_css=(), children=(), **options):
    """Header, body and script of a Leaflet map built by folium with our vendored files (never a CDN) and,
    when configured, the basemap; the documented Flask embedding of folium."""
    m = ScaffoldMap(location=[lat, lon], zoom_start=zoom, tiles=None, minZoom=5, maxZoom=18, **options)
    for child in children:
        child.add_to(m)
    m.label = label
    m.default_js = [("leaflet", url_for("static", filename="vendor/leaflet/leaflet.js")), *extra_js]
    m.default_css = [("leaflet_css", url_for("static", filename="vendor/leaflet/leaflet.css")), *extra_css]
    basemap = current_app.config["MAPSERVICE_BASEMAP_URL"]
    if basemap:
        attribution = current_app.config["MAPSERVICE_BASEMAP_ATTRIBUTION"] or html.escape(basemap.split("/")[2])
        folium.TileLayer(tiles=basemap, attr=attribution, name="basemap", max_zoom=19).add_to(m)
    root = m.get_root()
    root.render()
    return {part: Markup(getattr(root, part).render()) for part in ("header", "html", "script")}


def project_marker(record):
    """The one point a project page's mini map carries (the page's own record; no other data)."""
    return folium.CircleMarker([record["lat"], record["lon"]], radius=9, color="#7a3300", weight=2,
                               fill_color=POINT_COLOR, fill_opacity=0.9, class_name="project-marker")


def state_scaffold(state, embed=False):
    """The scaffold of the map page or the embed, opened where the URL says (else on Cambodia)."""
    lat, lon = (state.lat, state.lon) if state.lat is not None else (CAMBODIA["lat"], CAMBODIA["lon"])
    zoom = CAMBODIA["zoom"] if state.zoom is None else state.zoom
    if not embed:
        return scaffold(lat, lon, zoom, i18n.gettext("Map of infrastructure projects"))
    text = {"touch": i18n.gettext("Use two fingers to move the map"),
            "scroll": i18n.gettext("Use ctrl + scroll to zoom the map"),
            "scrollMac": i18n.gettext("Use ⌘ + scroll to zoom the map")}
    static = "vendor/leaflet-gesture-handling/leaflet-gesture-handling.min"
    return scaffold(lat, lon, zoom, i18n.gettext("Map of infrastructure projects"),
                    extra_js=[("gesture_handling", url_for("static", filename=static + ".js"))],
                    extra_css=[("gesture_handling_css", url_for("static", filename=static + ".css"))],
                    gestureHandling=True, gestureHandlingOptions={"text": text, "duration": 1500})


def page_config(state):
    """Everything the JS modules need besides the data (which they fetch from the API)."""
    language = i18n.current_language()
    config = current_app.config
    return {
        "lang": language, "usdRate": i18n.usd_rate(), "locale": i18n.locale_data(),
        "years": [config["MAPSERVICE_FIRST_YEAR"], config["MAPSERVICE_LAST_YEAR"]],
        "defaults": {"layer": DEFAULT_LAYER, "level": "auto"}, "bounds": CAMBODIA_BOUNDS,
        "basemap": bool(config["MAPSERVICE_BASEMAP_URL"]),
        "layers": {name: {"title": REGISTRY[name].title[language], "kind": REGISTRY[name].kind,
                          "legendTitle": REGISTRY[name].legend_title[language]} for name in MAP_LAYERS},
        "vocabulary": vocabulary_labels(),
        "urls": {"api": url_for("api.index"), "map": url_for("pages.index"), "embed": url_for("maps.embed"),
                 "png": url_for("maps.view_png"), "html": url_for("maps.view_html"),
                 "country": url_for("pages.country_json"), "projectPage": url_for("pages.project", project_id="_"),
                 "areaPage": url_for("pages.area", code="_")},
        "attribution": data_attribution(),
    }


def vocabulary_labels():
    """Labels of the coded fields (sector, type, status, EIA status, funding, precision) in this language."""
    label = 0 if i18n.current_language() == "en" else 1
    tables = (("sector", vocabulary.SECTORS), ("project_type", vocabulary.PROJECT_TYPES),
              ("status", vocabulary.STATUSES), ("eia_status", vocabulary.EIA_STATUSES),
              ("funding_source", vocabulary.FUNDING_SOURCES))
    labels = {name: {code: names[label] for code, names in table.items()} for name, table in tables}
    return labels | {"location_precision": {"exact": i18n.gettext("exact point"),
                                            "commune": i18n.gettext("commune (approximate point)")}}


def data_attribution():
    """The data credit every map shows (boundaries and names), in the page's language."""
    return i18n.gettext("Boundaries © geoBoundaries, Open Development Cambodia (CC BY 4.0); names: NCDD")


@blueprint.get("/embed")
def embed():
    """One layer with minimal chrome (legend and attribution) for iframes, e.g. ODC's profile pages."""
    state = state_from_request()
    return render_template("embed.html", state=state, scaffold=state_scaffold(state, embed=True),
                           app_config=page_config(state))


def layer_data(state):
    """The layer's GeoJSON for the state (whole selection, no bbox), shared with the API's response cache."""
    layer = REGISTRY[state.layer]
    level = None if layer.kind == "points" else state.level_shown
    options = layer.parse_options({"zoom": str(CAMBODIA["zoom"] if state.zoom is None else state.zoom)}) \
        if layer.parse_options else {}
    body, _etag = layer_body(layer, state.filters, level, options)
    return json.loads(body)


def parse_size(args):
    """width and height of the PNG in pixels (defaults 1200 x 900)."""
    size = {}
    for name, (default, low, high) in PNG_SIZE.items():
        text = (args.get(name) or "").strip() or str(default)
        if not text.isdigit() or not low <= int(text) <= high:
            raise FilterError(name, text, f"a whole number of pixels from {low} to {high}")
        size[name] = int(text)
    return size["width"], size["height"]


def file_stem(state):
    """A download's file name without extension: layer, level and the filter values that are plain words."""
    return "-".join([state.layer, state.level_shown, *(v.replace(",", "_") for v in state.filters.as_params().values()
                                                      if v.replace(",", "").replace("-", "").isalnum())])


@blueprint.get("/maps/view.png")
def view_png():
    """The map of the URL's state drawn on the server (geopandas + matplotlib) as a PNG for reports."""
    state = state_from_request()
    width, height = parse_size(request.args)
    key = ("png", *request_key(g.snapshot.version, (i18n.current_language(),)))
    body = g.snapshot.responses.get(key) or g.snapshot.responses.put(
        key, mapimage.render_png(picture_of(state, layer_data(state)), width, height))
    return Response(body, mimetype="image/png",
                    headers={"Content-Disposition": f'inline; filename="{file_stem(state)}.png"'})


@blueprint.get("/maps/view.html")
def view_html():
    """A standalone HTML map (folium) of a small selection: data and Leaflet inlined, works offline."""
    state = state_from_request()
    data = layer_data(state)
    check_export_size(state, data)
    return Response(standalone_map(state, data), mimetype="text/html",
                    headers={"Content-Disposition": f'attachment; filename="{file_stem(state)}.html"'})


def check_export_size(state, data):
    """Refuse (400) a selection too large for a file that carries its data."""
    features = data["features"]
    if REGISTRY[state.layer].kind == "points":
        projects = sum(f["properties"].get("project_count", 1) for f in features)
        if data.get("aggregated") or projects > MAX_EXPORT_PROJECTS:
            raise FilterError("zoom", "" if state.zoom is None else str(state.zoom), f"a zoom of 12 or more on a selection of at most "
                              f"{MAX_EXPORT_PROJECTS:,} projects for an HTML map (this one has {projects:,}): "
                              "choose a district or commune, or narrow the years")
    elif len(features) > MAX_EXPORT_AREAS:
        raise FilterError("level", state.level_shown, f"a selection of at most {MAX_EXPORT_AREAS} areas for an HTML "
                          f"map (this one has {len(features):,}): choose a province or district first, or "
                          "download the PNG")


class ExportMap(folium.Map):
    """folium's Map for a standalone file: no CDN links (Leaflet is inlined into the page's head)."""

    default_js, default_css = [], []


def standalone_map(state, data):
    """The HTML text of a folium map carrying the selection's features, its legend and title."""
    language = i18n.current_language()
    title = REGISTRY[state.layer].title[language]
    m = ExportMap(location=[CAMBODIA["lat"], CAMBODIA["lon"]], zoom_start=7, tiles=None)
    root = m.get_root()
    root.title = html.escape(title)
    root.header.add_child(folium.Element(inline_leaflet()), name="leaflet_inline")
    features = export_features(state, data)
    if features["features"]:
        marker = folium.CircleMarker(radius=6, weight=1, fill_opacity=0.9)
        folium.GeoJson(features, style_function=_export_style, marker=marker,
                       tooltip=folium.GeoJsonTooltip(fields=["label", "value_text"], labels=False)).add_to(m)
        m.fit_bounds(folium.GeoJson(features).get_bounds())
    overlay = render_template("export_overlay.html", title=title, legend=legend_rows(state.layer, data),
                              subtitle=i18n.describe_filters(state.filters, g.snapshot.areas.areas),
                              attribution=data_attribution())
    m.get_root().html.add_child(folium.Element(overlay))
    return m.get_root().render().replace("<html>", f'<html lang="{language}">', 1)


def _export_style(feature):
    """folium's style_function: each feature's own colour."""
    return {"fillColor": feature["properties"]["color"], "color": "#555", "weight": 1, "fillOpacity": 0.8}


def export_features(state, data):
    """The features with what the standalone map shows (label, value text, colour), text pre-escaped for
    folium's tooltip (which sets innerHTML)."""
    colors = {row["class"]: row["color"] for row in data.get("legend", {}).get("classes", [])}
    kind = REGISTRY[state.layer].kind
    features = []
    for feature in data["features"]:
        props = feature["properties"]
        label = i18n.localized(props, "title" if kind == "points" else "name")
        value = value_text(state.layer, props)
        color = POINT_COLOR if kind == "points" else colors.get(props.get("class"), NO_DATA_COLOR)
        features.append({"type": "Feature", "id": feature["id"], "geometry": feature["geometry"], "properties": {
            "label": html.escape(label), "value_text": html.escape(value), "color": color}})
    return {"type": "FeatureCollection", "features": features}


def value_text(layer, props):
    """The value of one feature as the map shows it: a count, riel and dollars, or spent/budget."""
    if layer == "project_points":
        return i18n.format_money(props.get("expenditure"))
    if layer == "project_count":
        count = props.get("project_count") or 0
        return i18n.ngettext("%(num)s project", "%(num)s projects", count, num=i18n.format_number(count))
    if layer == "budget_vs_actual":
        return i18n.gettext("spent %(share)s of the budget", share=i18n.format_percent(props.get("value")))
    return i18n.format_money(props.get("expenditure"))


@lru_cache(maxsize=1)
def inline_leaflet():
    """Leaflet's JS and CSS as inline tags (its images as data: URIs), read once from static/vendor."""
    css = (VENDOR / "leaflet" / "leaflet.css").read_text(encoding="utf-8")
    for image in (VENDOR / "leaflet" / "images").glob("*.png"):
        css = css.replace(f"url(images/{image.name})",
                          "url(data:image/png;base64," + base64.b64encode(image.read_bytes()).decode() + ")")
    script = (VENDOR / "leaflet" / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    return f"<style>{css}</style>\n<script>{script}</script>"


def legend_rows(layer_name, data):
    """(colour, text) per class of the layer response's legend, with the exact class bounds."""
    legend = data.get("legend")
    if not legend:
        return [(POINT_COLOR, i18n.gettext("one project"))]
    rows = []
    for row in legend["classes"]:
        low, high = (None if v is None else i18n.format_number(v, digits=2) for v in (row["min"], row["max"]))
        text = f"≤ {high}" if low is None else f"> {low}" if high is None else f"{low} – {high}"
        rows.append((row["color"], text))
    if layer_name != "project_points" and any(f["properties"].get("value") is None for f in data["features"]):
        rows.append((NO_DATA_COLOR, i18n.gettext("No data")))
    return rows


def picture_of(state, data):
    """What the PNG shows for the state: coloured areas or project dots, the provinces around them, texts."""
    language, layer, geometry = i18n.current_language(), REGISTRY[state.layer], g.snapshot.areas.areas
    link = url_for("pages.index", _external=True, **state.params(), lang=language)
    picture = mapimage.Picture(
        title=layer.title[language], subtitle=i18n.describe_filters(state.filters, geometry),
        legend_title=layer.legend_title[language], legend=legend_rows(state.layer, data),
        footer=f"{data_attribution()} · {link}",
        notice=i18n.gettext("SAMPLE: generated data, not real project records") if is_sample() else "")
    if layer.kind == "points" or not state.area_level:  # within one area its own sub-areas draw its edge
        picture.outlines = [{"type": "Feature", "properties": {},
                             "geometry": json.loads(geometry["province"][code]["geometry"])}
                            for code in g.snapshot.areas.within("province", state.filters)]
    colors = {row["class"]: row["color"] for row in data.get("legend", {}).get("classes", [])}
    if layer.kind == "points":
        breaks = data.get("legend", {}).get("breaks", [])
        picture.points = [_point(feature, colors, breaks) for feature in data["features"]]
        return picture
    picture.areas = [{**feature, "properties": {"color": colors.get(feature["properties"]["class"], NO_DATA_COLOR)}}
                     for feature in data["features"]]
    if len(data["features"]) <= mapimage.MAX_LABELS:
        level = data["level"]
        picture.labels = [(*geometry[level][f["id"]]["label"], i18n.localized(f["properties"]))
                          for f in data["features"]]
    return picture


def _point(feature, colors, breaks):
    props = feature["properties"]
    if not props.get("cluster"):
        return {**feature, "properties": {"color": POINT_COLOR, "size": 18}}
    count = props["project_count"]
    return {**feature, "properties": {"color": colors.get(class_of(count, breaks), POINT_COLOR),
                                      "size": 20 + 4 * math.sqrt(count)}}


def is_sample():
    """True when the loaded projects include generated SAMPLE data (every page and picture says so)."""
    return g.snapshot.sample
