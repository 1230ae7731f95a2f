"""The name of every prebuilt file, one function per kind: the build writes under these names and the web looks
them up with the same functions, so the two cannot disagree. A name is also the file's path in its version folder."""
LAYER_KINDS = ("choropleth", "outline")  # the layers that depend only on level and year (points follow the view)


def layer(name, level, year=None):
    """A map layer's GeoJSON for one level and one fiscal year (None = all years)."""
    return f"layers/{name}/{level}/{year or 'all'}.geojson"


def dataset(dataset_id, fmt):
    return f"datasets/{dataset_id}.{fmt}"


def download(fmt, lang=None):
    """The full project download; ``lang`` only for the formats whose headers are in a language."""
    return f"downloads/projects{f'-{lang}' if lang else ''}.{fmt}"


OC4IDS_PACKAGE = "oc4ids/projects.json"


def tilejson(layer_name, year=None):
    """A tile layer's TileJSON, unfiltered or for one fiscal year (its tile URLs then ask for that year)."""
    return f"tiles/{layer_name}{f'-{year}' if year else ''}.json"


def tile(layer_name, z, x, y, year=None):
    """One tile of a layer, unfiltered or for one fiscal year (a folder per year beside the layer's)."""
    return f"tiles/{layer_name}{f'-{year}' if year else ''}/{z}/{x}/{y}.mvt"


# The tile layers also built per fiscal year: the project points, whose low-zoom tiles read every project of the
# year under the tile (461 ms for a z6 tile at 1M projects on PostGIS). The area layers' tiles cost the same with
# or without a year (their geometry; the totals are one query) and stay rendered per request.
YEAR_TILE_LAYERS = ("projects",)


def one_year(params):
    """The fiscal year when the normalised filters (``Filters.as_params()``) are one year and nothing else."""
    year = params.get("year", "")
    return int(year) if set(params) == {"year"} and year.isdigit() else None
