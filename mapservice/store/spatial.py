"""Which commune holds a point: one rule for the import's join (``ingest.join``) and for the read side's
``locate``: vectorised point-in-polygon over an STRtree; a point on a border shared by several communes goes to
the lowest commune code, so the answer never depends on row or polygon order."""
import numpy as np
import shapely


def locate_points(lon, lat, communes, tree=None):
    """Return the commune code holding each point (None outside every commune).

    Parameters
    ----------
    lon, lat : array-like of float (NaN for no point)
    communes : GeoDataFrame with ``code`` and polygon geometry
    tree : ``shapely.STRtree`` of ``communes.geometry`` when the caller built it once (an import's chunks)
    """
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    result = np.full(len(lon), None, dtype=object)
    has_point = ~(np.isnan(lon) | np.isnan(lat))
    if not has_point.any() or communes.empty:
        return result
    points = shapely.points(lon[has_point], lat[has_point])
    if tree is None:
        tree = shapely.STRtree(communes.geometry.values)
    point_index, polygon_index = tree.query(points, predicate="intersects")
    codes = communes["code"].to_numpy()[polygon_index]
    # lowest code wins on shared borders: sort by (point, code) and keep the first per point
    order = np.lexsort((codes, point_index))
    first = np.unique(point_index[order], return_index=True)[1]
    chosen = np.full(len(points), None, dtype=object)
    chosen[point_index[order][first]] = codes[order][first]
    result[has_point] = chosen
    return result
