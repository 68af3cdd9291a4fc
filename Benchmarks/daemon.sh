#!/usr/bin/env bash
# Benchmark: `swiftsm run` as the subnet's SM on an ibsim three-level fat tree (default radix 24: 3,456 hosts).
# Prints figures, not a test:
#   - light sweep (time, SMPs) beside ibnetdiscover on the same ibsim (a read-only discovery);
#   - re-route after one inter-switch link failure (time from the trap to the last Set, SMPs) beside a heavy
#     pass of ours (SIGHUP) and beside opensm's re-sweep after the same Unlink on a fresh ibsim;
#   - takeover after the master dies (time from kill to subnet up, Sets) for SwiftSM taking over from SwiftSM,
#     beside opensm taking over from SwiftSM (opensm with polling 1000 ms x 2 retries; its default takes ~60 s).
#   Benchmarks/daemon.sh [RADIX]
source "$(dirname "$0")/common.sh"
radix=${1:-24}
topo=$work/ft.topo
"$swiftsm" fabric generate fat-tree-3 --radix "$radix" -o "$topo"
limits=$(sed -n 's/^# load with: ibsim -s -n \(.*\) <this file>/\1/p' "$topo")
leaf=$(awk '/^Switch/ { gsub(/"/, "", $3); print $3; exit }' "$topo")
uplink=$(( radix / 2 + 1 ))
echo "fabric: fat-tree-3 radix $radix ($(sed -n 2p "$topo" | tr -d '#')); link failed: \"$leaf\"[$uplink]"

# Every SM started here is ended on exit too, also when a wait times out (set -e ends the script there).
started=()
trap 'kill -9 "${started[@]}" $ibsim_pid 2>/dev/null || true; rm -rf "$work"' EXIT

start_ibsim() {
    export IBSIM_SOCKNAME="swiftsm-daemon-bench-$$-$RANDOM"
    rm -f "$work/console"; mkfifo "$work/console"
    (cd "$work" && exec ibsim -s $limits "$topo" > "$work/ibsim.log" 2>&1 < "$work/console") &
    ibsim_pid=$!
    exec 3> "$work/console"
    until grep -q "simulator ready" "$work/ibsim.log" 2>/dev/null; do sleep 0.2; done
}
stop_ibsim() { exec 3>&-; kill -9 "$ibsim_pid" 2>/dev/null; wait "$ibsim_pid" 2>/dev/null || true; }
sm() { (cd "$work" && SIM_HOST=${SIM_HOST:-host-0} LD_PRELOAD=$preload exec "$swiftsm" run --guid2lid "$work/guid2lid.$1" -v "${@:2}") > "$work/$1.log" 2>&1 & echo $!; }
track() { started+=("$1"); }
# wait_for FILE PATTERN COUNT [TIMEOUT]: until PATTERN occurs COUNT times in FILE.
count_in() { local n; n=$(grep -c "$2" "$1" 2>/dev/null) || true; echo "${n:-0}"; }
wait_for() {
    local deadline=$((SECONDS + ${4:-120}))
    until [ "$(count_in "$1" "$2")" -ge "$3" ]; do
        [ $SECONDS -lt $deadline ] || { echo "timed out waiting for '$2' in $1" >&2; tail -3 "$1" >&2; return 1; }
        sleep 0.05
    done
}
# pass_figures FILE KIND: "seconds SMPs" of every pass of that kind, one per line.
pass_figures() { sed -n "s/.*\] $2 pass: \([0-9.e-]*\) seconds, \([0-9]*\) SMP(s).*/\1 \2/p" "$1"; }
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
now() { date +%s.%N; }

start_ibsim
t0=$(now); (cd "$work" && SIM_HOST=host-0 LD_PRELOAD=$preload timeout 120 ibnetdiscover > /dev/null 2>&1); t1=$(now)
echo "anchor  ibnetdiscover: $(echo "$t1 - $t0" | bc) s"

pid=$(sm a --sweep-interval 1); track "$pid"
wait_for "$work/a.log" "subnet up" 1
wait_for "$work/a.log" "light pass" 5
echo "light sweeps (time s, SMPs):"; pass_figures "$work/a.log" light | head -5 | sed 's/^/  /'
echo "  median $(pass_figures "$work/a.log" light | head -5 | median) s"

kill -HUP "$pid"; wait_for "$work/a.log" "heavy pass" 2
echo "heavy pass on SIGHUP (anchor): $(pass_figures "$work/a.log" heavy | tail -1) (s, SMPs)"

echo "Unlink \"$leaf\"[$uplink]" >&3
wait_for "$work/a.log" "re-routed:" 1 30
echo "re-route after the trap: $(pass_figures "$work/a.log" reroute | tail -1) (s, SMPs); $(grep "re-routed:" "$work/a.log" | tail -1 | sed 's/.*re-routed: //')"
echo "ReLink \"$leaf\"[$uplink]" >&3; sleep 2

# Takeover: a second SwiftSM as STANDBY; the master is killed.
pid_b=$(SIM_HOST=host-1 sm b --sweep-interval 10); track "$pid_b"
wait_for "$work/b.log" "STANDBY: polling" 1
kill -9 "$pid"; killed=$(now)
wait_for "$work/b.log" "subnet up" 1 60
up=$(now)
echo "takeover SwiftSM -> SwiftSM: $(echo "$up - $killed" | bc) s from kill to subnet up (after polls of 500 ms x 3 retries); $(grep -o 'subnet up.*' "$work/b.log" | tail -1)"
grep "heavy pass" "$work/b.log" | tail -1 | sed 's/.*heavy pass/  its takeover pass/'
kill -TERM "$pid_b"; wait "$pid_b" 2>/dev/null || true
stop_ibsim

# OpenSM: its re-sweep after the same Unlink, and its takeover from SwiftSM. `-d 2` flushes its log after each
# line: without it "SUBNET UP" sits in a stdio buffer until more is logged, and a wait on the log never ends.
start_ibsim
(cd "$work" && SIM_HOST=host-0 LD_PRELOAD=$preload OSM_TMP_DIR=$work OSM_CACHE_DIR=$work exec timeout 900 opensm -D 0x03 -d 2 -f "$work/opensm.log") > /dev/null 2>&1 &
osm=$!; track $osm
wait_for "$work/opensm.log" "SUBNET UP" 1 300
configured=$(count_in "$work/opensm.log" "tables configured on all switches")
t0=$(now); echo "Unlink \"$leaf\"[$uplink]" >&3
if wait_for "$work/opensm.log" "tables configured on all switches" $((configured + 1)) 60; then
    t1=$(now); echo "opensm re-sweep after the Unlink: routing done $(echo "$t1 - $t0" | bc) s after it (its log has no later mark)"
fi
kill -TERM $osm; wait $osm 2>/dev/null || true
stop_ibsim

start_ibsim
pid=$(sm c --sweep-interval 10); track "$pid"
wait_for "$work/c.log" "subnet up" 1
printf 'sminfo_polling_timeout 1000\npolling_retry_number 2\n' > "$work/osm.conf"
(cd "$work" && SIM_HOST=host-1 LD_PRELOAD=$preload OSM_TMP_DIR=$work OSM_CACHE_DIR=$work exec timeout 900 opensm -F "$work/osm.conf" -D 0x03 -d 2 -f "$work/opensm2.log") > /dev/null 2>&1 &
osm=$!; track $osm
wait_for "$work/opensm2.log" "Entering STANDBY state" 1 60
kill -9 "$pid"; killed=$(now)
if wait_for "$work/opensm2.log" "SUBNET UP" 1 120; then
    up=$(now); echo "takeover SwiftSM -> opensm (polling 1000 ms x 2): $(echo "$up - $killed" | bc) s from kill to SUBNET UP"
fi
kill -TERM $osm; wait $osm 2>/dev/null || true
stop_ibsim
