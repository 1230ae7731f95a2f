"""Map pictures for reports: a choropleth or a project map drawn with geopandas and matplotlib into a PNG of an
exact size, with title, legend and credits in Khmer or English (a Khmer-capable font is looked up once). No Flask:
the caller gives the already translated texts and the GeoJSON features."""
import io
import logging
import math
from dataclasses import dataclass, field
from functools import lru_cache

import geopandas as gpd
from matplotlib import font_manager, patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

logger = logging.getLogger(__name__)

DPI = 100
KHMER_FONTS = ("Noto Sans Khmer", "Khmer OS", "Khmer OS System", "Khmer OS Content", "Noto Serif Khmer")
FALLBACK_FONT = "DejaVu Sans"  # matplotlib's own font: Latin, digits and symbols the Khmer fonts lack
MAX_LABELS = 40
HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]


@dataclass
class Picture:
    """What to draw. Features are GeoJSON dicts whose properties carry ``color`` (and ``size`` for points)."""

    title: str
    subtitle: str
    legend_title: str
    legend: list  # (colour, text) pairs, in order
    areas: list = field(default_factory=list)
    points: list = field(default_factory=list)
    outlines: list = field(default_factory=list)
    labels: list = field(default_factory=list)  # (lon, lat, text)
    footer: str = ""
    notice: str = ""  # drawn in a box at the top right (e.g. that the data are a SAMPLE)


@lru_cache(maxsize=1)
def font_family():
    """Font names for every text: the first installed Khmer-capable font, then matplotlib's DejaVu Sans."""
    installed = {font.name for font in font_manager.fontManager.ttflist}
    khmer = next((name for name in KHMER_FONTS if name in installed), None)
    if khmer is None:
        logger.warning("no Khmer-capable font found (looked for %s; Debian: apt-get install fonts-noto-core "
                       "fonts-khmeros): Khmer text in PNG maps will show as empty boxes", ", ".join(KHMER_FONTS))
        return [FALLBACK_FONT]
    logger.info("PNG maps use the font %s", khmer)
    return [khmer, FALLBACK_FONT]


def render_png(picture, width, height):
    """The picture as PNG bytes of exactly ``width`` x ``height`` pixels; title and subtitle also go into
    the PNG's metadata (Title, Description)."""
    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    wide = width >= 600
    top = 1 - _draw_heading(figure, picture, height)
    bottom = 28 / height
    if wide:
        map_box = [0.02, bottom, 0.70, top - bottom]
    else:
        legend_height = (len(picture.legend) + 1) // 2 * 20 / height + 40 / height
        map_box = [0.02, bottom + legend_height, 0.96, top - bottom - legend_height]
    axes = figure.add_axes(map_box)
    _draw_map(axes, picture)
    _draw_legend(figure, picture, wide, top, bottom)
    figure.text(0.01, 8 / height, picture.footer, fontsize=7, color="#444444", family=font_family())
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI,
                   metadata={"Title": picture.title, "Description": picture.subtitle, "Source": picture.footer})
    return buffer.getvalue()


def _draw_heading(figure, picture, height):
    """Title, subtitle and notice; returns the figure fraction they take at the top."""
    family = font_family()
    figure.text(0.02, 1 - 10 / height, picture.title, va="top", fontsize=16, weight="bold", family=family)
    figure.text(0.02, 1 - 44 / height, picture.subtitle, va="top", fontsize=10, color="#333333", family=family)
    if picture.notice:
        figure.text(0.98, 1 - 10 / height, picture.notice, va="top", ha="right", fontsize=9, family=family,
                    color="#5c4400", bbox={"facecolor": "#fff3cd", "edgecolor": "#e0c36a", "boxstyle": "round"})
    return 72 / height


def _frame(features):
    return gpd.GeoDataFrame.from_features(features, crs="EPSG:4326") if features else None


def _draw_map(axes, picture):
    areas, outlines, points = (_frame(f) for f in (picture.areas, picture.outlines, picture.points))
    if areas is not None:
        areas.plot(ax=axes, color=areas["color"], edgecolor="#666666", linewidth=0.3 if len(areas) > 200 else 0.6)
    if outlines is not None:
        outlines.boundary.plot(ax=axes, color="#333333", linewidth=0.9)
    if points is not None:
        axes.scatter(points.geometry.x, points.geometry.y, s=points["size"], c=points["color"],
                     edgecolors="#333333", linewidths=0.5, zorder=3)
    for lon, lat, text in picture.labels[:MAX_LABELS]:
        axes.annotate(text, (lon, lat), ha="center", va="center", fontsize=7, family=font_family(),
                      path_effects=HALO, zorder=4)
    _fit(axes, [frame for frame in (areas, outlines, points) if frame is not None])


def _fit(axes, frames):
    """Show every feature with a small margin, at the map's true shape (degrees shortened by latitude)."""
    axes.set_axis_off()
    if not frames:
        return
    bounds = [frame.total_bounds for frame in frames]
    west, south = min(b[0] for b in bounds), min(b[1] for b in bounds)
    east, north = max(b[2] for b in bounds), max(b[3] for b in bounds)
    margin = max(east - west, north - south, 0.01) * 0.03
    axes.set_xlim(west - margin, east + margin)
    axes.set_ylim(south - margin, north + margin)
    axes.set_aspect(1 / math.cos(math.radians((south + north) / 2)))
    axes.set_anchor("C")


def _draw_legend(figure, picture, wide, top, bottom):
    family = font_family()
    handles = [Patch(facecolor=color, edgecolor="#666666", label=text) if not picture.points else
               Line2D([], [], marker="o", linestyle="", markerfacecolor=color, markeredgecolor="#333333",
                      markersize=9, label=text) for color, text in picture.legend]
    if wide:
        placement = {"loc": "upper left", "bbox_to_anchor": (0.74, top - 0.02), "ncols": 1}
    else:
        placement = {"loc": "lower left", "bbox_to_anchor": (0.02, bottom), "ncols": 2}
    legend = figure.legend(handles=handles, title=picture.legend_title, frameon=False, prop={"family": family,
                           "size": 9}, title_fontproperties={"family": family, "size": 10, "weight": "bold"},
                           alignment="left", **placement)
    return legend
