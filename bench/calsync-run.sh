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
# State (the embedded Postgres, keys) lives in WORKDIR/calsync between calls. calsync
# runs as a service, so its database stays up between steps: the first call starts
# `calsync api` (HTTP on a free loopback port, no worker, so nothing syncs behind the
# timed commands) and the timed commands attach to its Postgres instead of starting
# and stopping one each. Its PID goes to WORKDIR/../pids/calsync.pid, where the
# harness's stop.sh ends it with the servers (elsewhere: kill "$(cat WORKDIR/calsync.pid)").
# Environment: A_USER/A_PASS, B_USER/B_PASS (default bench/bench), TIME_BIN.
# Prints per timed step: RESULT <label> <step> wall_s= maxrss_kb= user_s= sys_s= exit=
# db_cpu_usr= db_cpu_sys=. user_s and sys_s include the CPU Postgres spent during the step
# (also shown apart as db_cpu_*); maxrss is the calsync command's own.
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
# As root the embedded Postgres runs as user "postgres", which must be able to enter
# every parent of its data folder; the harness makes its state folder with mktemp -d (0700).
if [[ $(id -u) -eq 0 ]]; then
  dir=$WORKDIR
  while [[ $dir != / ]]; do
    [[ $(stat -c %A "$dir") == *x ]] || chmod o+x "$dir"
    dir=$(dirname "$dir")
  done
fi
export CALSYNC_DATA_DIR="$WORKDIR/calsync" CALSYNC_ALLOW_PRIVATE_URLS=1 LOG_LEVEL=warn
export BENCH_A_PASS="${A_PASS:-bench}" BENCH_B_PASS="${B_PASS:-bench}"
unset DATABASE_URL

calsync() { node "$ROOT/bin/calsync.js" "$@"; }

# The resident database: `calsync api` on the data folder, started once.
start_database() {
  local pidfile="$WORKDIR/calsync.pid" log="$WORKDIR/logs/calsync-api.log"
  if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then return 0; fi
  PORT=0 nohup node "$ROOT/bin/calsync.js" api >"$log" 2>&1 </dev/null &
  echo $! >"$pidfile"
  [[ -d "$WORKDIR/../pids" ]] && cp "$pidfile" "$WORKDIR/../pids/calsync.pid"
  for _ in $(seq 1 600); do
    grep -q 'listening on' "$log" && return 0
    kill -0 "$(cat "$pidfile")" 2>/dev/null || break
    sleep 0.1
  done
  echo "calsync api did not start; last lines of $log:" >&2
  tail -n 20 "$log" >&2
  return 1
}

# CPU seconds (user, system) Postgres used so far: the postmaster's own and that of its
# exited children (connections close when a command ends).
database_cpu() {
  local pid ticks
  pid=$(head -n 1 "$CALSYNC_DATA_DIR/postgres/postmaster.pid" 2>/dev/null) || { echo "0 0"; return; }
  ticks=$(getconf CLK_TCK)
  awk -v t="$ticks" '{printf "%.2f %.2f", ($14 + $16) / t, ($15 + $17) / t}' "/proc/$pid/stat" 2>/dev/null || echo "0 0"
}

parse_time() { # time file, database CPU before and after ("user sys")
  local db_usr db_sys
  read -r db_usr db_sys < <(awk -v b="$2" -v a="$3" 'BEGIN{split(b, x, " "); split(a, y, " "); printf "%.2f %.2f", y[1] - x[1], y[2] - x[2]}')
  awk -F': ' -v du="$db_usr" -v ds="$db_sys" '
    /Elapsed \(wall clock\) time/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; wall = s }
    /Maximum resident set size/ { rss = $2 }
    /User time \(seconds\)/ { usr = $2 }
    /System time \(seconds\)/ { sys = $2 }
    END { printf "wall_s=%.2f maxrss_kb=%d user_s=%.2f sys_s=%.2f db_cpu_usr=%.2f db_cpu_sys=%.2f", wall, rss, usr + du, sys + ds, du, ds }
  ' "$1"
}

rc_all=0
run_step() { # step, script
  local step=$1 script=$2
  local tf="$WORKDIR/timings/$LABEL.$step.time" log="$WORKDIR/logs/$LABEL.$step.log" rc before after
  before=$(database_cpu)
  "$TIME_BIN" -v -o "$tf" bash -c "$script" </dev/null >"$log" 2>&1
  rc=$?
  after=$(database_cpu)
  [[ $rc -ne 0 ]] && rc_all=$rc
  echo "RESULT $LABEL $step $(parse_time "$tf" "$before" "$after") exit=$rc"
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

# The timed commands must run the compiled bundle, not the sources through tsx (about
# 0.7 s more per command): build when a source is newer than the last build, untimed.
if [[ ! -f "$ROOT/dist/.build-stamp" ]] || [[ -n $(find "$ROOT/src" "$ROOT/sql" -newer "$ROOT/dist/.build-stamp" -print -quit) ]]; then
  (cd "$ROOT" && npm run build --silent) || { echo "calsync-run: npm run build failed" >&2; exit 1; }
fi
start_database || exit 1
if [[ $DISCOVER -eq 1 ]]; then
  run_step discover "$DISCOVER_SCRIPT"
fi
if [[ $SYNC -eq 1 ]]; then
  run_step sync "cd '$ROOT' && node bin/calsync.js sync --calendar \"\$(cat '$WORKDIR/calendar-id')\" --confirm-deletions"
fi
exit $rc_all
