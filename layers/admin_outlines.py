"""Outlines and names of the provinces, districts or communes (no data; the base of every map)."""
from layers.base import Layer, area_feature, feature_collection


def build(layer, session, areas, filters, level, options):
    features = [area_feature(code, level, areas.areas[level][code],
                             {"parent_code": areas.areas[level][code]["parent_code"],
                              "label": areas.areas[level][code]["label"]})
                for code in areas.within(level, filters)]
    return feature_collection(features, {"layer": layer.name, "level": level, "filters": filters.as_params()})


LAYER = Layer(
    name="admin_outlines",
    title={"km": "ព្រំដែនរដ្ឋបាល", "en": "Administrative boundaries"},
    description={"km": "ព្រំដែនខេត្ត ស្រុក និងឃុំ ឆ្នាំ២០១៤", "en": "Province, district and commune boundaries (2014)"},
    legend_title={"km": "ព្រំដែន", "en": "Boundaries"},
    kind="outline",
    build=build,
    filters=("province", "district", "commune"),
    popup_fields=("name_km", "name_en", "code"),
)
