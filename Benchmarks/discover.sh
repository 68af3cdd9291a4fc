#!/usr/bin/env bash
# Benchmark: `swiftsm discover` against `ibnetdiscover` on the same ibsim fabric (three-level fat trees),
# each run several times; prints median wall time, peak memory and SMPs sent. Not a test: figures only.
#   Benchmarks/discover.sh [RADIX ...]     (default: 24 36 -> 3,456 and 11,664 hosts)
# Environment: RUNS (default 3), WINDOW (swiftsm --max-outstanding; unset: swiftsm's default window).
source "$(dirname "$0")/common.sh"
runs=${RUNS:-3}
window_flag=()
[ -n "${WINDOW:-}" ] && window_flag=(--max-outstanding "$WINDOW")

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# measure NAME COMMAND...: runs it $runs times under umad2sim; prints "median_s peak_mb".
measure() {
    local name=$1; shift
    : > "$work/$name.times"
    for _ in $(seq "$runs"); do
        LD_PRELOAD=$preload timeout 600 /usr/bin/time -f "%e %M" -o "$work/$name.one" "$@" > "$work/$name.out" 2> "$work/$name.err"
        cat "$work/$name.one" >> "$work/$name.times"
    done
    local seconds mb
    seconds=$(awk '{ print $1 }' "$work/$name.times" | median)
    mb=$(awk '{ print $2 }' "$work/$name.times" | sort -n | tail -1 | awk '{ printf "%.0f", $1 / 1024 }')
    echo "$seconds $mb"
}

printf "%-34s %-14s %10s %10s %10s\n" "fabric" "tool" "median s" "peak MB" "SMPs"
for radix in "${@:-24 36}"; do
    for k in $radix; do
        topo="$work/fat-tree-3-k$k.topo"
        "$swiftsm" fabric generate fat-tree-3 --radix "$k" -o "$topo"
        limits=$(sed -n 's/^# load with: ibsim -s -n \(.*\) <this file>$/\1/p' "$topo")
        hosts=$(sed -n 's/^# \([0-9]*\) switches, \([0-9]*\) hosts.*/\2/p' "$topo")
        export IBSIM_SOCKNAME="swiftsm-bench-$$-$k"
        (cd "$work" && exec ibsim -s $limits "$topo" > "$work/ibsim.log" 2>&1 < <(sleep infinity)) &
        ibsim_pid=$!
        until grep -q "simulator ready" "$work/ibsim.log" 2>/dev/null; do sleep 0.2; done
        cd "$work"
        read -r ref_s ref_mb < <(measure ibnetdiscover ibnetdiscover)
        read -r our_s our_mb < <(measure swiftsm "$swiftsm" discover "${window_flag[@]}" --stats)
        smps=$(sed -n 's/^SMPs sent: \([0-9]*\).*/\1/p' "$work/swiftsm.err")
        cmp -s <(grep -v '^#' "$work/swiftsm.out" | sort) <(grep -v '^#' "$work/ibnetdiscover.out" | sort) \
            && same="same topology" || same="TOPOLOGIES DIFFER"
        cd - >/dev/null
        kill -9 "$ibsim_pid"; wait "$ibsim_pid" 2>/dev/null || true
        label="fat-tree-3 k=$k ($hosts hosts)"
        printf "%-34s %-14s %10s %10s %10s\n" "$label" "ibnetdiscover" "$ref_s" "$ref_mb" "-"
        printf "%-34s %-14s %10s %10s %10s\n" "" "swiftsm" "$our_s" "$our_mb" "$smps"
        awk -v a="$our_s" -v b="$ref_s" -v s="$same" 'BEGIN { printf "%-34s ratio swiftsm/ibnetdiscover: %.2f (%s)\n", "", a / b, s }'
    done
done
