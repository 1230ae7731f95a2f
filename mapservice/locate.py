"""`mapservice locate`: append province, district and commune codes and names to the rows of a CSV."""
import csv

import numpy as np

from mapservice.ingest.records import SourceError
from mapservice.join import locate_points

ADDED_COLUMNS = [f"{level}_{part}" for level in ("province", "district", "commune")
                 for part in ("code", "name_km", "name_en")]


def read_points_csv(path, lon_column, lat_column):
    """Read a UTF-8 CSV; return (header, rows, lon array, lat array); blank coordinates are NaN."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            rows = list(reader)
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    except FileNotFoundError as exc:
        raise SourceError(f"{path}: file not found") from exc
    if not header:
        raise SourceError(f"{path}: the file is empty")
    for column in (lon_column, lat_column):
        if column not in header:
            raise SourceError(f"{path}: no column {column!r}; the columns are {', '.join(header)}")
    lon = _coordinates(path, rows, header.index(lon_column), lon_column)
    lat = _coordinates(path, rows, header.index(lat_column), lat_column)
    return header, rows, lon, lat


def _coordinates(path, rows, index, column):
    values = np.full(len(rows), np.nan)
    for number, row in enumerate(rows):
        text = row[index].strip() if index < len(row) else ""
        if text:
            try:
                values[number] = float(text)
            except ValueError:
                raise SourceError(f'{path}, line {number + 2}: {column} was "{text}"; expected a decimal degree') from None
    return values


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


def write_located_csv(out, header, rows, located):
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header + ADDED_COLUMNS)
    for row, values in zip(rows, located):
        writer.writerow(row + values)
