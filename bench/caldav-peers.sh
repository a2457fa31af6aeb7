#!/usr/bin/env bash
# vdirsyncer and calsync on the shared CalDAV benchmark (../shared/bench), one after the
# other on the same machine and the same seeded calendars, then a side-by-side table
# (bench/caldav-compare.ts). Takes about 2.5 hours for the default sizes on 2 cores,
# most of it the servers' own writes (Radicale and Xandikos spend O(collection) per PUT).
#   bench/caldav-peers.sh                 NS="100 1000 5000", both targets
#   NS="100 1000" bench/caldav-peers.sh   about 12 minutes
# Needs Debian's radicale, xandikos, vdirsyncer, python3-caldav and time (the harness's
# README). Reports go to bench/results/; SEED_CACHE_DIR (default ~/.cache/calsync-caldav-bench)
# keeps the seeded calendars between runs, so seeding 5,000 items (10 minutes) happens once.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=${HARNESS:-$ROOT/../shared/bench}
export NS=${NS:-"100 1000 5000"} RESULTS_DIR=${RESULTS_DIR:-$ROOT/bench/results}
export SEED_CACHE_DIR=${SEED_CACHE_DIR:-$HOME/.cache/calsync-caldav-bench}
mkdir -p "$RESULTS_DIR" "$SEED_CACHE_DIR"
[[ -x "$HARNESS/run.sh" ]] || { echo "caldav-peers: no harness at $HARNESS (set HARNESS)" >&2; exit 2; }
for tool in radicale xandikos vdirsyncer /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "caldav-peers: $tool is missing (apt-get install radicale xandikos vdirsyncer python3-caldav time)" >&2; exit 2; }
done
# calsync runs its compiled form when it is current (bin/calsync.js).
(cd "$ROOT" && npm run build --silent)

newest() { ls -t "$RESULTS_DIR"/"$1"-*.tsv 2>/dev/null | head -n 1; }
ENGINE=vdirsyncer "$HARNESS/run.sh"
vdir=$(newest vdirsyncer)
ENGINE=calsync RUNNER="$ROOT/bench/calsync-run.sh" "$HARNESS/run.sh"
calsync=$(newest calsync)
table="${calsync%.tsv}-vs-vdirsyncer.md"
{
  echo "# calsync and vdirsyncer on the shared CalDAV benchmark, $(date -u +%Y-%m-%d)"
  echo
  echo "NS=\"$NS\"; reports: $(basename "$vdir"), $(basename "$calsync")"
  echo
  node --import tsx "$ROOT/bench/caldav-compare.ts" "$vdir" "$calsync"
} | tee "$table"
