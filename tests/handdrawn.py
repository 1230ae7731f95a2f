"""Hand-drawn communes near Sisophon (real codes, square shapes) for rules that must hold exactly.

    13.2 +-----------------------+
         |  010301 (with a hole) |
    13.1 +-----------+-----------+
         |  010201   |  010202   |
    13.0 +-----------+-----------+
       103.0       103.1       103.2
"""
import geopandas as gpd
import shapely

SQUARE_A = shapely.box(103.0, 13.0, 103.1, 13.1)
SQUARE_B = shapely.box(103.1, 13.0, 103.2, 13.1)
WITH_HOLE = shapely.Polygon(
    [(103.0, 13.1), (103.2, 13.1), (103.2, 13.2), (103.0, 13.2)],
    holes=[[(103.05, 13.12), (103.08, 13.12), (103.08, 13.15), (103.05, 13.15)]],
)
ON_SHARED_BORDER = (103.1, 13.05)
ON_THREE_WAY_CORNER = (103.1, 13.1)
IN_HOLE = (103.06, 13.13)
OUTSIDE_EVERY_COMMUNE = (103.5, 13.5)
INSIDE_A, INSIDE_B, INSIDE_C = (103.05, 13.05), (103.15, 13.05), (103.15, 13.15)


def communes():
    frame = gpd.GeoDataFrame(
        {"code": ["010201", "010202", "010301"]},
        geometry=[SQUARE_A, SQUARE_B, WITH_HOLE], crs=4326,
    )
    label = frame.geometry.representative_point()
    return frame.assign(label_lon=label.x, label_lat=label.y)


def boundary_files(directory):
    """Write the squares as three GeoJSON levels with their own field names (a custom layout)."""
    communes_frame = communes()[["code", "geometry"]].rename(columns={"code": "COMMUNE_ID"})
    communes_frame["LATIN"] = ["x", "y", "z"]
    districts = gpd.GeoDataFrame({"COMMUNE_ID": ["0102", "0103"]},
                                 geometry=[SQUARE_A.union(SQUARE_B), WITH_HOLE], crs=4326)
    provinces = gpd.GeoDataFrame({"COMMUNE_ID": ["01"]}, geometry=[shapely.box(103.0, 13.0, 103.2, 13.2)], crs=4326)
    paths = {}
    for level, frame in (("province", provinces), ("district", districts), ("commune", communes_frame)):
        paths[level] = directory / f"{level}.geojson"
        frame.to_file(paths[level], driver="GeoJSON")
    return paths
