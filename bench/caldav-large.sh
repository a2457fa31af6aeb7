#!/usr/bin/env bash
# Memory and time of calsync's first pass over a large CalDAV calendar: N events of the
# shared benchmark's workload (../shared/bench/seed.py) on Radicale, imported into a new
# calendar by `calsync sync <binding>`, with the peak RSS of that command.
#   bench/caldav-large.sh                 NS="10000 50000", about 10 minutes (mostly Radicale
#                                         reading the items it was given, before the timed pass)
#   NS="5000" bench/caldav-large.sh
# Filling Radicale by PUT costs O(collection) per item (hours at 50,000), so the
# collection's files are written straight into Radicale's storage folder before it starts,
# which is how Radicale keeps them (one .ics per item). Needs Debian's radicale,
# python3-caldav (seed.py imports it) and time.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HARNESS=${HARNESS:-$ROOT/../shared/bench}
NS=${NS:-"10000 50000"}
TIME_BIN=${TIME_BIN:-/usr/bin/time}
[[ -f "$HARNESS/seed.py" ]] || { echo "caldav-large: no harness at $HARNESS (set HARNESS)" >&2; exit 2; }
for tool in radicale /usr/bin/python3 "$TIME_BIN"; do
  command -v "$tool" >/dev/null || { echo "caldav-large: $tool is missing (apt-get install radicale python3-caldav time)" >&2; exit 2; }
done
(cd "$ROOT" && npm run build --silent)

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

STATE=$(mktemp -d)
chmod 755 "$STATE"
# Each run's Radicale and `calsync api` are stopped by the PIDs in its pids/ folder
# (the harness's stop.sh checks each is still the process it started).
cleanup() {
  for run in "$STATE"/*/; do [[ -d $run/pids ]] && "$HARNESS/stop.sh" "$run" >/dev/null 2>&1; done
  rm -rf "$STATE"
}
calsync() { node "$ROOT/bin/calsync.js" "$@"; }
trap cleanup EXIT

echo "| events | pass seconds | peak RSS MiB | requests | Radicale CPU s |"
echo "|---:|---:|---:|---:|---:|"
for n in $NS; do
  run="$STATE/$n"
  mkdir -p "$run/seed/collection-root/bench/large" "$run/pids" "$run/logs"
  # The events as Radicale stores them: the collection's props, then one file per item.
  /usr/bin/python3 - "$HARNESS" "$run/seed/collection-root/bench/large" "$n" <<'PY'
import json, os, sys
sys.path.insert(0, sys.argv[1])
import seed
folder, n = sys.argv[2], int(sys.argv[3])
with open(os.path.join(folder, ".Radicale.props"), "w") as f:
    json.dump({"tag": "VCALENDAR", "D:displayname": "large"}, f)
for i in range(n):
    uid, _, ics = seed.generate_event(42, "item:%d" % i, i)
    with open(os.path.join(folder, seed.name_for(uid)), "w", newline="") as f:
        f.write(ics)
PY
  port=$(free_port)
  BENCH_STATE_DIR="$run" SERVERS=radicale RADICALE_PORT=$port RADICALE_INIT_FROM="$run/seed" "$HARNESS/servers.sh" >/dev/null 2>"$run/logs/servers.err"
  export CALSYNC_DATA_DIR="$run/calsync" CALSYNC_ALLOW_PRIVATE_URLS=1 LOG_LEVEL=warn BENCH_PASS=bench
  unset DATABASE_URL
  # The database stays up in `calsync api` (no worker), so the timed command only syncs.
  PORT=0 nohup node "$ROOT/bin/calsync.js" api >"$run/logs/api.log" 2>&1 </dev/null &
  echo $! >"$run/pids/calsync.pid"
  for _ in $(seq 1 600); do grep -q 'listening on' "$run/logs/api.log" && break; sleep 0.1; done
  # Radicale reads and caches a collection's items the first time it is asked for the
  # collection's ctag (about 2 minutes at 20,000), which discovery would otherwise wait on
  # past its timeout: that is the server starting cold, not the pass, so it happens here,
  # untimed. An allprop listing of the items instead costs Radicale more than linear time.
  /usr/bin/python3 -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], method="PROPFIND", headers={"Depth": "1", "Content-Type": "application/xml"}, data=b"<propfind xmlns=\"DAV:\" xmlns:CS=\"http://calendarserver.org/ns/\"><prop><CS:getctag/></prop></propfind>")).read()' "http://127.0.0.1:$port/bench/"
  account=$(calsync connect caldav --url "http://127.0.0.1:$port/" --username bench --password-env BENCH_PASS --json |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).account.id))')
  binding=$(calsync bind --account "$account" --remote "http://127.0.0.1:$port/bench/large/" --new-calendar large --direction import --json |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).id))')
  radicale_pid=$(cat "$run/pids/radicale.pid")
  cpu_before=$(awk '{print $14 + $15}' "/proc/$radicale_pid/stat")
  log_before=$(wc -l <"$run/logs/radicale.log")
  "$TIME_BIN" -v -o "$run/time" node "$ROOT/bin/calsync.js" sync "$binding" --json >"$run/sync.json" 2>"$run/logs/sync.log" ||
    { echo "caldav-large: the pass failed at N=$n; last lines:" >&2; tail -n 20 "$run/logs/sync.log" >&2; exit 1; }
  cpu=$(awk -v b="$cpu_before" -v t="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15 - b) / t}' "/proc/$radicale_pid/stat")
  requests=$(tail -n +"$((log_before + 1))" "$run/logs/radicale.log" | grep -cP '\[INFO\] [A-Z]+ request for ' || true)
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.1f", s }' "$run/time")
  rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$run/time")
  # Checked, not assumed: every event was written to the calendar.
  imported=$(node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).passes[0];console.log(r.outcome === "ok" ? r.stats.calendarWrites : `${r.outcome}`)' "$run/sync.json")
  [[ $imported == "$n" ]] || { echo "caldav-large: N=$n but the pass imported $imported" >&2; exit 1; }
  echo "| $n | $wall | $rss | $requests | $cpu |"
  "$HARNESS/stop.sh" "$run" >/dev/null 2>&1 || true
done
