"""The NCDD National Gazetteer 2014 (names, unit types) and the aliases of codes that are not in it."""
import difflib
import logging
import re
from pathlib import Path

import pandas as pd

logger = logging.getLogger(__name__)

GAZETTEER_DIR = Path("gazetteer") / "ncdd_national_gazetteer_2014"
FILES = {
    "province": "ncdd_gazetteer_2014_provinces.csv",
    "district": "ncdd_gazetteer_2014_districts.csv",
    "commune": "ncdd_gazetteer_2014_communes.csv",
    "village": "ncdd_gazetteer_2014_villages.csv",
}
TYPE_COLUMNS = {
    "province": ("ProvTypeKh", "ProvTypeEn"),
    "district": ("DistTypeKh", "DistTypeEn"),
    "commune": ("CommTypeKh", "CommTypeEn"),
    "village": (None, None),
}
CODE_HISTORY = Path("gazetteer") / "commune_code_history.csv"
LATER_SNAPSHOTS = ["pumi_2018-07-26", "pumi_2019-12-12", "pumi_2025-10-25_HEAD"]


def read_gazetteer(data_dir, level):
    """One level of the 2014 gazetteer as code, parent_code, name_km, name_en, unit_type_km, unit_type_en."""
    path = Path(data_dir) / GAZETTEER_DIR / FILES[level]
    if not path.exists():
        raise FileNotFoundError(f"gazetteer file not found: {path} (set MAPSERVICE_DATA_DIR)")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    type_km, type_en = TYPE_COLUMNS[level]
    parent_length = {"province": 0, "district": 2, "commune": 4, "village": 6}[level]
    return pd.DataFrame({
        "code": raw["code"],
        "parent_code": raw["code"].str[:parent_length] if parent_length else None,
        "name_km": raw["Name_KH"].str.strip(),
        "name_en": raw["Name_EN"].str.strip(),
        "unit_type_km": raw[type_km] if type_km else None,
        "unit_type_en": raw[type_en] if type_en else None,
    })


def fold_name(name):
    """Lower-case Latin name without spaces, dashes, digits' words or the zero-width space."""
    text = str(name).casefold().replace("\u200b", "")
    text = re.sub(r"\b(ti )?(muoy|mouy|pir|bei|buon|1|2|3|4)\b", "", text)
    return re.sub(r"[^a-z]", "", text)


def build_commune_aliases(data_dir):
    """Map commune codes that are absent from the 2014 gazetteer to the 2014 commune they lie in.

    A later code is matched by name within its province, preferring 2014 codes that were retired
    (the NCDD never reuses a code for another unit, so a unit that moved got a new code). Splits
    such as "Stueng Mean chey 1/2/3" fold to their 2014 parent's name.
    """
    history = pd.read_csv(Path(data_dir) / CODE_HISTORY, dtype=str)
    in_2014 = history[history["ncdd_gazetteer_2014"].notna()]
    later_present = history[LATER_SNAPSHOTS].notna().any(axis=1)
    retired = set(history.loc[history["ncdd_gazetteer_2014"].notna() & history["pumi_2019-12-12"].isna(), "code"])
    aliases = {}
    for _, row in history[history["ncdd_gazetteer_2014"].isna() & later_present].iterrows():
        name = next(row[s] for s in reversed(LATER_SNAPSHOTS) if pd.notna(row[s]))
        match = _best_2014_match(row["code"], name, in_2014, retired)
        if match:
            aliases[row["code"]] = match
    logger.info("%d later commune codes map to a 2014 commune", len(aliases))
    return aliases


def _best_2014_match(code, name, in_2014, retired):
    candidates = in_2014[in_2014["code"].str[:2] == code[:2]]
    folded = fold_name(name)
    scored = []
    for candidate_code, candidate_name in zip(candidates["code"], candidates["ncdd_gazetteer_2014"]):
        score = difflib.SequenceMatcher(None, folded, fold_name(candidate_name)).ratio()
        scored.append((score, candidate_code in retired, candidate_code))
    scored.sort(reverse=True)
    if scored and scored[0][0] >= 0.85:
        return scored[0][2]
    return None


def read_spelling_variants(data_dir):
    """Other Latin spellings of each code from the NCDD gazetteer snapshots (same code = same unit there)."""
    variants = {}
    for name in ("commune_code_history.csv", "district_code_history.csv"):
        path = Path(data_dir) / "gazetteer" / name
        if path.exists():
            history = pd.read_csv(path, dtype=str)
            for row in history[["code", "ncdd_gazetteer_2014", *LATER_SNAPSHOTS]].itertuples(index=False):
                variants.setdefault(row[0], set()).update(v for v in row[1:] if isinstance(v, str))
    return variants
