"""A CSV of points (`mapservice locate`): its rows and their coordinates, with a named error for each bad one."""
import csv

import numpy as np

from mapservice.ingest.records import SourceError


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
