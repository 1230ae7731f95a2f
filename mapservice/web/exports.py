"""The two exports of the map in the URL: a PNG for reports (drawn on the server by ``mapimage``) and a
standalone HTML map (folium) of a small selection. Unlike the map page, the HTML file, being a file to keep,
carries its (small) data and Leaflet itself (inlined: it works offline)."""
import base64
import html
import json
import math
from functools import lru_cache

import folium
from flask import Blueprint, Response, g, render_template, request, url_for

from layers import REGISTRY
from layers.base import class_of
from mapservice.config import PROJECT_ROOT
from mapservice.formats import mapimage
from mapservice.read.filters import FilterError
from mapservice.read.mapstate import CAMBODIA
from mapservice.web import i18n
from mapservice.web.api import layer_body
from mapservice.web.http_cache import request_key
from mapservice.web.maps import (POINT_COLOR, data_attribution, is_sample, legend_kind, register_page_hooks,
                                 state_from_request)

blueprint = Blueprint("exports", __name__)
register_page_hooks(blueprint)

# The standalone HTML map carries its data: beyond these numbers of features (areas, or projects with a point)
# it would be megabytes. README ("Map file (HTML)") states them.
MAX_EXPORT_AREAS, MAX_EXPORT_PROJECTS = 250, 2000
POINTS_ZOOM = 12  # the zoom from which the project_points layer answers with the projects, not clusters
PNG_SIZE = {"width": (1200, 300, 3000), "height": (900, 200, 3000)}  # default, min, max pixels
VENDOR = PROJECT_ROOT / "static" / "vendor"
NO_DATA_COLOR = "#dddddd"  # as static/js/layers.js


def layer_data(state, every_point=False):
    """The layer's GeoJSON for the state (whole selection, no bbox), shared with the API's response cache;
    ``every_point``: the projects themselves whatever the zoom (a file is zoomed by its reader)."""
    layer = REGISTRY[state.layer]
    level = None if layer.kind == "points" else state.level_shown
    zoom = POINTS_ZOOM if every_point else CAMBODIA["zoom"] if state.zoom is None else state.zoom
    options = layer.parse_options({"zoom": str(zoom)}) if layer.parse_options else {}
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
    body = g.snapshot.responses.get_or_build(
        key, lambda: mapimage.render_png(picture_of(state, layer_data(state)), width, height))
    return Response(body, mimetype="image/png",
                    headers={"Content-Disposition": f'inline; filename="{file_stem(state)}.png"'})


@blueprint.get("/maps/view.html")
def view_html():
    """A standalone HTML map (folium) of a small selection: data and Leaflet inlined, works offline."""
    state = state_from_request()
    data = layer_data(state, every_point=True)
    check_export_size(state, data)
    return Response(standalone_map(state, data), mimetype="text/html",
                    headers={"Content-Disposition": f'attachment; filename="{file_stem(state)}.html"'})


def check_export_size(state, data):
    """Refuse (400) a selection too large for a file that carries its data."""
    features, filters = data["features"], state.filters
    if REGISTRY[state.layer].kind == "points":
        projects = sum(f["properties"].get("project_count", 1) for f in features)
        if projects > MAX_EXPORT_PROJECTS:
            chosen = [level for level in ("province", "district", "commune") if getattr(filters, level)]
            narrower = {None: "province", "province": "district", "district": "commune"}.get(
                chosen[-1] if chosen else None)  # the level below the deepest one chosen
            advice = (f"choose a {narrower}" if narrower else "narrow the years, the sector or the status") + \
                " (or download the projects as GeoJSON or GeoPackage)"
            raise FilterError(narrower or "year", ",".join(getattr(filters, narrower)) if narrower else
                              filters.as_params().get("year", ""), f"a selection of at most "
                              f"{MAX_EXPORT_PROJECTS:,} projects with a point for an HTML map (this one has "
                              f"{projects:,}): {advice}")
    elif len(features) > MAX_EXPORT_AREAS:
        parent = {"commune": "district", "district": "province"}.get(state.level_shown)
        advice = f"choose a {parent} first, or download the PNG" if parent else "download the PNG"
        raise FilterError("level", state.level_shown, f"a selection of at most {MAX_EXPORT_AREAS} areas for an HTML "
                          f"map (this one has {len(features):,}): {advice}")


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
        return i18n.format_compact_money(props.get("expenditure"))
    if layer == "project_count":
        count = props.get("project_count") or 0
        return i18n.ngettext("%(num)s project", "%(num)s projects", count)
    if layer == "budget_vs_actual":
        return i18n.gettext("spent %(share)s of the budget", share=i18n.format_percent(props.get("value")))
    return i18n.format_compact_money(props.get("expenditure"))


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
    """(colour, text) per class of the layer response's legend, its bounds in the short forms of the map's."""
    legend = data.get("legend")
    if not legend:
        return [(POINT_COLOR, i18n.gettext("one project"))]
    kind = "count" if data.get("aggregated") else legend_kind(layer_name)
    rows = [(row["color"], i18n.format_range(row["min"], row["max"], kind)) for row in legend["classes"]]
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

