#!/usr/bin/env bash
# One command for the whole test suite, on SpatiaLite and on PostGIS (installed and started if needed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export MAPSERVICE_DATA_DIR="${MAPSERVICE_DATA_DIR:-$(cd .. && pwd)/shared/data}"

# Every real part the tests need must be there: a missing one fails the run, naming it. Only an explicit
# MAPSERVICE_TEST_SKIP (postgis, chromium, oc4ids-validator; comma-separated) skips its tests, and pytest's
# summary then counts them (tests/conftest.py). CI=false or an unset CI changes nothing.
opted_out() { case ",${MAPSERVICE_TEST_SKIP:-}," in *",$1,"*) return 0;; *) return 1;; esac; }

# PostgreSQL 15 with PostGIS on 127.0.0.1:5432; tests connect as postgres (trust auth on this machine).
if [ -z "${MAPSERVICE_TEST_POSTGRES:-}" ] && ! opted_out postgis && ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO pg_ctlcluster --skip-systemctl-redirect 15 main start \
    || echo "scripts/test.sh: could not start PostgreSQL 15 (pg_ctlcluster 15 main start failed)" >&2
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  if ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "scripts/test.sh: PostgreSQL/PostGIS is not running on 127.0.0.1:5432; the PostGIS tests need it" \
         "(or set MAPSERVICE_TEST_SKIP=postgis to skip them)" >&2
    exit 1
  fi
fi

# A fresh Debian cluster asks for a password on 127.0.0.1: give postgres one for the tests.
if [ -z "${MAPSERVICE_TEST_POSTGRES:-}" ] && ! opted_out postgis; then
  if psql -h 127.0.0.1 -U postgres -d postgres -tAc "select 1" >/dev/null 2>&1; then
    export MAPSERVICE_TEST_POSTGRES="postgresql+psycopg://postgres@127.0.0.1:5432"
  else
    su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'mapservice-test'\"" >/dev/null
    export MAPSERVICE_TEST_POSTGRES="postgresql+psycopg://postgres:mapservice-test@127.0.0.1:5432"
  fi
fi

# Two passes (tests/conftest.py): every test but those marked serial on two pytest-xdist workers (most tests wait on
# PostGIS, nginx or Chromium as much as they compute), then the serial ones alone, which measure latency under load.
# Extra arguments go to both; a pass that selects nothing (exit status 5) is not a failure, unless both do.
status=0
MAPSERVICE_TEST_PASS=parallel .venv/bin/python -m pytest -q -n "${MAPSERVICE_TEST_WORKERS:-2}" "$@" || status=$?
serial=0
MAPSERVICE_TEST_PASS=serial .venv/bin/python -m pytest -q "$@" || serial=$?
if [ "$status" -eq 5 ] && [ "$serial" -ne 5 ]; then status=0; fi  # nothing parallel was asked
if [ "$serial" -ne 0 ] && [ "$serial" -ne 5 ]; then status=$serial; fi
exit "$status"
