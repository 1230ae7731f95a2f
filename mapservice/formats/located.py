"""The CSV `mapservice locate` writes: the input rows with the codes and names of their areas appended."""
from mapservice.formats.csv_cells import csv_writer
from mapservice.read.locate import ADDED_COLUMNS


def write_located_csv(out, header, rows, located):
    writer = csv_writer(out, lineterminator="\n")
    writer.writerow(header + ADDED_COLUMNS)
    for row, values in zip(rows, located):
        writer.writerow(row + values)
