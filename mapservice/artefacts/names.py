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


def tilejson(layer_name):
    return f"tiles/{layer_name}.json"


def tile(layer_name, z, x, y):
    return f"tiles/{layer_name}/{z}/{x}/{y}.mvt"
