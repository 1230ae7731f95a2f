"""Speed by construction, the HTTP side: rendered responses cached by (data version, normalised request), ETag and 304,
Cache-Control, gzip/brotli compressed once per body, CORS for GET. No Flask views here, only hooks."""
import gzip
import hashlib

import brotli
from flask import request

from mapservice.read.cache import LRU

MAX_AGE = 300  # seconds a browser or CDN may reuse a response before revalidating with its ETag
COMPRESS_MIN_BYTES = 500
BROTLI_QUALITY, GZIP_LEVEL = 4, 6  # dynamic answers: about gzip 9's size at a tenth of brotli 11's time
COMPRESSIBLE = ("application/json", "application/geo+json", "text/", "application/javascript",
                "application/vnd.oai.openapi+json", "image/svg+xml", "application/schema+json",
                "application/ld+json", "application/rdf+xml", "application/vnd.mapbox-vector-tile")


compressed_bodies = LRU(512)


def request_key(version, extra=()):
    """The cache key of this request: data version, path, sorted query parameters, and anything extra."""
    params = tuple(sorted((k, v) for k, v in request.args.items(multi=True)))
    return (version, request.path, params, *extra)


def cached_body(cache, key, build):
    """``build()`` (bytes) once per key, kept with its ETag so that a cache hit is not hashed again: (body, etag)."""
    def with_etag():
        body = build()
        return body, hashlib.sha1(body).hexdigest()

    return cache.get_or_build(key, with_etag)


def _encoding():
    """brotli or gzip as Accept-Encoding allows (quality values respected, br first on a tie), else None."""
    return request.accept_encodings.best_match(["br", "gzip"])


def _compress(body, encoding, etag):
    # per request (then cached per body): fast levels, since the work must cost less than the answer it speeds up
    # (brotli 11 took 130 ms for a 100-feature page built in 23 ms); the maximum levels are for the files built
    # once per data version (mapservice/artefacts/directory.py)
    return compressed_bodies.get_or_build((etag, encoding), lambda: brotli.compress(
        body, quality=BROTLI_QUALITY) if encoding == "br" else gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0))


def finish_response(response):
    """after_request hook: CORS, caching headers, conditional 304, compression."""
    if request.method not in ("GET", "HEAD"):
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.vary.add("Accept-Encoding")  # one Vary header, whatever the view added
    if response.direct_passthrough and request.endpoint == "static" and response.mimetype.startswith(COMPRESSIBLE):
        # our JS and CSS and the vendored Leaflet: read the file so that it is compressed like the rest
        # (once per file version: the compressed bytes are cached by ETag)
        response.direct_passthrough = False
        response.make_sequence()
    if response.status_code != 200 or response.direct_passthrough or response.is_streamed:
        return response
    if not response.get_etag()[0]:
        response.set_etag(hashlib.sha1(response.get_data()).hexdigest())
    response.headers.setdefault("Cache-Control", f"public, max-age={MAX_AGE}")
    body, etag = response.get_data(), response.get_etag()[0]
    compressible = len(body) >= COMPRESS_MIN_BYTES and response.mimetype.startswith(COMPRESSIBLE)
    encoding = _encoding() if compressible else None
    if encoding:  # a strong ETag names one representation: the compressed bytes get their own
        response.set_etag(f"{etag}-{encoding}")
    response.make_conditional(request)
    if response.status_code == 304:
        return response
    if encoding:
        response.set_data(_compress(body, encoding, etag))
        response.headers["Content-Encoding"] = encoding
    return response
