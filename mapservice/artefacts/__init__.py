"""Work once per data version: the files that do not depend on the request (choropleth layers, downloads, datasets,
OC4IDS, TileJSON, tiles), built after an import commits, precompressed, written under MAPSERVICE_ARTEFACT_DIR with a
manifest, and switched to atomically. Between ``formats`` and ``web``: may import formats, layers, read, store."""
