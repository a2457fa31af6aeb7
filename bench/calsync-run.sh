#!/usr/bin/env bash
# calsync as an engine of the shared CalDAV benchmark (../shared/bench/run.sh), with the
# same contract as its vdirsyncer-run.sh:
#
#   bench/calsync-run.sh [--no-discover] [--no-sync] [--label L] WORKDIR URL_A URL_B
#
#   discover  connect both servers and bind both collections to one calendar
#             (A's binding remote-wins, B's calendar-wins: "A wins" on conflicts)
#   sync      `calsync sync --calendar`: passes of both bindings until a round writes nothing
#
# State (the embedded Postgres, keys) lives in WORKDIR/calsync between calls.
# Environment: A_USER/A_PASS, B_USER/B_PASS (default bench/bench), TIME_BIN.
# Prints per timed step: RESULT <label> <step> wall_s= maxrss_kb= user_s= sys_s= exit=
# maxrss is the calsync process; the embedded Postgres is a separate process whose
# memory is not included (its CPU shows in neither column).
set -uo pipefail

DISCOVER=1
SYNC=1
LABEL=run
while [[ $# -gt 0 ]]; do
  case "$1" in
    --no-discover) DISCOVER=0; shift ;;
    --no-sync) SYNC=0; shift ;;
    --label) LABEL=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) break ;;
  esac
done
if [[ $# -ne 3 ]]; then
  echo "usage: $0 [--no-discover] [--no-sync] [--label L] WORKDIR URL_A URL_B" >&2
  exit 2
fi
WORKDIR=$1 URL_A=$2 URL_B=$3
TIME_BIN=${TIME_BIN:-/usr/bin/time}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$WORKDIR"/{timings,logs}
WORKDIR=$(cd "$WORKDIR" && pwd)
chmod 755 "$WORKDIR"
export CALSYNC_DATA_DIR="$WORKDIR/calsync" CALSYNC_ALLOW_PRIVATE_URLS=1 LOG_LEVEL=warn
export BENCH_A_PASS="${A_PASS:-bench}" BENCH_B_PASS="${B_PASS:-bench}"
unset DATABASE_URL

calsync() { node "$ROOT/bin/calsync.js" "$@"; }

parse_time() {
  awk -F': ' '
    /Elapsed \(wall clock\) time/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; wall = s }
    /Maximum resident set size/ { rss = $2 }
    /User time \(seconds\)/ { usr = $2 }
    /System time \(seconds\)/ { sys = $2 }
    END { printf "wall_s=%.2f maxrss_kb=%d user_s=%.2f sys_s=%.2f", wall, rss, usr, sys }
  ' "$1"
}

rc_all=0
run_step() { # step, script
  local step=$1 script=$2
  local tf="$WORKDIR/timings/$LABEL.$step.time" log="$WORKDIR/logs/$LABEL.$step.log" rc
  "$TIME_BIN" -v -o "$tf" bash -c "$script" </dev/null >"$log" 2>&1
  rc=$?
  [[ $rc -ne 0 ]] && rc_all=$rc
  echo "RESULT $LABEL $step $(parse_time "$tf") exit=$rc"
  if [[ $rc -ne 0 ]]; then
    echo "calsync $step failed (exit $rc); last lines of $log:" >&2
    tail -n 20 "$log" >&2
  fi
}

# The server root of a collection URL: discovery starts there.
root_of() { echo "$1" | sed -E 's#^(https?://[^/]+/).*#\1#'; }

DISCOVER_SCRIPT=$(cat <<SCRIPT
set -euo pipefail
cd "$ROOT"
a=\$(node bin/calsync.js connect caldav --url "$(root_of "$URL_A")" --username "${A_USER:-bench}" --password-env BENCH_A_PASS --json)
b=\$(node bin/calsync.js connect caldav --url "$(root_of "$URL_B")" --username "${B_USER:-bench}" --password-env BENCH_B_PASS --json)
a_id=\$(echo "\$a" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).account.id))')
b_id=\$(echo "\$b" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).account.id))')
bound=\$(node bin/calsync.js bind --account "\$a_id" --remote "$URL_A" --new-calendar bench --policy remote-wins --json)
calendar=\$(echo "\$bound" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).calendarId))')
node bin/calsync.js bind --account "\$b_id" --remote "$URL_B" --calendar "\$calendar" --policy calendar-wins --json >/dev/null
echo "\$calendar" > "$WORKDIR/calendar-id"
SCRIPT
)

if [[ $DISCOVER -eq 1 ]]; then
  run_step discover "$DISCOVER_SCRIPT"
fi
if [[ $SYNC -eq 1 ]]; then
  run_step sync "cd '$ROOT' && node bin/calsync.js sync --calendar \"\$(cat '$WORKDIR/calendar-id')\" --confirm-deletions"
fi
exit $rc_all
