#!/usr/bin/env bash
# Benchmark: what programming SL2VL and VL arbitration tables costs a sweep on ibsim, beside OpenSM paying for
# the same tables (`opensm -o -Q`) and not (`opensm -o`), each run on a fresh ibsim of a two-level fat tree.
# Prints figures, not a test: median and range of REPEAT runs (default 3), and ratios to `opensm -o` of the
# same run.
#   Benchmarks/vl-tables.sh [RADIX]        (default 24: 288 hosts, 36 switches)
#   SWIFTSM=path/to/swiftsm to time a given build (default: a release build made here).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
radix=${1:-24}
repeat=${REPEAT:-3}
if [ -z "${SWIFTSM:-}" ]; then swift build -c release --product swiftsm >&2; SWIFTSM=$PWD/.build/release/swiftsm; fi
preload=/usr/lib/x86_64-linux-gnu/umad2sim/libumad2sim.so
work=$(mktemp -d)
ibsim_pid=
trap 'kill -9 $ibsim_pid 2>/dev/null || true; rm -rf "$work"' EXIT
"$SWIFTSM" fabric generate fat-tree-2 --radix "$radix" > "$work/fabric.topo"

start_ibsim() {
    export IBSIM_SOCKNAME="swiftsm-vl-bench-$$-$RANDOM"
    (cd "$work" && exec ibsim -s "$work/fabric.topo" > "$work/ibsim.log" 2>&1 < <(sleep infinity)) &
    ibsim_pid=$!
    until grep -q "simulator ready" "$work/ibsim.log" 2>/dev/null; do sleep 0.2; done
}
stop_ibsim() { kill -9 "$ibsim_pid"; wait "$ibsim_pid" 2>/dev/null || true; ibsim_pid=; }

# seconds COMMAND...: wall seconds of one run attached at host-0 (output in $work/out).
seconds() {
    local start end
    start=$(date +%s.%N)
    (cd "$work" && SIM_HOST=host-0 OSM_TMP_DIR=$work OSM_CACHE_DIR=$work LD_PRELOAD=$preload timeout 600 "$@" > "$work/out" 2>&1)
    end=$(date +%s.%N)
    echo "$end - $start" | bc
}

declare -A times
for ((i = 0; i < repeat; i++)); do
    start_ibsim; times[osm]+="$(seconds /usr/sbin/opensm -o -f "$work/osm.log") "; stop_ibsim
    start_ibsim; times[osmq]+="$(seconds /usr/sbin/opensm -o -Q -f "$work/osm.log") "; stop_ibsim
    start_ibsim
    times[first]+="$(seconds "$SWIFTSM" sweep --once --max-outstanding 64 --stats) "
    first_vl=$(grep "VL tables" "$work/out"); first_smps=$(grep "SMPs sent" "$work/out")
    times[second]+="$(seconds "$SWIFTSM" sweep --once --max-outstanding 64 --stats) "
    second_vl=$(grep "VL tables" "$work/out"); second_smps=$(grep "SMPs sent" "$work/out")
    stop_ibsim
done

median() { printf "%s\n" $1 | sort -n | sed -n "$((repeat / 2 + 1))p"; }
range() { printf "%s\n" $1 | sort -n | sed -n '1p;$p' | tr '\n' ' ' | sed 's/ $//; s/ /-/'; }
anchor=$(median "${times[osm]}")
echo "two-level fat tree radix $radix on ibsim, $repeat runs each (median, range, ratio to opensm -o's median)"
for key in osm osmq first second; do
    case $key in
        osm) label="opensm -o";; osmq) label="opensm -o -Q (QoS tables)";;
        first) label="swiftsm sweep --once, first";; second) label="swiftsm sweep --once, again";;
    esac
    m=$(median "${times[$key]}")
    printf "%-30s %8.3f s  (%s)  x%.2f\n" "$label" "$m" "$(range "${times[$key]}")" "$(echo "$m / $anchor" | bc -l)"
done
echo "first sweep: $first_smps; $first_vl"
echo "again:       $second_smps; $second_vl"
