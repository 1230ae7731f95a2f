"""A deterministic generator of a realistic SAMPLE dataset of sub-national infrastructure projects.

``generate_sample`` returns raw canonical records (strings or None, as a CSV in the project template holds
them) for every commune and fiscal year 2014-2019, with the Commune/Sangkat Fund sector mix, lognormal
budgets in riel, contracts, tenderers, EIA fields and a small, deliberate share of missing and inconsistent
values for the data-quality report. Every row passes ``records.validate_records``. Everything is vectorised
(numpy/pandas/shapely), so a million projects take seconds; the same inputs and seed give the same frame.
"""
import functools
import warnings
from collections import namedtuple
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from mapservice.ingest.records import CANONICAL_COLUMNS, DATE_COLUMNS, MONEY_COLUMNS

SAMPLE_MARK = "SAMPLE"
# The projects of the open-contracting districts and one in PID_EVERY of the others have a record in (a SAMPLE
# copy of) NCDD's Project Implementation Database: a record
# number and a link shaped like the real database's (MAPSERVICE_PID_URL_TEMPLATE), on example.org under
# /sample/, so that it can never be taken for, or lead to, a real record.
PID_EVERY = 3
PID_FIRST_NUMBER = 100_001
SAMPLE_PID_URL = "https://example.org/sample/pid/reports/monitoring/project.castle?id="
# Ou Chrov and Malai (Banteay Meanchey): the districts that published open-contracting details for every project.
OPEN_CONTRACTING_DISTRICTS = ("0105", "0109")
YEARS = np.arange(2014, 2020)
COMMUNES_FILE = Path("boundaries") / "adm3_communes" / "khm_adm3_communes_2014_with_codes.geojson"
VILLAGES_FILE = Path("gazetteer") / "ncdd_national_gazetteer_2014" / "ncdd_gazetteer_2014_villages.csv"

Sector = namedtuple("Sector", "share budget months types eia titles")
TYPES = ("construction", "rehabilitation", "replacement", "expansion")
# share of C/S Fund projects; budget = (5th, 95th) percentile in riel; planned months; P(type) in TYPES order;
# P(EIA required); title variants (English, Khmer).
SECTORS = {
    "rural_road": Sector(0.45, (40e6, 150e6), (2, 5), (0.67, 0.30, 0.0, 0.03), 0.05,
                         [("Laterite road", "ផ្លូវក្រួសក្រហម"), ("Concrete road", "ផ្លូវបេតុង"),
                          ("Earth road", "ផ្លូវដី")]),
    "culvert": Sector(0.15, (5e6, 30e6), (1, 2), (0.80, 0.12, 0.08, 0.0), 0.01,
                      [("Pipe culvert", "លូមូល"), ("Box culvert", "លូប្រអប់")]),
    "bridge": Sector(0.05, (30e6, 200e6), (2, 6), (0.75, 0.15, 0.10, 0.0), 0.35,
                     [("Concrete bridge", "ស្ពានបេតុង"), ("Wooden bridge", "ស្ពានឈើ")]),
    "well": Sector(0.10, (2e6, 8e6), (1, 1), (0.90, 0.07, 0.03, 0.0), 0.0,
                   [("Pump well", "អណ្តូងស្នប់"), ("Ring well", "អណ្តូងលូ")]),
    "irrigation": Sector(0.10, (20e6, 100e6), (2, 5), (0.65, 0.30, 0.0, 0.05), 0.28,
                         [("Irrigation canal", "ប្រឡាយធារាសាស្ត្រ"), ("Water gate", "ទ្វារទឹក")]),
    "drainage": Sector(0.04, (10e6, 60e6), (1, 3), (0.80, 0.15, 0.0, 0.05), 0.05,
                       [("Drainage system", "ប្រព័ន្ធលូបង្ហូរទឹក")]),
    "school": Sector(0.04, (80e6, 300e6), (3, 6), (0.85, 0.10, 0.0, 0.05), 0.03,
                     [("School building", "អគារសិក្សា")]),
    "health_post": Sector(0.02, (60e6, 200e6), (3, 6), (0.85, 0.10, 0.0, 0.05), 0.03,
                          [("Health post", "ប៉ុស្តិ៍សុខភាព")]),
    "market": Sector(0.02, (50e6, 250e6), (3, 6), (0.80, 0.10, 0.0, 0.10), 0.30,
                     [("Market hall", "អគារផ្សារ"), ("Market", "ផ្សារ")]),
    "public_building": Sector(0.03, (40e6, 180e6), (3, 6), (0.85, 0.10, 0.0, 0.05), 0.02,
                              [("Commune office", "សាលាឃុំ"), ("Meeting hall", "សាលប្រជុំ")]),
}
SECTOR_CODES = np.array(list(SECTORS), dtype=object)
TYPE_PREFIX = {"construction": ("", ""), "rehabilitation": ("Rehabilitation of ", "ជួសជុល"),
               "replacement": ("Replacement of ", "ជំនួស"), "expansion": ("Extension of ", "ពង្រីក")}
STATUSES = ("completion", "implementation", "cancelled")
# Location of a row: point inside its commune + code, code only, point only, point in a neighbour + code.
BOTH, CODE_ONLY, POINT_ONLY, CONFLICT = range(4)
LOCATION_SHARES = {CONFLICT: 0.015, POINT_ONLY: 0.03, CODE_ONLY: 0.20}
CODE_FORM_SHARES = {"pcode": 0.003, "village": 0.003}
BIDDER_SHARES = [0.12, 0.33, 0.30, 0.14, 0.07, 0.04]  # 1..6 bidders; most commune tenders draw 2-3
EIA_STATUS_SHARES = {"approved": 0.55, "pending": 0.20, "not_done": 0.25}
FUNDING_SHARES = {"cs_fund": 0.92, "district_fund": 0.04, "development_partner": 0.03, "community": 0.01}
# Deliberate defects, each a share of the rows outside the open-contracting districts.
DEFECTS = {"missing_expenditure": 0.02, "expenditure_over_budget": 0.01, "contract_over_budget": 0.005,
           "actual_end_before_start": 0.005, "planned_end_before_start": 0.003, "missing_budget": 0.005,
           "missing_contract": 0.01, "missing_title_km": 0.01, "missing_title_en": 0.01,
           "missing_bidders": 0.01, "missing_type": 0.005}
Z95 = 1.645  # the 95th percentile of the standard normal
# numpy 2's variable-width strings format in C; numpy 1.26 (still allowed by pyproject) falls back to fixed width
TEXT = np.dtypes.StringDType() if hasattr(np.dtypes, "StringDType") else str
MAX_ROUNDS = 100  # rejection-sampling rounds before a commune is judged to have no area

FAMILY = ["Sok", "Chea", "Ly", "Heng", "Kim", "Seng", "Ouk", "Keo", "Lim", "Tep", "Mao", "Hout", "Chan", "Meas"]
GIVEN = ["Heng", "Meng", "Sophal", "Vanna", "Rith", "Dara", "Sokha", "Pisey", "Sovann", "Chenda", "Vichea", "Bopha"]
PLACES = ["Phnom Meas", "Angkor Thmey", "Mekong", "Sovann Phum", "Rasmey", "Samaki", "Pich Chenda", "Meanchey",
          "Tonle Sap", "Kampuchea Thmey", "Sen Chey", "Reaksmey Angkor", "Chey Mongkol", "Preah Vihear Meas",
          "Srey Santhor", "Ratanak", "Sambo", "Bayon", "Kiri Sakor", "Serey Sophorn"]
SUFFIXES = ["Construction Co., Ltd.", "Engineering", "Construction & Trading Co., Ltd.", "Development Co., Ltd.",
            "Engineering & Construction", "Group Co., Ltd.", "Enterprise", "Import Export Co., Ltd."]
COMPANY_COUNT = 300


def read_sample_inputs(data_dir):
    """(communes GeoDataFrame, villages DataFrame) read straight from the 2014 boundary and gazetteer files."""
    data_dir = Path(data_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pyogrio warns that the Khmer name field is not JSON
        raw = gpd.read_file(data_dir / COMMUNES_FILE)
    communes = gpd.GeoDataFrame({"code": raw["COM_CODE"].astype(str).str.zfill(6),
                                 "name_en": raw["ADM3_EN"].str.strip(), "name_km": raw["ADM3_KH"].str.strip()},
                                geometry=raw.geometry.values, crs=raw.crs).to_crs(4326)
    table = pd.read_csv(data_dir / VILLAGES_FILE, dtype=str, keep_default_na=False)
    villages = pd.DataFrame({"code": table["code"].str.zfill(8), "name_en": table["Name_EN"].str.strip(),
                             "name_km": table["Name_KH"].str.strip()})
    return communes, villages


def generate_sample(communes, villages, n_projects, seed=0):
    """Raw canonical records (``line`` + CANONICAL_COLUMNS, strings or None) of n_projects sample projects."""
    if n_projects < 1:
        raise ValueError(f"n_projects was {n_projects}; expected at least 1")
    if len(communes) == 0:
        raise ValueError("no communes given; the sample needs the commune boundaries")
    rng = np.random.default_rng(seed)
    area = _Communes(communes, villages)
    rows = _allocate(area, n_projects, rng)
    rows["oc"] = area.open_contracting[rows["commune"]]
    _draw_works(rows, area, rng)
    _draw_status_and_dates(rows, rng)
    _draw_money(rows, rng)
    _draw_contracts(rows, area, rng)
    _draw_eia_and_funding(rows, rng)
    _draw_locations(rows, area, rng)
    _inject_defects(rows, rng)
    return _to_frame(rows, area)


class _Communes:
    """The communes (sorted by code) as arrays, with their villages, neighbours and sampling helpers."""

    def __init__(self, communes, villages):
        frame = communes.sort_values("code").reset_index(drop=True)
        self.code = frame["code"].astype(str).to_numpy(dtype=object)
        self.name_en = frame["name_en"].astype(str).str.strip().to_numpy(dtype=object)
        self.name_km = frame["name_km"].astype(str).str.strip().to_numpy(dtype=object)
        # a private copy, so preparing it for fast containment tests leaves the caller's geometries alone
        self.geometry = shapely.from_wkb(shapely.to_wkb(np.asarray(frame.geometry.values, dtype=object)))
        shapely.prepare(self.geometry)
        self.bounds = shapely.bounds(self.geometry)
        box_area = (self.bounds[:, 2] - self.bounds[:, 0]) * (self.bounds[:, 3] - self.bounds[:, 1])
        self.fill = np.clip(shapely.area(self.geometry) / np.maximum(box_area, 1e-12), 0.02, 1.0)
        self.open_contracting = np.isin(np.array([c[:4] for c in self.code]), OPEN_CONTRACTING_DISTRICTS)
        provinces = np.array([c[:2] for c in self.code])
        self.province = np.unique(provinces, return_inverse=True)[1]
        self._index_villages(villages)
        self._index_neighbours()

    def _index_villages(self, villages):
        """Villages grouped by commune: village v of commune c is row village_start[c] + v."""
        table = villages.assign(code=villages["code"].astype(str)).sort_values("code")
        table = table[table["code"].str[:6].isin(set(self.code))].reset_index(drop=True)
        self.village_code = table["code"].to_numpy(dtype=object)
        self.village_en = table["name_en"].astype(str).str.strip().to_numpy(dtype=object)
        self.village_km = table["name_km"].astype(str).str.strip().to_numpy(dtype=object)
        owner = np.searchsorted(self.code.astype(str), table["code"].str[:6].to_numpy().astype(str))
        self.village_count = np.bincount(owner, minlength=len(self.code))
        self.village_start = np.concatenate([[0], np.cumsum(self.village_count)[:-1]])

    def _index_neighbours(self):
        """Communes sharing a border or corner, as compressed rows (neighbour_start, neighbour_count)."""
        left, right = shapely.STRtree(self.geometry).query(self.geometry, predicate="intersects")
        keep = left != right
        order = np.lexsort((right[keep], left[keep]))
        self.neighbour = right[keep][order]
        self.neighbour_count = np.bincount(left[keep], minlength=len(self.code))
        self.neighbour_start = np.concatenate([[0], np.cumsum(self.neighbour_count)[:-1]])

    def points_inside(self, target, rng):
        """Micro-degree lon/lat (int64) drawn uniformly inside commune target[i], by batched rejection sampling."""
        lon, lat = np.zeros(len(target), dtype=np.int64), np.zeros(len(target), dtype=np.int64)
        pending = np.arange(len(target))
        for _ in range(MAX_ROUNDS):
            if not len(pending):
                return lon, lat
            # enough candidates per row that most rows succeed in one round even in thin, diagonal communes
            tries = np.clip(np.ceil(2.5 / self.fill[target[pending]]), 2, 40).astype(np.int64)
            row = np.repeat(pending, tries)
            box = self.bounds[target[row]]
            x = np.rint((box[:, 0] + rng.random(len(row)) * (box[:, 2] - box[:, 0])) * 1e6).astype(np.int64)
            y = np.rint((box[:, 1] + rng.random(len(row)) * (box[:, 3] - box[:, 1])) * 1e6).astype(np.int64)
            # test the rounded point: it is exactly the one the 6-decimal strings will hold
            inside = shapely.contains_xy(self.geometry[target[row]], x / 1e6, y / 1e6)
            done, first = np.unique(row[inside], return_index=True)
            lon[done], lat[done] = x[inside][first], y[inside][first]
            pending = np.setdiff1d(pending, done, assume_unique=True)
        if len(pending):
            raise ValueError(f"commune {self.code[target[pending[0]]]} has no area to place a point in")
        return lon, lat


def _allocate(area, n, rng):
    """One project per commune first, the rest by commune size with noise; years evenly; sorted with counters."""
    size = len(area.code)
    if n >= size:
        # more villages, more people, a bigger C/S Fund allocation and more projects
        weight = np.maximum(area.village_count, 1) * rng.gamma(4.0, 0.25, size)
        counts = 1 + rng.multinomial(n - size, weight / weight.sum())
    else:
        counts = np.zeros(size, dtype=np.int64)
        counts[rng.choice(size, n, replace=False)] = 1
    commune = np.repeat(np.arange(size), counts)
    year = YEARS[rng.permutation(np.arange(n) % len(YEARS))]
    order = np.lexsort((commune, year))
    commune, year = commune[order], year[order]
    new_group = np.ones(n, dtype=bool)
    new_group[1:] = (commune[1:] != commune[:-1]) | (year[1:] != year[:-1])
    group_start = np.maximum.accumulate(np.where(new_group, np.arange(n), 0))
    return {"n": n, "commune": commune, "year": year, "seq": np.arange(n) - group_start + 1}


def _draw_works(rows, area, rng):
    """Sector, project type, village and the English/Khmer titles."""
    n, specs = rows["n"], list(SECTORS.values())
    sector = rng.choice(len(specs), n, p=[s.share for s in specs])
    type_p = np.array([s.types for s in specs])
    kind = (rng.random(n)[:, None] > np.cumsum(type_p, axis=1)[sector]).sum(axis=1)
    variants = np.array([len(s.titles) for s in specs])
    variant = (rng.random(n) * variants[sector]).astype(np.int64)
    count = area.village_count[rows["commune"]]
    village = area.village_start[rows["commune"]] + (rng.random(n) * count).astype(np.int64)
    rows.update(sector=sector, type=np.minimum(kind, len(TYPES) - 1), has_village=count > 0,
                village=np.where(count > 0, village, -1))
    rows["title_en"], rows["title_km"] = _titles(rows, area, variant)


def _titles(rows, area, variant):
    """'Laterite road, Ou Thum village' / 'ផ្លូវក្រួសក្រហម ភូមិអូរធំ' (the commune when it has no village)."""
    phrase_en, phrase_km, offset = [], [], []
    for spec in SECTORS.values():
        offset.append(len(phrase_en))
        for en, km in spec.titles:
            for kind in TYPES:
                prefix_en, prefix_km = TYPE_PREFIX[kind]
                phrase_en.append(prefix_en + (en[0].lower() + en[1:] if prefix_en else en))
                phrase_km.append(prefix_km + km)
    pick = np.array(offset)[rows["sector"]] + variant * len(TYPES) + rows["type"]
    places = len(area.village_en) + len(area.code)  # villages first, then communes without villages
    place = np.where(rows["has_village"], rows["village"], len(area.village_en) + rows["commune"])
    # format each distinct title once: far fewer string objects (and much less memory) for big samples
    key, row = np.unique(pick * places + place, return_inverse=True)
    pick, place = key // places, key % places
    place_en = np.concatenate([area.village_en + " village", area.name_en + " commune"])[place]
    place_km = np.concatenate(["ភូមិ" + area.village_km, "ឃុំ" + area.name_km])[place]
    title_en = np.array(phrase_en, dtype=object)[pick] + ", " + place_en
    return title_en[row], (np.array(phrase_km, dtype=object)[pick] + " " + place_km)[row]


def _draw_status_and_dates(rows, rng):
    """Status by year; planned start Feb-Jun, duration by sector; actual dates late by realistic margins."""
    n, year = rows["n"], rows["year"]
    draw = rng.random(n)
    # 2019 is the last year on record: a third of its works were still under way
    rows["status"] = _codes(STATUSES, np.select([draw < 0.01, (year == YEARS[-1]) & (draw < 0.36)], [2, 1], 0))
    month = ((year - 1970) * 12 + rng.integers(1, 6, n)).astype("datetime64[M]")
    planned_start = month.astype("datetime64[D]") + rng.integers(0, 28, n)
    months = np.array([s.months for s in SECTORS.values()])[rows["sector"]]
    planned_end = planned_start + rng.integers(months[:, 0] * 30, months[:, 1] * 30 + 1)
    actual_start = planned_start + rng.integers(0, 46, n)
    # a short job that started late still ends after it started; the deliberate exceptions come later
    actual_end = np.maximum(planned_end + rng.integers(-10, 91, n), actual_start + 14)
    nat = np.datetime64("NaT", "D")
    rows["planned_start"], rows["planned_end"] = planned_start, planned_end
    rows["actual_start"] = np.where(rows["status"] == "cancelled", nat, actual_start)
    rows["actual_end"] = np.where(rows["status"] == "completion", actual_end, nat)


def _draw_money(rows, rng):
    """Lognormal budgets per sector; contract, expenditure, C/S Fund and local shares; rounded to 1,000 riel."""
    n, status = rows["n"], rows["status"]
    bands = np.array([s.budget for s in SECTORS.values()])[rows["sector"]]
    median, sigma = np.sqrt(bands[:, 0] * bands[:, 1]), np.log(bands[:, 1] / bands[:, 0]) / (2 * Z95)
    budget = _thousands(median * np.exp(sigma * rng.standard_normal(n)))
    contract = _thousands(budget * rng.uniform(0.85, 1.0, n))
    spent_share = np.where(status == "completion", rng.uniform(0.90, 1.05, n), rng.uniform(0.2, 0.8, n))
    expenditure = np.where(status == "cancelled", np.nan, _thousands(contract * spent_share))
    cs_fund = _thousands(budget * rng.uniform(0.90, 0.97, n))
    rows.update(budget=budget, contract_value=contract, expenditure=expenditure, cs_fund=cs_fund,
                local_contribution=budget - cs_fund)


def _thousands(amount):
    """Riel rounded to thousands, at least 1,000."""
    return np.maximum(np.round(amount / 1000.0), 1.0) * 1000.0


def _draw_contracts(rows, area, rng):
    """Number of bidders and the awarded tenderer, a firm of the project's province."""
    n = rows["n"]
    rows["bidders"] = rng.choice(np.arange(1, 7), n, p=BIDDER_SHARES)
    companies = company_names()
    provinces = area.province.max() + 1
    province = area.province[rows["commune"]]
    pool = (len(companies) - 1 - province) // provinces + 1  # firms j with j % provinces == province
    rank = (rng.random(n) ** 2 * pool).astype(np.int64)  # a few firms win most of a province's contracts
    rows["tenderer"] = companies[province + rank * provinces]


def company_names():
    """The ~300 plausible Cambodian construction firms the sample awards contracts to (fixed, seed-independent)."""
    stems = [f"{family} {given}" for family in FAMILY for given in GIVEN if family != given] + PLACES
    names = np.array([f"{stem} {suffix}" for stem in stems for suffix in SUFFIXES], dtype=object)
    return names[np.random.default_rng(855).permutation(len(names))[:COMPANY_COUNT]]


def _draw_eia_and_funding(rows, rng):
    """EIA required by sector risk, EIA status, funding source."""
    n = rows["n"]
    required = rng.random(n) < np.array([s.eia for s in SECTORS.values()])[rows["sector"]]
    status = rng.choice(len(EIA_STATUS_SHARES), n, p=list(EIA_STATUS_SHARES.values()))
    rows["eia_required"] = required
    rows["eia_status"] = _codes(["not_required", *EIA_STATUS_SHARES], np.where(required, status + 1, 0))
    rows["funding"] = _codes(FUNDING_SHARES, rng.choice(len(FUNDING_SHARES), n, p=list(FUNDING_SHARES.values())))


def _codes(names, index):
    """Object array of names[index], every row sharing the same few string objects."""
    return np.array(list(names), dtype=object)[index]


def _draw_locations(rows, area, rng):
    """How each row is located (kind, code form) and its point, if any, in micro-degrees."""
    n, commune, oc = rows["n"], rows["commune"], rows["oc"]
    draw = rng.random(n)
    cut = np.cumsum([LOCATION_SHARES[CONFLICT], LOCATION_SHARES[POINT_ONLY], LOCATION_SHARES[CODE_ONLY]])
    kind = np.select([draw < cut[0], draw < cut[1], draw < cut[2]], [CONFLICT, POINT_ONLY, CODE_ONLY], BOTH)
    has_neighbour = area.neighbour_count[commune] > 0
    kind = np.where(oc | ((kind == CONFLICT) & ~has_neighbour), BOTH, kind)
    form = rng.random(n)
    coded = np.isin(kind, [BOTH, CODE_ONLY]) & ~oc
    rows["pcode"] = coded & (form < CODE_FORM_SHARES["pcode"])
    rows["village_form"] = coded & rows["has_village"] & (form >= CODE_FORM_SHARES["pcode"]) & (
        form < CODE_FORM_SHARES["pcode"] + CODE_FORM_SHARES["village"])
    pick = area.neighbour_start[commune] + (rng.random(n) * area.neighbour_count[commune]).astype(np.int64)
    neighbour = area.neighbour[np.minimum(pick, len(area.neighbour) - 1)] if len(area.neighbour) else commune
    target = np.where(kind == CONFLICT, neighbour, commune)
    located = kind != CODE_ONLY
    lon, lat = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    lon[located], lat[located] = area.points_inside(target[located], rng)
    rows.update(kind=kind, lon=lon, lat=lat)


def _inject_defects(rows, rng):
    """Missing and inconsistent values outside the open-contracting districts (they still validate)."""
    n, status, outside = rows["n"], rows["status"], ~rows["oc"]
    hit = {name: (rng.random(n) < share) & outside for name, share in DEFECTS.items()}
    completed = status == "completion"
    missing_spend = hit["missing_expenditure"] & completed
    over_spend = hit["expenditure_over_budget"] & completed & ~missing_spend
    rows["expenditure"] = np.where(missing_spend, np.nan, rows["expenditure"])
    rows["expenditure"] = np.where(over_spend, _thousands(rows["budget"] * rng.uniform(1.55, 2.5, n)),
                                   rows["expenditure"])
    over_contract = hit["contract_over_budget"]
    rows["contract_value"] = np.where(over_contract, _thousands(rows["budget"] * rng.uniform(1.25, 1.6, n)),
                                      rows["contract_value"])
    # a missing budget would hide the two over-budget flags, so it only hits other rows
    rows["budget"] = np.where(hit["missing_budget"] & ~over_spend & ~over_contract, np.nan, rows["budget"])
    back = hit["actual_end_before_start"] & completed
    rows["actual_end"] = np.where(back, rows["actual_start"] - rng.integers(1, 60, n), rows["actual_end"])
    swap = hit["planned_end_before_start"]
    rows["planned_start"], rows["planned_end"] = (np.where(swap, rows["planned_end"], rows["planned_start"]),
                                                  np.where(swap, rows["planned_start"], rows["planned_end"]))
    rows["no_contract"] = hit["missing_contract"]
    rows["no_title_km"] = hit["missing_title_km"]
    rows["no_title_en"] = hit["missing_title_en"] & ~hit["missing_title_km"]  # never both: a title is required
    rows["no_bidders"], rows["no_type"] = hit["missing_bidders"], hit["missing_type"]


def _to_frame(rows, area):
    """Format the drawn values as the strings a template CSV holds (None where missing)."""
    n, code = rows["n"], area.code[rows["commune"]]
    counter = _join(_digits(rows["year"], 4), "-", code.astype(TEXT), "-", _digits(rows["seq"], 4))
    project_id = _join(SAMPLE_MARK + "-", counter)
    contract = _join(_digits(rows["seq"], 3), "/", _digits(rows["year"] % 100, 2), " KCS-", code.astype(TEXT))
    approved = rows["eia_status"] == "approved"
    eia_url = np.full(n, None, dtype=object)
    eia_url[approved] = _join("https://example.org/sample/eia/", project_id[approved], ".pdf").astype(object)
    pid_reference, pid_url = _pid_records(rows["oc"] | (np.arange(n) % PID_EVERY == 0))
    columns = {
        "project_id": project_id.astype(object), "pid_reference": pid_reference, "pid_url": pid_url,
        "title_km": _blank(rows["title_km"], rows["no_title_km"]),
        "title_en": _blank(rows["title_en"], rows["no_title_en"]),
        "contract_number": _blank(contract.astype(object), rows["no_contract"]),
        "awarded_tenderer": _blank(rows["tenderer"], rows["no_contract"]), "eia_document_url": eia_url,
        "sector": SECTOR_CODES[rows["sector"]],
        "project_type": _blank(_codes(TYPES, rows["type"]), rows["no_type"]),
        "status": rows["status"], "eia_status": rows["eia_status"], "funding_source": rows["funding"],
        "fiscal_year": _repeated_text(rows["year"]), "currency": _codes(["KHR"], np.zeros(n, dtype=np.int64)),
        **{name: _repeated_text(rows[name]) for name in DATE_COLUMNS + MONEY_COLUMNS},
        "number_of_bidders": _blank(_repeated_text(rows["bidders"]), rows["no_bidders"]),
        "eia_required": _codes(["no", "yes"], rows["eia_required"].astype(np.int64)),
        **_location_columns(rows, area, code),
    }
    # object columns keep None for missing (pandas would otherwise infer a string dtype holding NaN)
    frame = {name: pd.Series(columns[name], dtype=object, copy=False) for name in CANONICAL_COLUMNS}
    return pd.DataFrame({"line": pd.Series(np.arange(1, n + 1)), **frame}, copy=False)


def _pid_records(recorded):
    """PID record numbers of the ``recorded`` projects (numbered in order) and their SAMPLE links; None elsewhere."""
    reference, url = np.full(len(recorded), None, dtype=object), np.full(len(recorded), None, dtype=object)
    numbers = (PID_FIRST_NUMBER + np.arange(recorded.sum())).astype(TEXT)
    reference[recorded] = numbers.astype(object)
    url[recorded] = _join(SAMPLE_PID_URL, numbers).astype(object)
    return reference, url


def _location_columns(rows, area, code):
    """commune_code in its stated form (plain, KH p-code or village code) and lon/lat with 6 decimals."""
    stated = code.copy()
    stated[rows["pcode"]] = "KH" + code[rows["pcode"]]
    stated[rows["village_form"]] = area.village_code[rows["village"][rows["village_form"]]]
    no_point = rows["kind"] == CODE_ONLY
    return {"commune_code": _blank(stated, rows["kind"] == POINT_ONLY),
            "lon": _blank(_micro_degrees(rows["lon"]), no_point), "lat": _blank(_micro_degrees(rows["lat"]), no_point)}


def _micro_degrees(values):
    """Positive micro-degree integers as '103.051234' (the exact decimal of value / 1e6)."""
    return _join(_digits(values // 10**6, 1), ".", _digits(values % 10**6, 6)).astype(object)


def _digits(values, width):
    """Non-negative integers as text, zero-padded to width."""
    return np.char.zfill(np.asarray(values).astype(TEXT), width)


def _join(*parts):
    """Element-wise concatenation of text arrays and strings."""
    return functools.reduce(np.char.add, parts)


def _repeated_text(values):
    """Whole numbers (riel), years or dates as text, None for NaN/NaT; each distinct value formatted once."""
    kind = values.dtype.kind
    missing = np.isnat(values) if kind == "M" else np.isnan(values) if kind == "f" else np.zeros(len(values), bool)
    if kind == "f":
        values = np.where(missing, 0, values).astype(np.int64)
    distinct, row = np.unique(values, return_inverse=True)
    return _blank(distinct.astype(TEXT).astype(object)[row], missing)  # datetime64[D] prints as YYYY-MM-DD


def _blank(values, missing):
    """The object array with None where missing."""
    return np.where(missing, None, values)
