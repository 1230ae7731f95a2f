"""The map's state in the URL: layer, level (``auto`` = by zoom), filters, position and view, parsed and
validated from query parameters (any mapping with ``get``, as ``filters.parse_filters`` takes), and the level a
state draws. No Flask: the map page, the embed and the exports read it from ``request.args``."""
from dataclasses import dataclass, field

from mapservice.read import budgets
from mapservice.read.filters import FilterError, Filters, parse_filters
from mapservice.store.budget_vocabulary import BUDGET_LEVELS
from mapservice.store.models import LEVELS

MAP_LAYERS = ("project_points", "project_count", "expenditure", "budget_vs_actual", "budget_by_area")
# layers drawn at some levels only: districts and communes hold budgets, provinces do not
LAYER_LEVELS = {"budget_by_area": BUDGET_LEVELS}
LAYER_FILTERS = {"budget_by_area": budgets.FILTERS}  # the budget layer takes no project filters (sector...)
DEFAULT_LAYER = "expenditure"
LEVEL_CHOICES = ("auto",) + LEVELS
VIEWS = ("map", "table")
CHILD = {"province": "district", "district": "commune", "commune": "commune"}
CAMBODIA = {"lat": 12.6, "lon": 104.9, "zoom": 7}


def shown_level(asked, zoom, area_level, levels=LEVELS):
    """The level drawn: the one asked for, or with ``auto`` the deepest of the zoom's level (province below 8,
    district below 10, commune from 10), the level below the selected area and the layer's coarsest level."""
    if asked != "auto":
        return asked
    by_zoom = "province" if zoom < 8 else "district" if zoom < 10 else "commune"
    by_area = CHILD[area_level] if area_level else "province"
    return max(by_zoom, by_area, levels[0], key=LEVELS.index)


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
        return shown_level(self.level, zoom, self.area_level, LAYER_LEVELS.get(self.layer, LEVELS))

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
    taken = LAYER_FILTERS.get(values["layer"])
    other = [name for name in filters.as_params() if taken and name not in taken]
    if other:
        raise FilterError(other[0], filters.as_params()[other[0]],
                          f"no {other[0]} filter on the {values['layer']} layer (it takes {', '.join(taken)})")
    levels = LAYER_LEVELS.get(values["layer"], LEVELS)
    if values["level"] not in ("auto", *levels):
        raise FilterError("level", values["level"], f"auto or {' or '.join(levels)} for the {values['layer']} layer")
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
