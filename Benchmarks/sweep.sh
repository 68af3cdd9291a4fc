#!/usr/bin/env bash
# Benchmark: `swiftsm sweep --once` against `opensm -o` (default window and --maxsmps 64) on the same
# ibsim three-level fat trees, each SM on a fresh ibsim; then the 11,664-host tree on the in-process
# simulator with the real-switch model (255 us per agent, VL15 depth 4). Prints figures, not a test.
#   Benchmarks/sweep.sh [RADIX ...]     (default: 24 36 -> 3,456 and 11,664 hosts)
# Every configured fabric is judged afterwards by `swiftsm verify` (all ports ACTIVE, all routes min-hop).
source "$(dirname "$0")/common.sh"

start_ibsim() {
    export IBSIM_SOCKNAME="swiftsm-sweep-bench-$$-$RANDOM"
    (cd "$work" && exec ibsim -s $limits "$topo" > "$work/ibsim.log" 2>&1 < <(sleep infinity)) &
    ibsim_pid=$!
    until grep -q "simulator ready" "$work/ibsim.log" 2>/dev/null; do sleep 0.2; done
}

stop_ibsim() { kill -9 "$ibsim_pid"; wait "$ibsim_pid" 2>/dev/null || true; }

# Runs of each SM (REPEAT, default 3): a 2-core machine shared with ibsim varies by 10% from run to run.
repeat=${REPEAT:-3}

# run LABEL COMMAND...: REPEAT runs, each on a fresh ibsim; prints the median row, then every run's time.
run() {
    local label=$1; shift
    local times=() i
    for ((i = 0; i < repeat; i++)); do
        run_once "$label" "$@" > "$work/row"
        times+=("$(cut -c32-39 "$work/row" | tr -d ' ')")
        # The middle run's row and --stats stand for the set, with the median time put in.
        if [ "$i" -eq "$((repeat / 2))" ]; then cp "$work/row" "$work/median-row"; cp "$work/err" "$work/median-err"; fi
    done
    local sorted median
    sorted=$(printf "%s\n" "${times[@]}" | sort -n | tr '\n' ' ')
    median=$(printf "%s\n" "${times[@]}" | sort -n | sed -n "$((repeat / 2 + 1))p")
    sed "s/ [0-9.]* s / $median s /" "$work/median-row" | sed "s/\$/  (median of $repeat: $sorted)/"
    cp "$work/median-err" "$work/err"
}

# run_once LABEL COMMAND...: one SM run under umad2sim on a fresh ibsim, then `swiftsm verify`; prints a row.
run_once() {
    local label=$1; shift
    start_ibsim
    (cd "$work" && LD_PRELOAD=$preload timeout 900 /usr/bin/time -f "%e %M" -o "$work/time" "$@" > "$work/out" 2> "$work/err") || true
    local verdict
    if (cd "$work" && LD_PRELOAD=$preload timeout 600 "$swiftsm" verify > "$work/verify" 2>&1); then
        verdict="verified"
    else
        verdict="NOT VERIFIED: $(head -c 120 "$work/verify" | tr '\n' ' ')"
    fi
    stop_ibsim
    read -r seconds kb < "$work/time"
    printf "  %-28s %8s s %7s MB  %s\n" "$label" "$seconds" "$((kb / 1024))" "$verdict"
}

# opensm's own phase marks, seconds after its start: discovery ends at MASTER, the tables are in at
# "minhop tables configured", the subnet is usable at SUBNET UP.
osm_phases() {
    # opensm appends to its log: the marks of its last run only.
    awk '/OpenSM [0-9]/ { split($3, t, ":"); start = t[1] * 3600 + t[2] * 60 + t[3] + $4 / 1e6; marks = "" }
         /Entering MASTER state|minhop tables configured|SUBNET UP/ { split($3, t, ":"); s = t[1] * 3600 + t[2] * 60 + t[3] + $4 / 1e6;
         marks = marks sprintf("    opensm +%6.2f s  %s\n", s - start, substr($0, index($0, "->") + 3)) }
         END { printf "%s", marks }' "$1"
}

for k in ${@:-24 36}; do
    topo="$work/fat-tree-3-k$k.topo"
    "$swiftsm" fabric generate fat-tree-3 --radix "$k" -o "$topo"
    limits=$(sed -n 's/^# load with: ibsim -s -n \(.*\) <this file>$/\1/p' "$topo")
    echo "fat-tree-3 k=$k: $(sed -n 's/^# \(.*\)$/\1/p' "$topo" | sed -n 2p)"
    for smps in 4 64; do
        osm="$work/osm-k$k-$smps"
        mkdir -p "$osm"
        run "opensm -o --maxsmps $smps" env OSM_TMP_DIR="$osm" OSM_CACHE_DIR="$osm" opensm -o --maxsmps "$smps" -f "$osm/osm.log"
        osm_phases "$osm/osm.log"
    done
    # swiftsm's defaults (window 64, the fastest umad2sim takes safely).
    run "swiftsm sweep --once" "$swiftsm" sweep --once --stats
    sed -n '/^SMPs sent/,$p' "$work/err" | sed 's/^/    /'
done

topo="$work/fat-tree-3-k36.topo"
[ -f "$topo" ] || "$swiftsm" fabric generate fat-tree-3 --radix 36 -o "$topo"
echo "in-process simulator, fat-tree-3 k=36, 255 us per agent, VL15 depth 4, defaults (window 256 with --simulate):"
times=()
for ((i = 0; i < repeat; i++)); do
    /usr/bin/time -f "%e %M" -o "$work/time" "$swiftsm" sweep --once --simulate "$topo" \
        --sim-service-time 255 --sim-vl15-depth 4 --stats > "$work/out" 2> "$work/err"
    read -r seconds kb < "$work/time"
    times+=("$seconds")
    # The middle run's --stats stand for the set.
    if [ "$i" -eq "$((repeat / 2))" ]; then cp "$work/err" "$work/median-err"; cp "$work/out" "$work/median-out"; peak=$((kb / 1024)); fi
done
sorted=$(printf "%s\n" "${times[@]}" | sort -n | tr '\n' ' ')
median=$(printf "%s\n" "${times[@]}" | sort -n | sed -n "$((repeat / 2 + 1))p")
echo "  swiftsm sweep --once: $median s, $peak MB peak  (median of $repeat: $sorted)"
cat "$work/median-err" "$work/median-out" | sed 's/^/    /'
