"""The map pages' side of every Leaflet map of the site: the page hooks (session, language), the map's state
of this request, folium's scaffold (vendored Leaflet, no CDN), what the JS modules need besides the data
(``page_config``), the data credit and SAMPLE flag, and the embed for iframes.

Data never goes into the map page: its JS modules fetch the API."""
import html

import folium
from flask import Blueprint, Response, current_app, g, render_template, request, url_for
from folium.template import Template
from markupsafe import Markup

from layers import REGISTRY
from mapservice.read.filters import FilterError
from mapservice.read.mapstate import CAMBODIA, DEFAULT_LAYER, MAP_LAYERS, parse_map_state
from mapservice.store import vocabulary
from mapservice.web import i18n, social
from mapservice.web.api import close_session, open_session

blueprint = Blueprint("maps", __name__)

CAMBODIA_BOUNDS = [[10.4, 102.3], [14.7, 107.7]]
POINT_COLOR = "#d95f02"  # as static/js/legend.js


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
blueprint.add_app_template_global(social.card, "social_card")
# How a legend writes its class bounds (formats/locale.py: format_range, static/js/format.js: formatRange)
LEGEND_KINDS = {"expenditure": "money", "budget_vs_actual": "share", "budget_by_area": "share"}


def legend_kind(layer_name):
    """"money", "share" or "count": the kind of value a layer's classes are bounds of."""
    return LEGEND_KINDS.get(layer_name, "count")


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


SCAFFOLD_KINDS = ("page", "embed", "marker")  # the map page's, the embed's (gesture handling), a mini map's point
GESTURE_HANDLING = "vendor/leaflet-gesture-handling/leaflet-gesture-handling.min"


def scaffold(lat, lon, zoom, label, kind="page"):
    """Header and container of a folium map, and the URL of its script (``/maps/scaffold.js``, which folium renders
    from the same arguments): pages carry no inline script, the policy is ``script-src 'self'``."""
    parts = render_scaffold(lat, lon, zoom, kind, label)
    src = url_for("maps.scaffold_script", kind=kind, lat=lat, lon=lon, zoom=zoom, lang=i18n.current_language())
    return {"header": parts["header"], "html": parts["html"], "src": src}


def render_scaffold(lat, lon, zoom, kind, label=""):
    """Header, body and script of a Leaflet map built by folium with our vendored files (never a CDN) and, when
    configured, the basemap; ``kind`` "embed" adds gesture handling, "marker" a project's point at the centre.
    The documented Flask embedding of folium, its elements named so the same arguments give the same script."""
    options = {}
    extra_js, extra_css = [], []
    if kind == "embed":
        text = {"touch": i18n.gettext("Use two fingers to move the map"),
                "scroll": i18n.gettext("Use ctrl + scroll to zoom the map"),
                "scrollMac": i18n.gettext("Use ⌘ + scroll to zoom the map")}
        extra_js = [("gesture_handling", url_for("static", filename=GESTURE_HANDLING + ".js"))]
        extra_css = [("gesture_handling_css", url_for("static", filename=GESTURE_HANDLING + ".css"))]
        options = {"gestureHandling": True, "gestureHandlingOptions": {"text": text, "duration": 1500}}
    m = ScaffoldMap(location=[lat, lon], zoom_start=zoom, tiles=None, minZoom=5, maxZoom=18, **options)
    if kind == "marker":
        _named(project_marker(lat, lon), "project").add_to(m)
    m.label = label
    m.default_js = [("leaflet", url_for("static", filename="vendor/leaflet/leaflet.js")), *extra_js]
    m.default_css = [("leaflet_css", url_for("static", filename="vendor/leaflet/leaflet.css")), *extra_css]
    basemap = current_app.config["MAPSERVICE_BASEMAP_URL"]
    if basemap:
        attribution = current_app.config["MAPSERVICE_BASEMAP_ATTRIBUTION"] or html.escape(basemap.split("/")[2])
        _named(folium.TileLayer(tiles=basemap, attr=attribution, name="basemap", max_zoom=19), "basemap").add_to(m)
    root = m.get_root()
    root.render()
    return {part: Markup(getattr(root, part).render()) for part in ("header", "html", "script")}


def _named(element, name):
    """A folium element whose JS variable is ``name`` rather than a random one (the script stays cacheable)."""
    element._id = name
    return element


def project_marker(lat, lon):
    """The one point a project page's mini map carries (the page's own record; no other data)."""
    return folium.CircleMarker([lat, lon], radius=9, color="#7a3300", weight=2,
                               fill_color=POINT_COLOR, fill_opacity=0.9, class_name="project-marker")


def state_scaffold(state, embed=False):
    """The scaffold of the map page or the embed, opened where the URL says (else on Cambodia)."""
    lat, lon = (state.lat, state.lon) if state.lat is not None else (CAMBODIA["lat"], CAMBODIA["lon"])
    zoom = CAMBODIA["zoom"] if state.zoom is None else state.zoom
    return scaffold(lat, lon, zoom, i18n.gettext("Map of infrastructure projects"), "embed" if embed else "page")


@blueprint.get("/maps/scaffold.js")
def scaffold_script():
    """The script of a page's folium scaffold (``var map = L.map(...)``), from the position in the URL (the map
    state's rule) and the kind of map; the same URL always gives the same script."""
    kind = request.args.get("kind", "")
    if kind not in SCAFFOLD_KINDS:
        raise FilterError("kind", kind, f"one of {', '.join(SCAFFOLD_KINDS)}")
    position = {name: request.args.get(name, "") for name in ("lat", "lon", "zoom")}
    missing = [name for name, value in position.items() if not value.strip()]
    if missing:
        raise FilterError(missing[0], "", "lat, lon and zoom of the map")
    state = parse_map_state(position, g.snapshot.area_codes, current_app.config["MAPSERVICE_FIRST_YEAR"],
                            current_app.config["MAPSERVICE_LAST_YEAR"])
    script = render_scaffold(state.lat, state.lon, state.zoom, kind)["script"]
    return Response(script, mimetype="text/javascript")


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
                          "legendTitle": REGISTRY[name].legend_title[language], "legendKind": legend_kind(name),
                          "levels": list(REGISTRY[name].levels), "filters": list(REGISTRY[name].filters)}
                   for name in MAP_LAYERS},
        "vocabulary": vocabulary_labels(),
        "urls": {"api": url_for("api.index"), "map": url_for("pages.index"), "embed": url_for("maps.embed"),
                 "png": url_for("exports.view_png"), "html": url_for("exports.view_html"),
                 "country": url_for("pages.country_json"), "projectPage": url_for("pages.project", project_id="_"),
                 "areaPage": url_for("pages.area", code="_"),
                 "projectTiles": url_for("tiles.tile", layer="projects", z="Z", x="X", y="Y"),
                 "embedScript": url_for("static", filename="js/embed-resize.js")},
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


def is_sample():
    """True when the loaded projects include generated SAMPLE data (every page and picture says so)."""
    return g.snapshot.sample


@blueprint.get("/embed")
def embed():
    """One layer with minimal chrome (legend and attribution) for iframes, e.g. ODC's profile pages."""
    state = state_from_request()
    return render_template("embed.html", state=state, scaffold=state_scaffold(state, embed=True),
                           app_config=page_config(state), social=social.map_card(state))
