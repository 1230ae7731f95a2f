"""The one cache type of the service: a small thread-safe LRU for what is built from the data (snapshot
responses, tiles, compressed bodies). Keys carry the data version, so an import never serves stale entries."""
import threading
from collections import OrderedDict


class LRU:
    """A small thread-safe least-recently-used cache."""

    def __init__(self, size):
        self.size, self.items, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key, value):
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)
        return value

    def get_or_build(self, key, build):
        """The value kept under ``key``, or ``build()`` kept there (a race builds it twice, with the same result)."""
        found = self.get(key)
        return found if found is not None else self.put(key, build())
