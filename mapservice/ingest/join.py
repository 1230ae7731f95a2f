"""The spatial join of project records to communes (pure functions on frames, no database).

Rules (docs/architecture.md, "The join"):
1. stated codes are already normalised to 2014 commune codes by ``ingest.records``;
2. a point is assigned by vectorised point-in-polygon (an STRtree over the communes); a point on a
   border shared by several communes goes to the lowest commune code, so the result never depends on
   row or polygon order;
3. where the stated commune and the point's commune differ, the stated commune keeps the money and the
   point stays where it is: join_status "conflict";
4. a record with a code and no point is placed at its commune's representative point (precision "commune").
"""
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from mapservice.store.spatial import locate_points


@dataclass
class PreparedCommunes:
    """The communes a big import joins each of its chunks to: the frame, its spatial index and the label points,
    built once per import."""

    frame: object
    tree: shapely.STRtree
    labels: pd.DataFrame


def prepare_communes(communes):
    """``communes`` (code, geometry, label_lon, label_lat) with the index the join of every chunk shares."""
    return PreparedCommunes(communes, shapely.STRtree(communes.geometry.values),
                            communes.set_index("code")[["label_lon", "label_lat"]])


def join_projects_to_communes(records, communes):
    """Add point_code, commune/district/province codes, join_status, location_precision and the placed point.

    ``records`` needs ``commune_code`` (stated, normalised; None if not given), ``lon`` and ``lat``.
    ``communes`` needs ``code``, geometry, ``label_lon`` and ``label_lat``; or is ``prepare_communes(communes)``.
    """
    prepared = communes if isinstance(communes, PreparedCommunes) else prepare_communes(communes)
    out = records.copy()
    stated = out["commune_code"].astype(object).where(out["commune_code"].notna(), None)
    point_code = locate_points(out["lon"], out["lat"], prepared.frame, prepared.tree)
    has_point = out["lon"].notna().to_numpy() & out["lat"].notna().to_numpy()
    has_code = stated.notna().to_numpy()
    in_commune = pd.notna(point_code)
    status = np.select(
        [has_code & has_point & in_commune & (stated.to_numpy() == point_code),
         has_code & has_point,
         has_code,
         in_commune],
        ["agree", "conflict", "code_only", "point_only"],
        default="unmatched",
    )
    out["point_code"] = point_code
    out["commune_code"] = np.where(has_code, stated.to_numpy(), point_code)
    out["join_status"] = status
    code_only = status == "code_only"
    placed = prepared.labels.reindex(out["commune_code"][code_only])
    out.loc[code_only, "lon"] = placed["label_lon"].to_numpy()
    out.loc[code_only, "lat"] = placed["label_lat"].to_numpy()
    out["location_precision"] = np.where(code_only, "commune", np.where(has_point, "exact", None))
    commune = out["commune_code"]
    out["district_code"] = commune.str[:4].where(commune.notna(), None)
    out["province_code"] = commune.str[:2].where(commune.notna(), None)
    return out
