"""Browser tests: the map page, the embed, accessibility and vector tiles in headless Chromium."""
