#!/usr/bin/env bash
# One command for a new user: install, create the SpatiaLite database, import the 2014 boundaries,
# load ~15k SAMPLE projects, and serve on http://127.0.0.1:${PORT:-5000}/
#   scripts/run.sh            the app alone (gunicorn), for a laptop
#   scripts/run.sh --public   the same site through the nginx front (docs/deployment.md): nginx on $PORT,
#                             gunicorn behind it on a unix socket under var/front/; Ctrl-C stops both
set -euo pipefail
cd "$(dirname "$0")/.."
PUBLIC=""
case "${1:-}" in
  "") ;;
  --public) PUBLIC="--public" ;;
  *) echo "usage: scripts/run.sh [--public]" >&2; exit 2 ;;
esac
scripts/setup.sh ${PUBLIC:+public}
export MAPSERVICE_DATA_DIR="${MAPSERVICE_DATA_DIR:-$(cd .. && pwd)/shared/data}"
if [ ! -d "$MAPSERVICE_DATA_DIR/boundaries" ]; then
  echo "error: no boundaries/ in MAPSERVICE_DATA_DIR=$MAPSERVICE_DATA_DIR (see README: Data sources)" >&2
  exit 2
fi
.venv/bin/mapservice init
.venv/bin/mapservice import-boundaries
.venv/bin/mapservice sample --projects "${SAMPLE_PROJECTS:-15000}" --seed 1
.venv/bin/mapservice report > /dev/null
exec .venv/bin/mapservice serve --host "${HOST:-127.0.0.1}" --port "${PORT:-5000}" $PUBLIC
