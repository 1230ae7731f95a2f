"""What is at a set of points: the codes and names of the province, district and commune holding each one
(`mapservice locate`; its CSV is read by ``ingest.points`` and written by ``formats.located``)."""
from mapservice.store.spatial import locate_points

ADDED_COLUMNS = [f"{level}_{part}" for level in ("province", "district", "commune")
                 for part in ("code", "name_km", "name_en")]


def locate_rows(lon, lat, areas):
    """For each point, the codes and names of its province, district and commune ('' outside Cambodia)."""
    commune_codes = locate_points(lon, lat, areas["commune"])
    names = {level: frame.set_index("code")[["name_km", "name_en"]].to_dict("index") for level, frame in areas.items()}
    result = []
    for commune in commune_codes:
        values = []
        for level, length in (("province", 2), ("district", 4), ("commune", 6)):
            code = commune[:length] if commune else None
            entry = names[level].get(code, {}) if code else {}
            values += [code or "", entry.get("name_km", ""), entry.get("name_en", "")]
        result.append(values)
    return result
