"""The artefact directory: one folder per data version, written whole under a temporary name, then made current by
one atomic rename of the ``current`` link; the previous version stays until the next switch (a request that
started on it finishes), older ones are removed. A failed build removes its own folder and leaves ``current``.

    MAPSERVICE_ARTEFACT_DIR/
        current -> v12-20261207T010203-1a2b    (a relative symlink)
        v12-20261207T010203-1a2b/manifest.json, layers/..., downloads/..., tiles/... (.gz and .br beside each)
"""
import gzip
import hashlib
import json
import os
import shutil
import threading
import uuid
from datetime import datetime, timezone
from pathlib import Path

import brotli

CURRENT = "current"
MANIFEST = "manifest.json"
# formats that are compressed already (XLSX is a zip): their bytes are kept as they are
PRECOMPRESSED_TYPES = ("application/vnd.openxmlformats",)
COMPRESS_MIN_BYTES = 500  # as web/http_cache.py: below this the header costs more than it saves
ENCODINGS = {"br": ".br", "gzip": ".gz"}


# brotli's levels by size: 11 (the maximum) costs about 13 s per MB on this (shared, 2-core) machine, 10 about 6 s,
# 9 half a second: the 28 commune layers of 1.4 MB each would take 6 minutes at 11 for 26% fewer bytes than 9
# (179 vs 242 KB; gzip 9: 265 KB). Tiles and most files are far smaller and get 11.
BROTLI_QUALITY_BY_SIZE = ((128_000, 11), (None, 9))


def compress_max(body, encoding):
    """The smallest levels worth their time: each file is compressed once per data version."""
    if encoding == "br":
        quality = next(q for limit, q in BROTLI_QUALITY_BY_SIZE if limit is None or len(body) <= limit)
        return brotli.compress(body, quality=quality, lgwin=24)
    return gzip.compress(body, compresslevel=9, mtime=0)


class VersionWriter:
    """Writes one version's files into a fresh folder; ``commit()`` writes the manifest and switches ``current``."""

    def __init__(self, root, data_version, database, base_url):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
        self.name = f"v{data_version}-{stamp}-{uuid.uuid4().hex[:6]}"
        self.folder = self.root / f".building-{self.name}"
        self.folder.mkdir(mode=0o755)
        self.manifest = {"data_version": data_version, "database": database, "base_url": base_url,
                         "folder": self.name, "artefacts": {}}
        self.written = 0  # bytes of every file written so far (the build report's bytes per step)

    def add(self, name, body, content_type, headers=None, with_links=False):
        """Write ``body`` (bytes) under ``name`` with its .br and .gz, and its manifest entry."""
        entry = {"file": name, "content_type": content_type, **_describe(body), "etag": hashlib.sha1(body).hexdigest(),
                 "headers": headers or {}, "with_links": with_links, "encodings": {}}
        self._write(name, body)
        if len(body) >= COMPRESS_MIN_BYTES and not content_type.startswith(PRECOMPRESSED_TYPES):
            for encoding, suffix in ENCODINGS.items():
                packed = compress_max(body, encoding)
                self._write(name + suffix, packed)
                entry["encodings"][encoding] = {"file": name + suffix, **_describe(packed)}
        self.manifest["artefacts"][name] = entry

    def _write(self, name, body):
        path = self.folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        self.written += len(body)
        path.chmod(0o644)  # nginx's workers may run as another user

    def commit(self, seconds):
        """Write the manifest, rename the folder into place and point ``current`` at it; return the manifest (None
        when a newer version is current already)."""
        entries = self.manifest["artefacts"].values()
        self.manifest |= {"built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "seconds": seconds,
                          "files": sum(1 + len(e["encodings"]) for e in entries),
                          "bytes": sum(e["bytes"] + sum(v["bytes"] for v in e["encodings"].values())
                                       for e in entries)}
        previous = current_folder(self.root)
        if previous and _version_of(previous) > self.manifest["data_version"]:
            self.abandon()  # a later import's build finished first: never switch back to an older version
            return None
        (self.folder / MANIFEST).write_text(json.dumps(self.manifest, ensure_ascii=False, indent=1), encoding="utf-8")
        self.folder.rename(self.root / self.name)
        link = self.root / f".{CURRENT}-{self.name}"
        link.symlink_to(self.name)
        os.replace(link, self.root / CURRENT)  # atomic: a reader sees the old version or the new one
        _remove_older(self.root, keep={self.name, previous})
        return self.manifest

    def abandon(self):
        shutil.rmtree(self.folder, ignore_errors=True)


def _version_of(folder_name):
    return int(folder_name[1:].split("-", 1)[0])


def _describe(body):
    return {"bytes": len(body), "sha256": hashlib.sha256(body).hexdigest()}


def current_folder(root):
    """The folder name ``current`` points at, or None."""
    try:
        return os.readlink(Path(root) / CURRENT)
    except OSError:
        return None


def _remove_older(root, keep):
    for path in Path(root).iterdir():
        if path.name.startswith("v") and path.is_dir() and path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)
        elif path.name.startswith(".building-") and path.is_dir():
            pass  # another build in progress (or a crashed one: removed by the next abandon of that name)


class CurrentManifest:
    """The manifest of the current version, read again only when the ``current`` link changes (one readlink per
    request). ``get()`` -> (folder path, manifest) or None when nothing is built."""

    def __init__(self, root):
        self.root = Path(root) if root else None
        self.loaded = (None, None)
        self.lock = threading.Lock()

    def get(self):
        if self.root is None:
            return None
        name = current_folder(self.root)
        if name is None:
            return None
        if self.loaded[0] != name:
            with self.lock:
                try:
                    manifest = json.loads((self.root / name / MANIFEST).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    return None
                self.loaded = (name, manifest)
        return self.root / name, self.loaded[1]
