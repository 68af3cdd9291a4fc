#!/usr/bin/env bash
# Benchmark: `swiftsm sweep --once` on ibsim at several SMP windows, each run on a fresh ibsim of the same
# three-level fat tree; prints the median wall time of REPEAT runs (default 5) per window. This is how the
# default --max-outstanding (64, umad2sim's safe maximum) was chosen. Figures, not a test.
#   Benchmarks/window.sh [RADIX] [WINDOW ...]     (default: 24 -> 3,456 hosts; windows 16 32 64)
source "$(dirname "$0")/common.sh"
k=${1:-24}
shift || true
if [ $# -gt 0 ]; then windows=("$@"); else windows=(16 32 64); fi
repeat=${REPEAT:-5}
topo="$work/fat-tree-3-k$k.topo"
"$swiftsm" fabric generate fat-tree-3 --radix "$k" -o "$topo"
limits=$(sed -n 's/^# load with: ibsim -s -n \(.*\) <this file>$/\1/p' "$topo")
echo "fat-tree-3 k=$k: $(sed -n 's/^# \(.*\)$/\1/p' "$topo" | sed -n 2p); $repeat runs per window, interleaved"
declare -A times
for ((i = 0; i < repeat; i++)); do
    for window in "${windows[@]}"; do
        export IBSIM_SOCKNAME="swiftsm-window-bench-$$-$RANDOM"
        (cd "$work" && exec ibsim -s $limits "$topo" > "$work/ibsim.log" 2>&1 < <(sleep infinity)) &
        ibsim_pid=$!
        until grep -q "simulator ready" "$work/ibsim.log" 2>/dev/null; do sleep 0.2; done
        (cd "$work" && LD_PRELOAD=$preload timeout 900 /usr/bin/time -f "%e" -o "$work/time" \
            "$swiftsm" sweep --once --max-outstanding "$window" > "$work/out" 2> "$work/err") || echo "  window $window run $i failed: $(tail -1 "$work/err")"
        kill -9 "$ibsim_pid"; wait "$ibsim_pid" 2>/dev/null || true
        times[$window]+="$(cat "$work/time") "
    done
done
for window in "${windows[@]}"; do
    sorted=$(printf "%s\n" ${times[$window]} | sort -n | tr '\n' ' ')
    median=$(printf "%s\n" ${times[$window]} | sort -n | sed -n "$((repeat / 2 + 1))p")
    printf "  --max-outstanding %-4s median %6s s   (%s)\n" "$window" "$median" "$sorted"
done
