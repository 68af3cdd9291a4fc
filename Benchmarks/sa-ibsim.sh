#!/usr/bin/env bash
# Benchmark (not a test): the SA of `swiftsm run` beside OpenSM's, on the same ibsim fabric with the same
# client (SALoad, libibumad under umad2sim): PathRecord Gets, and joins/leaves of the IPoIB broadcast group,
# per second with 1 and with 8 requests outstanding, and the CPU time the SM's process spends per answer
# (utime+stime of /proc/PID/stat read by the client just before and after its requests; "net" takes off
# what the SM spends idle, measured for a second before each run).
# Each SM has its own ibsim of the same fabric, all up at once, and the runs alternate between them, so
# that a loaded machine weighs on both alike. A third ibsim holds the floor: a C program that answers every
# request at once with no SA work, through libibumad in one thread (Benchmarks/SABench/floor; a SwiftSM
# configured that fabric and idles beside it). No SM under umad2sim can spend less per answer than it does.
# Prints the median and range of REPEAT runs of REQUESTS requests each.
#   Benchmarks/sa-ibsim.sh [RADIX] [REQUESTS] [REPEAT]     (default: 16 20000 5, a two-level fat tree)
source "$(dirname "$0")/common.sh"
radix=${1:-16}
requests=${2:-20000}
repeat=${3:-5}
# SwiftPM keeps the build plan of this package's path dependency (the main package) across runs and misses
# files added there since: planning anew costs about a second.
rm -f Benchmarks/SABench/.build/release.yaml Benchmarks/SABench/.build/release/description.json
(cd Benchmarks/SABench && swift build -c release --product SALoad >&2)
load=$PWD/Benchmarks/SABench/.build/release/SALoad
responder=$work/no-work-responder
cc -O2 -o "$responder" Benchmarks/SABench/floor/no-work-responder.c -libumad
topo=$work/ft.topo
"$swiftsm" fabric generate fat-tree-2 --radix "$radix" -o "$topo"
echo "fabric: fat-tree-2 radix $radix ($(sed -n 2p "$topo" | tr -d '#')); SM at host-0, client at host-1; $repeat runs of $requests requests"

pids=()
trap '{ kill -9 "${pids[@]}"; wait; } 2>/dev/null; rm -rf "$work"' EXIT
declare -A socket sm lid

# start_ibsim NAME: an ibsim of the fabric, its console a FIFO kept open (at EOF on stdin ibsim spins at
# 100% CPU, which would skew every figure).
start_ibsim() {
    local dir=$work/$1
    mkdir -p "$dir"; mkfifo "$dir/console"
    socket[$1]="swiftsm-sa-bench-$$-$1"
    (cd "$dir" && IBSIM_SOCKNAME=${socket[$1]} exec ibsim -s "$topo" > "$dir/ibsim.log" 2>&1 < "$dir/console") &
    pids+=($!)
    exec {fd}> "$dir/console"
    until grep -q "simulator ready" "$dir/ibsim.log" 2>/dev/null; do sleep 0.2; done
}
# at NAME HOST COMMAND...: runs a client of that ibsim at HOST.
at() { local name=$1 host=$2; shift 2; (cd "$work/$name" && IBSIM_SOCKNAME=${socket[$name]} SIM_HOST=$host LD_PRELOAD=$preload timeout 120 "$@"); }
# spawn NAME HOST COMMAND...: starts a program attached at HOST in the background; sets $spawned.
spawn() { local name=$1 host=$2; shift 2; (cd "$work/$name" && IBSIM_SOCKNAME=${socket[$name]} SIM_HOST=$host LD_PRELOAD=$preload OSM_TMP_DIR=$work/$name OSM_CACHE_DIR=$work/$name exec "$@") > "$work/$name/sm.out" 2>&1 & spawned=$!; pids+=($spawned); }
own_lid() { at "$1" "$2" smpquery -D portinfo 0 1 2>/dev/null | sed -n 's/^Lid:\.*\([0-9]*\)/\1/p'; }
# wait_for_sa NAME: until the master's SA answers ClassPortInfo and a NodeRecord of the client's port; sets lid[NAME].
wait_for_sa() {
    local deadline=$((SECONDS + 120)) master client
    while [ $SECONDS -lt $deadline ]; do
        master=$(at "$1" host-2 sminfo 2>/dev/null | sed -n 's/^sminfo: sm lid \([0-9]*\) .*SMINFO_MASTER.*/\1/p') || true
        client=$(own_lid "$1" host-1) || true
        if [ -n "$master" ] && [ -n "$client" ] && at "$1" host-1 saquery -c > /dev/null 2>&1 && at "$1" host-1 saquery NR "$client" > /dev/null 2>&1; then
            lid[$1]=$master; return 0
        fi
        sleep 0.5
    done
    echo "$1: the SA never answered" >&2; return 1
}
# figure COLUMN < results: median (range) of one column of the result lines.
figure() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p" | sort -n | awk '{ a[NR] = $1 } END { printf "%s (%s-%s)", a[int((NR + 1) / 2)], a[1], a[NR] }'; }

# OpenSM with its defaults. (Its first "SUBNET UP" is an INFO line its log does not flush: 3.3.23 clears
# first_time_master_sweep just before choosing the line's level. Readiness is judged by the SA instead.)
start_ibsim opensm; spawn opensm host-0 opensm -f "$work/opensm/opensm.log"; sm[opensm]=$spawned
start_ibsim swiftsm; spawn swiftsm host-0 "$swiftsm" run --guid2lid "$work/swiftsm/guid2lid"; sm[swiftsm]=$spawned
start_ibsim floor; spawn floor host-0 "$swiftsm" run --guid2lid "$work/floor/guid2lid"
wait_for_sa opensm; wait_for_sa swiftsm; wait_for_sa floor
spawn floor host-2 "$responder"; sm[floor]=$spawned
sleep 1
lid[floor]=$(own_lid floor host-2)

# measure KIND WINDOW NAME...: REPEAT runs on each, alternating; one line per NAME, then the ratios. The floor
# answers ClassPortInfo Gets (`echo`), whatever KIND the SMs are asked.
measure() {
    local kind=$1 window=$2 name; shift 2
    for name in "$@"; do : > "$work/$name-$kind-$window"; done
    for _ in $(seq "$repeat"); do
        for name in "$@"; do
            local asked=$kind
            [ "$name" = floor ] && asked=echo
            at "$name" host-1 "$load" "${lid[$name]}" "$asked" "$requests" "$window" --sm-pid "${sm[$name]}" --idle 1 \
                2>> "$work/$name/load.log" >> "$work/$name-$kind-$window" || echo "$name: SALoad failed: $(tail -2 "$work/$name/load.log")" >&2
        done
    done
    declare -A net
    for name in "$@"; do
        local results=$work/$name-$kind-$window
        printf '%-8s %-10s %d outstanding: %s answers/s, SM CPU %s us/answer (net of idle %s), BUSY %s, lost %s\n' \
            "$name" "$kind" "$window" "$(figure answers_per_s < "$results")" "$(figure sm_cpu_us < "$results")" \
            "$(figure sm_cpu_us_net < "$results")" "$(figure busy < "$results")" "$(figure lost < "$results")"
        net[$name]=$(figure sm_cpu_us_net < "$results" | cut -d' ' -f1)
    done
    # What each SM spends beyond the floor is its own work; the floor itself is what umad2sim costs anyone.
    awk -v o="${net[opensm]}" -v s="${net[swiftsm]}" -v f="${net[floor]}" -v k="$kind" -v w="$window" 'BEGIN {
        printf "ratios    %-10s %d outstanding: SwiftSM/OpenSM %.2f; floor/OpenSM %.2f; beyond the floor, SwiftSM/OpenSM %s\n",
            k, w, s / o, f / o, (o > f ? sprintf("%.2f (%.1f vs %.1f us)", (s - f) / (o - f), s - f, o - f) : "n/a")
    }'
}
for kind in pathrecord join; do
    for window in 1 8; do measure "$kind" "$window" opensm swiftsm floor; done
done
