"""The DCAT catalogue (JSON-LD, as ``catalogue.dcat_catalogue`` builds it) in the other RDF serialisations
harvesters ask for: Turtle and RDF/XML, through rdflib. No Flask here; nothing is fetched (the context is inline)."""
import json

import rdflib

JSON_LD, TURTLE, RDF_XML = "application/ld+json", "text/turtle", "application/rdf+xml"
SERIALISATIONS = {JSON_LD: "json-ld", TURTLE: "turtle", RDF_XML: "xml"}  # JSON-LD first: the default


def serialise(document, media_type):
    """The JSON-LD ``document`` as bytes of ``media_type`` (one of SERIALISATIONS), the same triples."""
    graph = rdflib.Graph()
    graph.parse(data=json.dumps(document, ensure_ascii=False), format="json-ld")
    for prefix, namespace in document["@context"].items():
        graph.bind(prefix, namespace)
    return graph.serialize(format=SERIALISATIONS[media_type], encoding="utf-8")
