"""The stored model: admin areas, code aliases, name variants, projects, budgets, import batches, per-area statistics,
data version; the version history, project changes and drafts (accounts: store/accounts.py, on the same Base)."""
from datetime import date, datetime

import sqlalchemy as sa
from geoalchemy2 import Geometry
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from mapservice.store import grid

LEVELS = ("province", "district", "commune")
CODE_LENGTH = {"province": 2, "district": 4, "commune": 6}
JOIN_STATUSES = ("agree", "conflict", "code_only", "point_only", "unmatched")
PRECISIONS = ("exact", "commune")
DATE_COLUMNS = ["planned_start", "planned_end", "actual_start", "actual_end"]
# west, south, east, north: a project point outside this box is refused at import
CAMBODIA_BOUNDS = (102.2, 10.2, 107.8, 14.8)


class Base(DeclarativeBase):
    pass


class AdminArea(Base):
    """A province, district or commune of the 2014 NCDD set, with full and display geometry."""

    __tablename__ = "admin_area"
    code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(8), index=True)
    parent_code: Mapped[str | None] = mapped_column(sa.String(6), index=True)
    name_km: Mapped[str] = mapped_column(sa.Text)
    name_en: Mapped[str] = mapped_column(sa.Text)
    unit_type_km: Mapped[str | None] = mapped_column(sa.Text)
    unit_type_en: Mapped[str | None] = mapped_column(sa.Text)
    area_km2: Mapped[float] = mapped_column(sa.Float)
    label_lon: Mapped[float] = mapped_column(sa.Float)
    label_lat: Mapped[float] = mapped_column(sa.Float)
    geom = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=True))
    geom_display = mapped_column(Geometry("MULTIPOLYGON", srid=4326, spatial_index=False))


class CodeAlias(Base):
    """A code that is not in the 2014 set (KH p-code, 2019 re-code) and the 2014 code it stands for."""

    __tablename__ = "code_alias"
    code: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    code_2014: Mapped[str] = mapped_column(sa.String(6))
    method: Mapped[str] = mapped_column(sa.Text)


class NameVariant(Base):
    """Another Latin spelling of an area's name (from the gazetteer's later snapshots), found by place search."""

    __tablename__ = "name_variant"
    code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    name: Mapped[str] = mapped_column(sa.Text, primary_key=True)


class ImportBatch(Base):
    """One loaded file: where it came from, what it held, what was refused."""

    __tablename__ = "import_batch"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    source_file: Mapped[str] = mapped_column(sa.Text)
    source_format: Mapped[str] = mapped_column(sa.String(16))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    imported_at: Mapped[datetime] = mapped_column(sa.DateTime)
    rows_read: Mapped[int] = mapped_column(sa.Integer)
    rows_loaded: Mapped[int] = mapped_column(sa.Integer)
    rows_rejected: Mapped[int] = mapped_column(sa.Integer)
    rejected_rows: Mapped[list] = mapped_column(sa.JSON, default=list)
    is_sample: Mapped[bool] = mapped_column(sa.Boolean, default=False)


class Project(Base):
    """One infrastructure project with its open-contracting record and its place in the join."""

    __tablename__ = "project"
    # The filters of the API, the map and OGC API (an area or a sector, with or without a year), each ending in the
    # project id: a page in id order is read off the index, and its count from the index alone. They replace the
    # single-column indexes of the same leading columns.
    __table_args__ = tuple(sa.Index(f"ix_project_{name}_year", column, "fiscal_year", "project_id")
                           for name, column in (("province", "province_code"), ("district", "district_code"),
                                                ("commune", "commune_code"), ("sector", "sector"))) + (
        sa.Index("ix_project_year", "fiscal_year", "project_id"),)
    project_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    pid_reference: Mapped[str | None] = mapped_column(sa.String(64))
    pid_url: Mapped[str | None] = mapped_column(sa.Text)
    title_km: Mapped[str | None] = mapped_column(sa.Text)
    title_en: Mapped[str | None] = mapped_column(sa.Text)
    sector: Mapped[str] = mapped_column(sa.String(32))
    project_type: Mapped[str | None] = mapped_column(sa.String(32))
    status: Mapped[str | None] = mapped_column(sa.String(32))
    fiscal_year: Mapped[int] = mapped_column(sa.Integer)
    funding_source: Mapped[str | None] = mapped_column(sa.String(64))
    planned_start: Mapped[date | None] = mapped_column(sa.Date)
    planned_end: Mapped[date | None] = mapped_column(sa.Date)
    actual_start: Mapped[date | None] = mapped_column(sa.Date)
    actual_end: Mapped[date | None] = mapped_column(sa.Date)
    currency: Mapped[str] = mapped_column(sa.String(3), default="KHR")
    budget: Mapped[int | None] = mapped_column(sa.BigInteger)
    contract_value: Mapped[int | None] = mapped_column(sa.BigInteger)
    expenditure: Mapped[int | None] = mapped_column(sa.BigInteger)
    cs_fund: Mapped[int | None] = mapped_column(sa.BigInteger)
    local_contribution: Mapped[int | None] = mapped_column(sa.BigInteger)
    # amounts given in another currency: converted to riel at exchange_rate (riel per unit, of the fiscal year)
    original_currency: Mapped[str | None] = mapped_column(sa.String(3))
    exchange_rate: Mapped[float | None] = mapped_column(sa.Float)
    original_amounts: Mapped[str | None] = mapped_column(sa.Text)  # JSON: {"budget": 25000.0, ...} as given
    contract_number: Mapped[str | None] = mapped_column(sa.Text)
    awarded_tenderer: Mapped[str | None] = mapped_column(sa.Text)
    number_of_bidders: Mapped[int | None] = mapped_column(sa.Integer)
    eia_required: Mapped[bool | None] = mapped_column(sa.Boolean)
    eia_status: Mapped[str | None] = mapped_column(sa.String(32))
    eia_document_url: Mapped[str | None] = mapped_column(sa.Text)
    village_code: Mapped[str | None] = mapped_column(sa.String(8))
    stated_code: Mapped[str | None] = mapped_column(sa.String(16))
    point_code: Mapped[str | None] = mapped_column(sa.String(6))
    commune_code: Mapped[str | None] = mapped_column(sa.String(6))
    district_code: Mapped[str | None] = mapped_column(sa.String(4))
    province_code: Mapped[str | None] = mapped_column(sa.String(2))
    join_status: Mapped[str] = mapped_column(sa.String(12), index=True)
    location_precision: Mapped[str | None] = mapped_column(sa.String(8))
    quality_flags: Mapped[str | None] = mapped_column(sa.Text)
    lon: Mapped[float | None] = mapped_column(sa.Float)
    lat: Mapped[float | None] = mapped_column(sa.Float)
    geom = mapped_column(Geometry("POINT", srid=4326, spatial_index=True))
    is_sample: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("import_batch.id"), index=True)


# A box's page of projects in the grid's order (store/grid.py): the cell and the id order it, lon/lat decide which
# projects of a cell are in the box without reading the table
sa.Index("ix_project_cell", grid.cell(Project.lon, Project.lat), Project.project_id, Project.lon, Project.lat)


class Budget(Base):
    """One revenue source or expenditure line of a district's or commune's budget in a fiscal year, in riel
    (vocabulary: store/budget_vocabulary.py). An import replaces every line of the area-years it holds."""

    __tablename__ = "budget"
    area_code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(12), primary_key=True)  # revenue | expenditure
    line: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    level: Mapped[str] = mapped_column(sa.String(8), index=True)  # district | commune
    approved: Mapped[int] = mapped_column(sa.BigInteger)
    actual: Mapped[int | None] = mapped_column(sa.BigInteger)  # None while the year's accounts are not closed
    is_sample: Mapped[bool] = mapped_column(sa.Boolean, default=False)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("import_batch.id"), index=True)


class AreaStatistic(Base):
    """Totals of the projects an area holds, per year and sector (rebuilt inside each import)."""

    __tablename__ = "area_statistic"
    level: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    area_code: Mapped[str] = mapped_column(sa.String(6), primary_key=True)
    fiscal_year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    sector: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    project_count: Mapped[int] = mapped_column(sa.Integer)
    budget: Mapped[int] = mapped_column(sa.BigInteger)
    contract_value: Mapped[int] = mapped_column(sa.BigInteger)
    expenditure: Mapped[int] = mapped_column(sa.BigInteger)


class DataVersion(Base):
    """A counter bumped by every import; caches and ETags key on it."""

    __tablename__ = "data_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime)


class VersionRecord(Base):
    """One version of the published data: who made it, when, how (import, sample, boundaries, budgets, publish,
    rollback, baseline), from which file (name, SHA-256), with what counts; ``data_version`` the counter after it."""

    __tablename__ = "version_record"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(sa.DateTime)
    user_name: Mapped[str] = mapped_column(sa.String(64))  # "cli" for the command line
    action: Mapped[str] = mapped_column(sa.String(16))
    source_file: Mapped[str | None] = mapped_column(sa.Text)
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # added, changed, removed, rows_read, ...
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # draft id, version rolled back to
    data_version: Mapped[int] = mapped_column(sa.Integer)


class ProjectChange(Base):
    """What one version did to one project: its stored row before and after (None: absent), as JSON values;
    the area codes (after, else before) for the public list of changes per area. A ``restored`` row (stored again,
    only its batch differs) keeps the row after only."""

    __tablename__ = "project_change"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("version_record.id"), index=True)
    project_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    kind: Mapped[str] = mapped_column(sa.String(8))  # added | changed | removed | restored (only batch_id differs)
    fields: Mapped[list] = mapped_column(sa.JSON, default=list)  # the columns that changed
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    province_code: Mapped[str | None] = mapped_column(sa.String(2), index=True)
    district_code: Mapped[str | None] = mapped_column(sa.String(4), index=True)
    commune_code: Mapped[str | None] = mapped_column(sa.String(6), index=True)


class BudgetChange(Base):
    """What one version did to one area-year's budget (the unit a budget import replaces): its stored lines before
    and after, as JSON lists (empty: none)."""

    __tablename__ = "budget_change"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    version_id: Mapped[int] = mapped_column(sa.ForeignKey("version_record.id"), index=True)
    area_code: Mapped[str] = mapped_column(sa.String(6))
    fiscal_year: Mapped[int] = mapped_column(sa.Integer)
    before: Mapped[list] = mapped_column(sa.JSON, default=list)
    after: Mapped[list] = mapped_column(sa.JSON, default=list)

    __table_args__ = (sa.Index("ix_budget_change_area_year", "area_code", "fiscal_year"),)


DRAFT_STATUSES = ("draft", "published", "discarded")


class Draft(Base):
    """An uploaded file (or one corrected project) checked but not published: its report and its validated and
    joined rows (project table rows as JSON values), against the data version it was checked on."""

    __tablename__ = "draft"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(sa.String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime)
    kind: Mapped[str] = mapped_column(sa.String(12))  # upload | correction
    source_file: Mapped[str] = mapped_column(sa.Text)
    source_format: Mapped[str] = mapped_column(sa.String(16))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    base_version: Mapped[int] = mapped_column(sa.Integer)  # data_version when checked
    status: Mapped[str] = mapped_column(sa.String(10), default="draft", index=True)
    report: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # rows read, valid, rejected reasons, columns
    rows: Mapped[list] = mapped_column(sa.JSON, default=list)
    decided_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    decided_by: Mapped[str | None] = mapped_column(sa.String(64))
    version_id: Mapped[int | None] = mapped_column(sa.ForeignKey("version_record.id"))
