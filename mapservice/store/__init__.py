"""Store: what is kept, and how it is written.

Engines and schema (``db``), the GeoAlchemy2 model (``models``) and its controlled vocabulary (``vocabulary``),
the writes and the frames read back for the other wings (``tables``), the per-area statistics rebuilt inside an
import (``statistics``), and the rule of which commune holds a point (``spatial``).

May import: ``config`` only. Every other wing builds on this one.
"""
