"""Display geometry of every area, serialised per level once per data version (the snapshot holds it)."""
import json

import shapely

from mapservice.store import tables
from mapservice.store.models import LEVELS

# Decimal places kept per level: about 110 m for provinces, 11 m for districts and communes
# (RFC 7946 recommends trimming; the display geometry is simplified coarser than that anyway).
PRECISION = {"province": 3, "district": 4, "commune": 4}


class AreaGeometry:
    """Display geometry of every area, as GeoJSON text trimmed per level, built once per data version."""

    def __init__(self, session):
        self.areas = {}
        for level in LEVELS:
            frame = tables.load_areas(session, level, display=True)
            # RFC 7946: exterior rings counter-clockwise, holes clockwise
            rounded = shapely.orient_polygons(frame.geometry.set_precision(10 ** -PRECISION[level]).values,
                                              exterior_cw=False)
            self.areas[level] = {
                code: {"name_km": km, "name_en": en, "parent_code": parent,
                       "label": [round(lon, 5), round(lat, 5)],
                       "geometry": json.dumps(geometry.__geo_interface__, separators=(",", ":"))}
                for code, km, en, parent, lon, lat, geometry in zip(
                    frame["code"], frame["name_km"], frame["name_en"], frame["parent_code"],
                    frame["label_lon"], frame["label_lat"], rounded)
            }

    def codes(self):
        return {code for level in self.areas.values() for code in level}

    def within(self, level, filters):
        """Codes of a level inside the area filters (e.g. the communes of province 01)."""
        prefixes = filters.commune or filters.district or filters.province
        return [code for code in self.areas[level] if not prefixes or code.startswith(prefixes)
                or any(p.startswith(code) for p in prefixes)]
