"""The filters in words, for the titles and captions of maps, pictures and pages:
"2016 · Banteay Meanchey · Rural road". No Flask: the language and the years shown for "all" are arguments."""
from mapservice.formats.locale import catalogue, localized
from mapservice.store import vocabulary

CHOICES = (("sector", vocabulary.SECTORS), ("status", vocabulary.STATUSES),
           ("eia_status", vocabulary.EIA_STATUSES), ("funding_source", vocabulary.FUNDING_SOURCES))


def describe_filters(filters, areas, language, first_year, last_year):
    """The filters in words; ``first_year``-``last_year`` when no year is chosen, "Cambodia" when no area is."""
    words = catalogue(language)
    first, last = (filters.year_from, filters.year_to) if filters.year_from is not None else (first_year, last_year)
    parts = [str(first) if first == last else f"{first}–{last}"]
    level = next((name for name in ("commune", "district", "province") if getattr(filters, name)), None)
    parts.append(", ".join(localized(areas[level][code], language) for code in getattr(filters, level)) if level
                 else words.gettext("Cambodia"))
    label = 0 if language == "en" else 1
    for name, table in CHOICES:
        if getattr(filters, name):
            parts.append(", ".join(table[code][label] for code in getattr(filters, name)))
    if filters.eia_required is not None:
        parts.append(words.gettext("EIA required") if filters.eia_required else words.gettext("EIA not required"))
    if filters.q:
        parts.append(f"“{filters.q}”")
    return " · ".join(parts)
