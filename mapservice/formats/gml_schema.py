"""The GML application schema (XSD) of an OGC API collection: one feature type whose elements are the properties of
the collection's GeoJSON features, with the same types as the JSON Schema (``ogc.property_kind``). No Flask here.

Why a second schema: GIS clients take field types from it. GDAL's OAPIF driver (3.6 and later) prefers a
``describedBy`` link of type application/xml to the JSON Schema and maps ``xs:long`` to Integer64, where it makes a
32-bit Integer of any JSON Schema "integer" (riel totals pass 2^31). The features themselves stay GeoJSON."""
from xml.sax.saxutils import escape, quoteattr

from mapservice.formats import ogc

NAMESPACE = "https://opendevelopmentcambodia.net/mapservice/ogc"
XSD_TYPES = {"money": "xs:long", "date": "xs:date", "number": "xs:double", "integer": "xs:int",
             "boolean": "xs:boolean", "string": "xs:string"}
GEOMETRY_TYPES = {"projects": "gml:PointPropertyType"}  # areas and statistics: multipolygons


def gml_schema(collection):
    """The XSD text: the feature element (substitution group gml:_Feature) and its complex type."""
    name = collection.id  # XML names allow the "-" of the statistics collections
    geometry = GEOMETRY_TYPES.get(collection.kind, "gml:MultiSurfacePropertyType")
    elements = [f'          <xs:element name="geometry" type="{geometry}" minOccurs="0" nillable="true"/>'] + [
        f'          <xs:element name={quoteattr(prop)} type="{XSD_TYPES[ogc.property_kind(prop)]}" minOccurs="0" '
        'nillable="true"/>' for prop in ogc.PROPERTIES[collection.kind]]
    return "\n".join([
        '<?xml version="1.0" encoding="UTF-8"?>',
        (f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:gml="http://www.opengis.net/gml" '
         f'xmlns:ms="{NAMESPACE}" targetNamespace="{NAMESPACE}" elementFormDefault="qualified" version="1.0">'),
        ('  <xs:import namespace="http://www.opengis.net/gml" '
         'schemaLocation="http://schemas.opengis.net/gml/3.1.1/base/gml.xsd"/>'),
        (f"  <xs:annotation><xs:documentation>{escape(collection.title)}: the properties of its GeoJSON features "
         "(money in whole riel, dates YYYY-MM-DD; any property may be null)</xs:documentation></xs:annotation>"),
        f'  <xs:element name="{name}" type="ms:{name}Type" substitutionGroup="gml:_Feature"/>',
        f'  <xs:complexType name="{name}Type">',
        "    <xs:complexContent>",
        '      <xs:extension base="gml:AbstractFeatureType">',
        "        <xs:sequence>",
        *elements,
        "        </xs:sequence>",
        "      </xs:extension>",
        "    </xs:complexContent>",
        "  </xs:complexType>",
        "</xs:schema>",
        "",
    ])

