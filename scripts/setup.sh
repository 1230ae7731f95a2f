#!/usr/bin/env bash
# Install what the service needs on Debian 12 (apt packages, a virtualenv in .venv) — idempotent.
# Used by scripts/run.sh and scripts/test.sh; pass "test" to also install the test-only packages, "public" for the
# nginx front of scripts/run.sh --public (the tests need it too).
set -euo pipefail
cd "$(dirname "$0")/.."

# SpatiaLite for the embedded database; Khmer fonts for the PNG maps the service renders; Pango and HarfBuzz for
# WeasyPrint, which lays out the budget infographic's PDF and PNG with Khmer shaped correctly
apt_packages=(libsqlite3-mod-spatialite python3-venv fonts-khmeros fonts-noto-core
              libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)
if [ "${1:-}" = "test" ]; then
  # PostGIS for the second database, GDAL's OGC API client, Chromium for the browser tests
  apt_packages+=(postgresql-15 postgresql-15-postgis-3 gdal-bin chromium chromium-driver)
fi
if [ "${1:-}" = "test" ] || [ "${1:-}" = "public" ]; then
  # the public front; it runs as our own process (mapservice serve --public), the system service stays as it was
  apt_packages+=(nginx-light)
fi

missing=()
for package in "${apt_packages[@]}"; do
  dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing apt packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
# pip runs only when pyproject.toml changed since the last install of this kind (the package is installed editable,
# so a change of code needs none): a second scripts/run.sh starts in seconds
stamp=".venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)"
if [ "${1:-}" = "test" ]; then
  if [ ! -e "$stamp-test" ]; then
    .venv/bin/pip install -q --upgrade pip
    .venv/bin/pip install -q -e ".[test]"
    touch "$stamp-test"
  fi
elif [ ! -e "$stamp-test" ] && [ ! -e "$stamp" ]; then
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q -e .
  touch "$stamp"
fi
# the Khmer and English catalogues are compiled here, not committed
if [ -d translations ]; then
  .venv/bin/pybabel compile -d translations >/dev/null
fi
