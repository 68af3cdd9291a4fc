#!/usr/bin/env bash
# Benchmark: routing time of each SwiftSM engine (minhop, updn, deadlock-free) on large fabrics, beside
# `opensm -o -R minhop` and `-R nue` on the same ibsim fabric. Prints figures, not a test.
#   Benchmarks/routing.sh [FABRIC ...]     FABRIC: ft24 ft36 ft52 torus dragonfly (default: all)
# SwiftSM: `swiftsm fabric route` (offline: the LIDs and routes a sweep would plan, then verification; the
# simulator cannot hold 35,152 hosts, as ibsim's LinearFDBCap is 30,720); the figure is its route phase
# (REPEAT runs, default 3: median wall time and CPU time of all threads, and the range), with the routes
# line (min-hop share, link load, credit loop). OpenSM: one run on ibsim; its routing phase is read from its log, from
# "Entering MASTER state" to "<engine> tables configured" (so it includes its LID assignment), and the
# routes it left are judged by `swiftsm verify`. OPENSM_MAX_HOSTS (default 12000) skips OpenSM above it.
source "$(dirname "$0")/common.sh"

repeat=${REPEAT:-3}
opensm_max_hosts=${OPENSM_MAX_HOSTS:-12000}

declare -A generate=(
    [ft24]="fat-tree-3 --radix 24"
    [ft36]="fat-tree-3 --radix 36"
    [ft52]="fat-tree-3 --radix 52"
    [torus]="torus-3d --dimensions 10x10x10 --hosts-per-switch 3"
    [dragonfly]="dragonfly --groups 17 --routers-per-group 8 --global-links 2 --hosts-per-switch 16"
)

# swiftsm_route TOPO ENGINE: REPEAT runs of `swiftsm fabric route` (offline: LIDs, routes, verification, no
# fabric); prints the median route phase (wall and CPU of all threads), the range, and the routes line.
swiftsm_route() {
    local topo=$1 engine=$2 times=() cpus=() i
    for ((i = 0; i < repeat; i++)); do
        "$swiftsm" fabric route "$topo" --routing "$engine" > "$work/out" 2> "$work/err" || true
        times+=("$(sed -n 's/^times: .* route \([0-9]*\) ms (\([0-9]*\) ms CPU).*$/\1/p' "$work/out")")
        cpus+=("$(sed -n 's/^times: .* route \([0-9]*\) ms (\([0-9]*\) ms CPU).*$/\2/p' "$work/out")")
    done
    local sorted median cpu
    sorted=$(printf "%s\n" "${times[@]}" | sort -n | tr '\n' ' ')
    median=$(printf "%s\n" "${times[@]}" | sort -n | sed -n "$((repeat / 2 + 1))p")
    cpu=$(printf "%s\n" "${cpus[@]}" | sort -n | sed -n "$((repeat / 2 + 1))p")
    printf "  swiftsm %-14s route %6s ms, %6s ms CPU  (runs: %s)\n" "$engine" "$median" "$cpu" "$sorted"
    grep -E '^(routing|routes):' "$work/out" | sed 's/^/      /' || echo "      $(head -c 200 "$work/err")"
}

start_ibsim() {
    export IBSIM_SOCKNAME="swiftsm-routing-bench-$$-$RANDOM"
    (cd "$work" && exec ibsim -s $limits "$topo" > "$work/ibsim.log" 2>&1 < <(sleep infinity)) &
    ibsim_pid=$!
    until grep -q "simulator ready" "$work/ibsim.log" 2>/dev/null; do sleep 0.2; done
}

stop_ibsim() { kill -9 "$ibsim_pid" 2>/dev/null || true; wait "$ibsim_pid" 2>/dev/null || true; }

# opensm_route ENGINE: one `opensm -o -R ENGINE` on a fresh ibsim, its routing phase, and verify's judgement.
opensm_route() {
    local engine=$1 osm="$work/osm-$1"
    rm -rf "$osm"; mkdir -p "$osm"
    start_ibsim
    (cd "$work" && LD_PRELOAD=$preload OSM_TMP_DIR="$osm" OSM_CACHE_DIR="$osm" timeout 1800 opensm -o -R "$engine" -f "$osm/osm.log" > /dev/null 2>&1) || true
    local phase
    phase=$(awk -v e="$engine" '/Entering MASTER state/ { split($3, t, ":"); m = t[1] * 3600 + t[2] * 60 + t[3] + $4 / 1e6 }
        index($0, e " tables configured") { split($3, t, ":"); s = t[1] * 3600 + t[2] * 60 + t[3] + $4 / 1e6; printf "%.0f", (s - m) * 1000 }' "$osm/osm.log")
    printf "  opensm  -R %-11s route %6s ms  (MASTER -> tables configured)\n" "$engine" "${phase:-?}"
    (cd "$work" && LD_PRELOAD=$preload timeout 900 "$swiftsm" verify --max-outstanding 64 > "$work/verify" 2> "$work/verify-err") || true
    grep -E '^routes:' "$work/verify" | sed 's/^/      /' || true
    grep -m1 -o 'credit loop on VL 0 through [0-9]* channels' "$work/verify-err" | sed 's/^/      verify: /' || true
    stop_ibsim
}

for name in ${@:-ft24 ft36 ft52 torus dragonfly}; do
    topo="$work/$name.topo"
    # shellcheck disable=SC2086
    "$swiftsm" fabric generate ${generate[$name]} -o "$topo"
    limits=$(sed -n 's/^# load with: ibsim -s -n \(.*\) <this file>$/\1/p' "$topo")
    hosts=$(sed -n 's/^# [0-9]* switches, \([0-9]*\) hosts.*$/\1/p' "$topo")
    echo "$name: $(sed -n 2p "$topo" | sed 's/^# //')"
    for engine in minhop updn deadlock-free; do swiftsm_route "$topo" "$engine"; done
    if [ "$hosts" -le "$opensm_max_hosts" ]; then
        for engine in minhop nue; do opensm_route "$engine"; done
    else
        echo "  opensm: skipped ($hosts hosts > OPENSM_MAX_HOSTS=$opensm_max_hosts)"
    fi
done
