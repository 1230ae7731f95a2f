"""A deterministic generator of SAMPLE budgets: every district and commune, every fiscal year, each revenue
source and expenditure line of its level with an approved and an actual amount in riel.

Consistent with the projects: an area-year's actual development expenditure is at least what the stored projects
of that area spent that year (``spent``, from ``area_statistic``), usually 5-30% more (design, supervision, small
works not mapped). Budgets grow about 6% a year. Revenue balances the approved expenditure. Everything is
vectorised over the area-years; the same inputs and seed give the same frame.
"""
import numpy as np
import pandas as pd

from mapservice.ingest.sample import SAMPLE_MARK  # noqa: F401  (the same mark as the SAMPLE projects)
from mapservice.store.budget_vocabulary import DEVELOPMENT_LINE, LINES

ROUND = 100_000  # riel: budgets are planned in hundreds of thousands
# typical development budget of a first year (riel), lognormal median, per level
DEVELOPMENT_MEDIAN = {"district": 450e6, "commune": 110e6}
GROWTH = 0.06
# other expenditure lines as shares of the development line: (low, high) of a uniform draw, per level
EXPENDITURE_SHARES = {
    "general_administration": {"district": (0.6, 1.1), "commune": (0.45, 0.8)},
    "social_services": {"district": (0.06, 0.15), "commune": (0.03, 0.10)},
    "public_order": {"district": (0.02, 0.06), "commune": (0.01, 0.04)},
    "environment": {"district": (0.0, 0.04), "commune": (0.0, 0.03)},
    "reserve": {"district": (0.01, 0.03), "commune": (0.01, 0.03)},
}
# revenue sources as weights of the approved total (the national transfers follow the lines they pay for)
OWN_SOURCE = {"own_taxes": (0.005, 0.03), "own_fees": (0.01, 0.04), "carry_over": (0.02, 0.07),
              "national_programmes": (0.0, 0.06)}
PARTNER_SHARE = (0.02, 0.12)
PARTNER_PROBABILITY = 0.35  # share of area-years with development-partner or NGO money
COLUMNS = ["area_code", "level", "fiscal_year", "kind", "line", "approved", "actual"]


def generate_sample_budgets(areas, spent, years, seed=0):
    """Typed budget lines (COLUMNS) for ``areas`` ({"district": codes, "commune": codes}) and ``years``;
    ``spent``: a frame of level, area_code, fiscal_year, spent (riel the projects spent)."""
    rng = np.random.default_rng(seed)
    frames = []
    for level in ("district", "commune"):
        grid = _area_years(areas[level], years)
        grid = grid.merge(spent[spent["level"] == level][["area_code", "fiscal_year", "spent"]],
                          on=["area_code", "fiscal_year"], how="left").fillna({"spent": 0})
        expenditure = _expenditure(grid, level, rng)
        frames += [expenditure, _revenue(grid, expenditure, level, rng)]
    out = pd.concat(frames, ignore_index=True)
    out["level"] = np.where(out["area_code"].str.len() == 4, "district", "commune")
    return out[COLUMNS].sort_values(["area_code", "fiscal_year", "kind", "line"], ignore_index=True)


def _area_years(codes, years):
    codes, years = np.asarray(sorted(codes), dtype=object), np.asarray(list(years))
    return pd.DataFrame({"area_code": np.repeat(codes, len(years)), "fiscal_year": np.tile(years, len(codes))})


def _rounded(values, up=False):
    steps = np.ceil(values / ROUND) if up else np.round(values / ROUND)
    return (steps * ROUND).astype("int64")


def _lines(grid, kind, line, approved, actual):
    return pd.DataFrame({"area_code": grid["area_code"].to_numpy(), "fiscal_year": grid["fiscal_year"].to_numpy(),
                         "kind": kind, "line": line, "approved": approved, "actual": actual})


def _expenditure(grid, level, rng):
    """The development line (at least the projects' spending) and the other lines as shares of the trend."""
    n = len(grid)
    areas = grid["area_code"].to_numpy()
    base = dict(zip(np.unique(areas), rng.lognormal(np.log(DEVELOPMENT_MEDIAN[level]), 0.35, len(np.unique(areas)))))
    trend = np.array([base[a] for a in areas]) * (1 + GROWTH) ** (grid["fiscal_year"].to_numpy() - 2014)
    projects = grid["spent"].to_numpy(dtype=float)
    development_actual = _rounded(np.maximum(trend * rng.uniform(0.85, 1.0, n), projects * rng.uniform(1.05, 1.3, n)),
                                  up=True)
    development_approved = _rounded(development_actual / rng.uniform(0.88, 1.02, n))
    frames = [_lines(grid, "expenditure", DEVELOPMENT_LINE, development_approved, development_actual)]
    for line, shares in EXPENDITURE_SHARES.items():  # shares of the trend: many projects do not grow the staff
        approved = _rounded(trend * rng.uniform(*shares[level], n))
        executed = rng.uniform(0.0, 0.5, n) if line == "reserve" else rng.uniform(0.85, 1.03, n)
        frames.append(_lines(grid, "expenditure", line, approved, _rounded(approved * executed)))
    return pd.concat(frames, ignore_index=True)


def _revenue(grid, expenditure, level, rng):
    """Revenue sources adding up (to rounding) to the approved expenditure of each area-year."""
    n = len(grid)
    by_line = {line: part for line, part in expenditure.groupby("line")}
    total = expenditure.groupby(["area_code", "fiscal_year"], sort=False)["approved"].sum().to_numpy()
    fund = "dm_fund" if level == "district" else "cs_fund"
    weights = {f"{fund}_general": by_line["general_administration"]["approved"].to_numpy() * 0.95 / total,
               f"{fund}_development": by_line[DEVELOPMENT_LINE]["approved"].to_numpy() * 0.7 / total}
    for line, shares in OWN_SOURCE.items():
        weights[line] = rng.uniform(*shares, n)
    weights["development_partners"] = rng.uniform(*PARTNER_SHARE, n) * (rng.random(n) < PARTNER_PROBABILITY)
    scale = total / sum(weights.values())
    frames = []
    for line in LINES["revenue"]:
        if line not in weights:
            continue
        approved = _rounded(weights[line] * scale)
        received = rng.uniform(0.97, 1.0, n) if line.startswith(fund) or line == "carry_over" else rng.uniform(0.7, 1.1, n)
        frames.append(_lines(grid, "revenue", line, approved, _rounded(approved * received)))
    return pd.concat(frames, ignore_index=True)
