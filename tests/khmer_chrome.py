"""What may stay in Latin letters in the Khmer UI chrome (shared by tests/test_i18n.py, which reads the
catalogues, templates and JS modules, and tests/browser/test_khmer_chrome.py, which reads the rendered pages).

Proper names, licences, file formats, key names and units stay as they are written; the abbreviations EIA,
PID, NCDD and API only next to their meaning in Khmer (the catalogue test checks each one). "SAMPLE" is not
among them: the SAMPLE notice is Khmer only."""
import re

ALLOWED_PHRASES = ("Open Development Cambodia", "CC BY 4.0", "CC BY", "iframe-resizer", "Leaflet.GestureHandling",
                   "Fiscal Data Package", "Frictionless")
ALLOWED_WORDS = {
    "geoBoundaries", "Leaflet", "OpenStreetMap", "NCDD", "Excel", "LibreOffice", "QGIS", "GDAL",  # proper names
    "CSV", "XLSX", "GeoJSON", "GeoPackage", "JSON", "OpenAPI", "OC4IDS", "PDF", "A4",  # file formats, standards
    "ctrl", "km",                                                          # a key name, a unit
    "EIA", "PID", "API",                                                   # abbreviations, explained (below)
}
# Each abbreviation is written out in Khmer wherever it appears in a Khmer message
EXPLAINED = {
    "EIA": "ការវាយតម្លៃហេតុប៉ះពាល់បរិស្ថាន",
    "PID": "មូលដ្ឋានទិន្នន័យអនុវត្តគម្រោង",
    "API": "សេវាទិន្នន័យសម្រាប់កម្មវិធី",
    "NCDD": "គណៈកម្មាធិការជាតិ",
}
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[.\-][A-Za-z0-9]+)*")
PLACEHOLDER = re.compile(r"%\(\w+\)s|%s")


def latin_words(text):
    """The Latin words of a text that are not allowed in Khmer chrome."""
    text = PLACEHOLDER.sub(" ", text)
    for phrase in ALLOWED_PHRASES:
        text = text.replace(phrase, " ")
    return sorted({word for word in LATIN_WORD.findall(text) if word not in ALLOWED_WORDS and len(word) > 1})
