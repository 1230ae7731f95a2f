"""OGC API - Tiles under /ogc read by GDAL, over a real HTTP server: the OGCAPI driver discovers the vector tiles
from a collection (tilesets -> tileset metadata -> tiling scheme -> tile template) and reads their features; the
Debian ogrinfo (GDAL 3.6) reads an OGC API tile with its MVT driver.

GDAL 3.6.2 as Debian builds it cannot read vector tiles through the OGCAPI driver at all: its vector-tile code is
compiled out (OGR_ENABLE_DRIVER_GML was not set for the driver, fixed in GDAL 3.7.1, OSGeo/gdal#7993; opening fails
silently after the tiling scheme is read). The OGCAPI test therefore uses the GDAL bundled with pyogrio (3.7 or
later), the one Python users have. Tile arithmetic here is the textbook slippy-map formula."""
import json
import math
import os
import subprocess
import sys

import pytest

from tests.test_ogc import ALL_IDS, loaded, run, server  # noqa: F401 (fixtures)

# Cambodia in EPSG:3857 metres: GDAL's OGCAPI driver reads the collection's CRS84 extent as coordinates of the
# tile matrix set, so without these options it offers only the zoom levels whose tiles span the whole world
CAMBODIA_METRES = {"MINX": 11391000, "MINY": 1158000, "MAXX": 11981000, "MAXY": 1635000}


def tile_of(lon, lat, z):
    n = 2 ** z
    return int((lon + 180) / 360 * n), int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)


# Run in a child process: pyogrio holds the GIL while GDAL waits for the server, which runs in this one.
READ_TILES = """
import json, sys
import pyogrio
url, options = sys.argv[1], json.loads(sys.argv[2])
frame = pyogrio.read_dataframe(url, layer="Zoom level 8", **options)
points = frame.geom_type.eq("Point").all()
if points:
    frame = frame.assign(x=frame.geometry.x.round(1), y=frame.geometry.y.round(1))
rows = json.loads(frame.drop(columns="geometry").to_json(orient="records"))
print(json.dumps({"gdal": pyogrio.__gdal_version_string__, "crs": str(frame.crs), "columns": list(frame.columns),
                  "layers": [name for name, _ in pyogrio.list_layers(url)],
                  "rows": {row["project_id"]: row for row in rows} if points else rows}))
"""


def read_tiles(url, **options):
    done = subprocess.run([sys.executable, "-c", READ_TILES, url, json.dumps(options)], check=False,
                          capture_output=True, text=True, timeout=300, env={**os.environ, "NO_PROXY": "127.0.0.1"})
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_gdal_ogcapi_driver_discovers_and_reads_the_vector_tiles(server):
    projects = read_tiles(f"OGCAPI:{server}/collections/projects", **CAMBODIA_METRES)
    major, minor = (int(part) for part in projects["gdal"].split(".")[:2])
    assert (major, minor) >= (3, 7), "the OGCAPI driver reads vector tiles from GDAL 3.7.1 on"
    assert projects["layers"][:2] == ["Zoom level 0", "Zoom level 1"]  # listed without the options: see above
    assert projects["crs"] == "EPSG:3857"
    assert sorted(projects["rows"]) == ALL_IDS  # each at its point or its commune's
    road = projects["rows"]["BMC-2016-001"]
    assert (road["sector"], road["fiscal_year"], road["budget"], road["expenditure"]) == (
        "rural_road", 2016, 120000000, 108500000)
    assert (road["x"], road["y"]) == pytest.approx((11454776.6, 1534091.2), abs=1)
    communes = read_tiles(f"OGCAPI:{server}/collections/commune-statistics", **CAMBODIA_METRES)
    changha = [row for row in communes["rows"] if row["code"] == "010501"]
    assert changha and {(r["project_count"], r["budget"], r["contract_value"], r["expenditure"]) for r in changha} == {
        (1, 120000000, 110000000, 108500000)}  # a polygon cut by tile edges comes once per tile
    assert {"code", "project_count", "budget", "contract_value", "expenditure"} <= set(communes["columns"])


def test_debian_gdal_reads_an_ogc_api_tile(server, tmp_path):
    x, y = tile_of(102.9, 13.65, 8)
    path = tmp_path / "tile.mvt"
    run("curl", "-sSf", "-o", str(path), f"{server}/collections/projects/tiles/WebMercatorQuad/8/{y}/{x}")
    info = run("ogrinfo", "-ro", "-al", "-oo", f"X={x}", "-oo", f"Y={y}", "-oo", "Z=8", str(path))
    assert "Layer name: projects" in info
    assert "project_id (String) = BMC-2016-001" in info and "budget (Integer) = 120000000" in info
    # the tileset metadata GDAL 3.6 reads before it gives up: dataType, self, tiling scheme, MVT template
    done = subprocess.run(["ogrinfo", "-ro", "-so", f"OGCAPI:{server}/collections/projects", "--debug", "on"],
                          check=False, capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "NO_PROXY": "127.0.0.1"})
    fetched = [line.split("Fetch(", 1)[1].rstrip(")") for line in done.stderr.splitlines() if "Fetch(" in line]
    assert fetched[:4] == [f"{server}/collections/projects", f"{server}/collections/projects/tiles",
                           f"{server}/collections/projects/tiles/WebMercatorQuad",
                           f"{server}/tileMatrixSets/WebMercatorQuad"]
