"""Place search: Khmer or Latin names of provinces, districts and communes, tolerant of spelling variants
("Ou Chrov" / "O Chrov" / "អូរជ្រៅ"). The index is built once per data version."""
import difflib
import re
import unicodedata

LEVEL_ORDER = {"province": 0, "district": 1, "commune": 2}
# Romanisations of Khmer vary (NCDD, UNGEGN, MEF): fold the usual alternations to one spelling.
FOLDS = [("ou", "o"), ("oa", "o"), ("ae", "e"), ("ea", "e"), ("ey", "ei"), ("y", "i"), ("kh", "k"), ("ph", "p"),
         ("th", "t"), ("bh", "b"), ("v", "w"), ("u", "o"), ("aa", "a"), ("ee", "e"), ("oo", "o")]
MIN_SCORE = 0.75


def fold_latin(text):
    """Lower case, no accents, no spaces or punctuation, usual romanisation variants folded."""
    text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().casefold()
    text = re.sub(r"[^a-z]", "", text)
    for old, new in FOLDS:
        text = text.replace(old, new)
    return re.sub(r"(.)\1+", r"\1", text)


def fold_khmer(text):
    return re.sub(r"[\s\u200b\u200c\u200d]", "", str(text))


class PlaceIndex:
    """Every area with its folded names."""

    def __init__(self, areas, variants):
        self.entries = []
        for level, by_code in areas.items():
            for code, area in by_code.items():
                latin = {area["name_en"], *variants.get(code, ())}
                self.entries.append({"code": code, "level": level, "name_km": area["name_km"],
                                     "name_en": area["name_en"], "parent_code": area["parent_code"],
                                     "label": area["label"], "_latin": {fold_latin(n) for n in latin},
                                     "_khmer": fold_khmer(area["name_km"])})

    def search(self, query, limit=20):
        """Best matches first: exact, then prefix, then contained, then similar spellings."""
        scored = []
        for entry in self.entries:
            score = self._score(query, entry)
            if score >= MIN_SCORE:
                scored.append((-score, LEVEL_ORDER[entry["level"]], entry["code"], entry))
        scored.sort(key=lambda item: item[:3])
        return [{**{k: v for k, v in e.items() if not k.startswith("_")}, "score": round(-s, 3)}
                for s, _, _, e in scored[:limit]]

    @staticmethod
    def _score(query, entry):
        khmer = fold_khmer(query)
        if re.search(r"[\u1780-\u17ff]", khmer):
            return 1.0 if khmer == entry["_khmer"] else 0.9 if entry["_khmer"].startswith(khmer) \
                else 0.8 if khmer in entry["_khmer"] else 0.0
        folded = fold_latin(query)
        if not folded:
            return 0.0
        best = 0.0
        for name in entry["_latin"]:
            if folded == name:
                return 1.0
            if name.startswith(folded) and len(folded) >= 3:
                best = max(best, 0.9)
            elif folded in name and len(folded) >= 4:
                best = max(best, 0.8)
            else:
                best = max(best, difflib.SequenceMatcher(None, folded, name).ratio() * 0.95)
        return best
