"""What depends only on the data, built once per data version and shared by every request: area geometry
serialised per level, the set of area codes (for validating filters), the place index, whether SAMPLE data are
loaded, what is derived from the data on first use (the quality report, the datasets' context), and the cache of
rendered responses. A request only asks the database for the current version number."""
import logging
import threading
from dataclasses import dataclass, field

from mapservice.read import areas as area_queries
from mapservice.read.cache import LRU
from mapservice.read.geometry import AreaGeometry
from mapservice.read.places import PlaceIndex
from mapservice.store import tables

logger = logging.getLogger(__name__)


@dataclass
class Snapshot:
    version: int
    areas: AreaGeometry
    area_codes: set
    places: PlaceIndex
    communes: object  # GeoDataFrame of the full commune polygons, for /api/v1/locate
    sample: bool  # generated SAMPLE data are loaded (every page, file and picture says so)
    responses: LRU = field(default_factory=lambda: LRU(256))
    derived: dict = field(default_factory=dict)

    def memo(self, name, build):
        """``build()`` once per data version (a race builds it twice at worst, with the same result)."""
        if name not in self.derived:
            self.derived[name] = build()
        return self.derived[name]


class DataState:
    """Holds the current snapshot; rebuilds it when an import has bumped the data version."""

    def __init__(self):
        self.snapshot = None
        self.lock = threading.Lock()

    def current(self, session):
        version = tables.data_version(session)
        snapshot = self.snapshot
        if snapshot is not None and snapshot.version == version:
            return snapshot
        with self.lock:
            if self.snapshot is None or self.snapshot.version != version:
                areas = AreaGeometry(session)
                self.snapshot = Snapshot(version=version, areas=areas, area_codes=areas.codes(),
                                         places=PlaceIndex(areas.areas, tables.load_name_variants(session)),
                                         communes=tables.load_areas(session, "commune"),
                                         sample=area_queries.has_sample_data(session))
                logger.info("data snapshot built for version %s", version)
            return self.snapshot
