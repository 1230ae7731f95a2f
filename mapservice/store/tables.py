"""Writing the stored tables and reading them back as frames; every write runs inside the caller's transaction."""
from datetime import datetime, timezone

import geopandas as gpd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from mapservice.store.models import AdminArea, CodeAlias, DataVersion, NameVariant, Project

PROJECT_COLUMNS = [c.name for c in Project.__table__.columns]


def bump_data_version(session):
    """Increase the data version (ETags and caches key on it) and return the new value."""
    row = session.get(DataVersion, 1)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    if row is None:
        row = DataVersion(id=1, version=0, updated_at=now)
        session.add(row)
    row.version += 1
    row.updated_at = now
    session.flush()
    return row.version


def data_version(session):
    row = session.get(DataVersion, 1)
    return row.version if row else 0


def replace_areas(session, levels, aliases, variants=None):
    """Replace the stored areas of the given levels (``{level: admin_area rows}``), and the code aliases and
    name variants when given."""
    for level, rows in levels.items():
        session.execute(sa.delete(AdminArea).where(AdminArea.level == level))
        session.execute(sa.insert(AdminArea), rows)
    if variants is not None:
        session.execute(sa.delete(NameVariant))
        rows = [{"code": code, "name": name} for code, names in sorted(variants.items()) for name in sorted(names)]
        if rows:
            session.execute(sa.insert(NameVariant), rows)
    if aliases is not None:
        session.execute(sa.delete(CodeAlias))
        rows = [{"code": code, "code_2014": target, "method": "name match in province (gazetteer code history)"}
                for code, target in aliases.items()]
        if rows:
            session.execute(sa.insert(CodeAlias), rows)


def load_areas(session, level, display=False):
    """The stored areas of one level as a GeoDataFrame (code, names, parent, label point, geometry)."""
    column = AdminArea.geom_display if display else AdminArea.geom
    query = (sa.select(AdminArea.code, AdminArea.parent_code, AdminArea.name_km, AdminArea.name_en,
                       AdminArea.label_lon, AdminArea.label_lat, sa.func.ST_AsBinary(column).label("wkb"))
             .where(AdminArea.level == level).order_by(AdminArea.code))
    rows = session.execute(query).all()
    frame = gpd.GeoDataFrame([r._asdict() for r in rows],
                             columns=["code", "parent_code", "name_km", "name_en", "label_lon", "label_lat", "wkb"])
    geometry = gpd.GeoSeries.from_wkb([bytes(w) for w in frame["wkb"]], crs=4326)
    return gpd.GeoDataFrame(frame.drop(columns="wkb"), geometry=geometry.values, crs=4326)


def load_codes(session, level):
    """The stored codes of one level."""
    return set(session.scalars(sa.select(AdminArea.code).where(AdminArea.level == level)))


def load_aliases(session):
    """{code not in the 2014 set: the 2014 code it stands for}."""
    return dict(session.execute(sa.select(CodeAlias.code, CodeAlias.code_2014)).all())


def load_name_variants(session):
    """{area code: other Latin spellings of its name}."""
    variants = {}
    for code, name in session.execute(sa.select(NameVariant.code, NameVariant.name)):
        variants.setdefault(code, set()).add(name)
    return variants


def _upsert_statement(session):
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(Project)
    updates = {c: statement.excluded[c] for c in PROJECT_COLUMNS if c != "project_id"}
    return statement.on_conflict_do_update(index_elements=["project_id"], set_=updates)


def upsert_projects(session, rows, chunk_size=5000, progress=None):
    """Insert or update projects by project_id (re-import never duplicates)."""
    statement = _upsert_statement(session)
    for start in range(0, len(rows), chunk_size):
        session.execute(statement, rows[start:start + chunk_size])
        if progress:
            progress(min(start + chunk_size, len(rows)), len(rows))
