"""Boundary import: the real 2014 set, a custom layout drawn by hand, and every way a file can be wrong."""
import geopandas as gpd
import pytest
import shapely

from mapservice.ingest.pipelines import import_boundaries
from mapservice.ingest.records import SourceError
from mapservice.store import tables
from tests import handdrawn as hd

CUSTOM = {"code_field": "COMMUNE_ID"}


def test_real_boundaries_three_levels_with_khmer_names(db):
    assert db.rows("SELECT level, count(*) FROM admin_area GROUP BY level ORDER BY level") == [
        ("commune", 1633), ("district", 197), ("province", 25)]
    assert db.scalar("SELECT count(*) FROM admin_area WHERE name_km IS NULL OR name_km = '' OR name_en = ''") == 0
    assert db.rows("SELECT code, name_km, name_en, unit_type_en FROM admin_area WHERE code IN ('01', '0105', '010501', '1201') "
                   "ORDER BY code") == [("01", "បន្ទាយមានជ័យ", "Banteay Meanchey", "Province"),
                                        ("0105", "អូរជ្រៅ", "Ou Chrov", "District"),
                                        ("010501", "ចង្ហា", "Changha", "Commune"),
                                        ("1201", "ចំការមន", "Chamkar Mon", "Khan")]
    # every child's parent is stored
    assert db.scalar("SELECT count(*) FROM admin_area c LEFT JOIN admin_area p ON p.code = c.parent_code "
                     "WHERE c.level != 'province' AND p.code IS NULL") == 0
    assert db.scalar("SELECT count(*) FROM code_alias") == 91
    assert db.scalar("SELECT code_2014 FROM code_alias WHERE code = '120608'") == "120601"


def test_display_geometry_is_a_coverage_simplification(db):
    with db.sessions() as session:
        full = tables.load_areas(session, "commune")
        display = tables.load_areas(session, "commune", display=True)
    assert shapely.coverage_is_valid(display.geometry.values)  # no overlaps, shared edges still shared
    assert shapely.get_num_coordinates(display.geometry.values).sum() < 0.8 * shapely.get_num_coordinates(full.geometry.values).sum()
    # simplification moves areas by little
    ratio = display.to_crs(32648).area.sum() / full.to_crs(32648).area.sum()
    assert 0.99 < ratio < 1.01


def test_province_areas_sum_to_their_communes(db):
    provinces = db.scalar("SELECT sum(area_km2) FROM admin_area WHERE level = 'province'")
    communes = db.scalar("SELECT sum(area_km2) FROM admin_area WHERE level = 'commune'")
    assert provinces == pytest.approx(communes, rel=1e-6)
    assert provinces == pytest.approx(181_000, rel=0.02)  # Cambodia is about 181,035 km2


def _import_custom(db, paths, **kwargs):
    for level in ("province", "district", "commune"):
        import_boundaries(db.sessions, db.config, preset=None, level=level, file=paths[level],
                          overrides=kwargs.get("overrides", CUSTOM))


@pytest.mark.parametrize("driver, suffix", [("GeoJSON", ".geojson"), ("GPKG", ".gpkg"), ("ESRI Shapefile", ".shp")])
def test_custom_layout_in_each_format_and_projection(empty_db, tmp_path, driver, suffix):
    paths = hd.boundary_files(tmp_path)
    for level, path in list(paths.items()):
        # a projected copy: the importer reprojects it back to EPSG:4326
        target = tmp_path / f"{level}-utm{suffix}"
        gpd.read_file(path).to_crs(32648).to_file(target, driver=driver)
        paths[level] = target
    _import_custom(empty_db, paths)
    rows = sorted(empty_db.rows("SELECT code, parent_code, name_en, name_km FROM admin_area"))
    assert rows == [("01", None, "Banteay Meanchey", "បន្ទាយមានជ័យ"), ("0102", "01", "Mongkol Borei", "មង្គលបូរី"),
                    ("010201", "0102", "Banteay Neang", "បន្ទាយនាង"), ("010202", "0102", "Bat Trang", "បត់ត្រង់"),
                    ("0103", "01", "Phnum Srok", "ភ្នំស្រុក"), ("010301", "0103", "Nam Tau", "ណាំតៅ")]
    with empty_db.sessions() as session:
        communes = tables.load_areas(session, "commune")
    geometry = communes.set_index("code").geometry
    assert geometry["010201"].normalize().equals_exact(shapely.MultiPolygon([hd.SQUARE_A]).normalize(), 1e-6)
    assert len(geometry["010301"].geoms[0].interiors) == 1  # the hole survives import


def test_ocha_preset_with_p_codes(empty_db, tmp_path):
    paths = hd.boundary_files(tmp_path)
    fields = {"province": "ADM1_PCODE", "district": "ADM2_PCODE", "commune": "ADM3_PCODE"}
    for level, path in paths.items():
        frame = gpd.read_file(path).rename(columns={"COMMUNE_ID": fields[level]})
        frame[fields[level]] = "KH" + frame[fields[level]]
        frame[fields[level].replace("PCODE", "EN")] = "name"
        frame.to_file(path, driver="GeoJSON")
    for level in ("province", "district", "commune"):
        import_boundaries(empty_db.sessions, empty_db.config, preset="ocha", level=level, file=paths[level])
    assert sorted(r[0] for r in empty_db.rows("SELECT code FROM admin_area")) == [
        "01", "0102", "010201", "010202", "0103", "010301"]


def test_self_intersecting_polygon_is_repaired(empty_db, tmp_path):
    paths = hd.boundary_files(tmp_path)
    bowtie = shapely.Polygon([(103.0, 13.0), (103.1, 13.1), (103.1, 13.0), (103.0, 13.1)])
    frame = gpd.read_file(paths["commune"])
    frame.loc[0, "geometry"] = bowtie
    frame.to_file(paths["commune"], driver="GeoJSON")
    _import_custom(empty_db, paths)
    assert empty_db.scalar("SELECT count(*) FROM admin_area WHERE level = 'commune'") == 3
    with empty_db.sessions() as session:
        assert tables.load_areas(session, "commune").geometry.is_valid.all()


def _break(paths, level, change):
    frame = gpd.read_file(paths[level])
    frame = change(frame)
    if frame is not None:
        frame.to_file(paths[level], driver="GeoJSON")


def _duplicate(frame):
    frame.loc[1, "COMMUNE_ID"] = frame.loc[0, "COMMUNE_ID"]
    return frame


def _unknown(frame):
    frame.loc[0, "COMMUNE_ID"] = "019999"
    return frame


def _line(frame):
    frame.loc[0, "geometry"] = shapely.LineString([(103.0, 13.0), (103.1, 13.1)])
    return frame


def _district_code(frame):
    frame.loc[0, "COMMUNE_ID"] = "0102"
    return frame


@pytest.mark.parametrize("change, message", [
    (_duplicate, "commune.geojson: code(s) 010201 appear more than once"),
    (_unknown, "commune.geojson: code(s) 019999 are not in the NCDD gazetteer 2014"),
    (_line, "commune.geojson: feature(s) 010201 are not polygons"),
    (_district_code, "commune.geojson: code(s) 0102 are not commune codes (6 digits, optionally prefixed KH)"),
    (lambda f: f.rename(columns={"COMMUNE_ID": "CODE"}), "commune.geojson: missing field(s) COMMUNE_ID; the file has CODE, LATIN"),
])
def test_bad_commune_file_changes_nothing(empty_db, tmp_path, change, message):
    paths = hd.boundary_files(tmp_path)
    for level in ("province", "district"):
        import_boundaries(empty_db.sessions, empty_db.config, preset=None, level=level, file=paths[level], overrides=CUSTOM)
    _break(paths, "commune", change)
    before = empty_db.fingerprint()
    with pytest.raises(SourceError) as error:
        import_boundaries(empty_db.sessions, empty_db.config, preset=None, level="commune", file=paths["commune"],
                          overrides=CUSTOM)
    assert str(error.value).endswith(message)
    assert empty_db.fingerprint() == before


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty"),
    (b"{not json", "not a readable vector file"),
    (b'{"type": "FeatureCollection", "features": []}', "no features"),
])
def test_unreadable_files(empty_db, tmp_path, content, message):
    path = tmp_path / "commune.geojson"
    path.write_bytes(content)
    with pytest.raises(SourceError, match=message):
        import_boundaries(empty_db.sessions, empty_db.config, preset=None, level="commune", file=path, overrides=CUSTOM)


def test_oversized_file_is_refused_before_reading(empty_db, tmp_path):
    paths = hd.boundary_files(tmp_path)
    empty_db.config["MAPSERVICE_MAX_IMPORT_BYTES"] = 100
    with pytest.raises(SourceError, match=r"bytes is larger than MAPSERVICE_MAX_IMPORT_BYTES \(100\)"):
        import_boundaries(empty_db.sessions, empty_db.config, preset=None, level="province", file=paths["province"],
                          overrides=CUSTOM)


def test_orphan_district_is_refused(empty_db, tmp_path):
    paths = hd.boundary_files(tmp_path)
    with pytest.raises(SourceError, match="district parent.s. 01 are not stored; import the province level first"):
        import_boundaries(empty_db.sessions, empty_db.config, preset=None, level="district", file=paths["district"],
                          overrides=CUSTOM)


def test_manifest_matches_the_shared_files(tmp_path):
    import json

    from mapservice.ingest.boundaries import MANIFEST, manifest_mismatch
    from tests.conftest import DATA_DIR

    levels = json.loads(MANIFEST.read_text(encoding="utf-8"))["levels"]
    for level, entry in levels.items():
        assert manifest_mismatch(DATA_DIR, level, f"{DATA_DIR}/{entry['file']}") is None
    copy = tmp_path / levels["province"]["file"]
    copy.parent.mkdir(parents=True)
    copy.write_bytes(b"{}")
    assert "differs from data/boundaries/manifest.json" in manifest_mismatch(tmp_path, "province", copy)
