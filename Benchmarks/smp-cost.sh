#!/usr/bin/env bash
# Benchmark: what one SMP costs SwiftSM's process over a whole `swiftsm sweep --once` on ibsim (three-level
# fat tree), as instructions (valgrind's callgrind: user space only, does not drift with the machine's load)
# and as CPU time from /proc (utime + stime: kernel included), each divided by the SMPs the sweep sent.
# Each run on a fresh ibsim. Not a test: figures only.
#   Benchmarks/smp-cost.sh [RADIX] [SWIFTSM ...]   (default: 12 -> 432 hosts; the build's swiftsm)
# Give other swiftsm binaries (an older build) to compare them in the same run.
# Environment: RUNS (CPU-time runs per binary, default 3).
#
# valgrind 3.19 (Debian 12) needs two work-arounds for Swift binaries, both applied here to copies:
# - its DWARF reader gives up on the binary's DWARF 5 ("unhandled dwarf2 abbrev form code 0x25"): the copy
#   valgrind runs has its debug sections stripped (symbols stay, so callgrind still names functions);
# - it sanitises rt_sigsuspend's mask in place, and libdispatch's main thread (every async main) passes one in
#   read-only memory: valgrind dies with SIGSEGV. A preloaded sigsuspend copies the mask to the stack first.
source "$(dirname "$0")/common.sh"
radix=${1:-12}
shift || true
binaries=("$@")
[ ${#binaries[@]} -eq 0 ] && binaries=("$swiftsm")
runs=${RUNS:-3}
for tool in valgrind objcopy cc; do command -v "$tool" >/dev/null || { echo "needs $tool (apt-get install valgrind binutils gcc)" >&2; exit 1; }; done

cat > "$work/sigsuspend.c" <<'EOF'
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
/* The mask on the stack, where valgrind may write it. */
int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, 8);
}
EOF
cc -O2 -shared -fPIC -o "$work/sigsuspend.so" "$work/sigsuspend.c"

topo="$work/fat-tree-3-k$radix.topo"
"$swiftsm" fabric generate fat-tree-3 --radix "$radix" -o "$topo"
limits=$(sed -n 's/^# load with: ibsim -s -n \(.*\) <this file>$/\1/p' "$topo")
echo "fat-tree-3 k=$radix: $(sed -n 's/^# \(.*\)$/\1/p' "$topo" | sed -n 2p)"

start_ibsim() {
    export IBSIM_SOCKNAME="swiftsm-cost-bench-$$-$RANDOM"
    (cd "$work" && exec ibsim -s $limits "$topo" > "$work/ibsim.log" 2>&1 < <(sleep infinity)) &
    ibsim_pid=$!
    until grep -q "simulator ready" "$work/ibsim.log" 2>/dev/null; do sleep 0.2; done
}
stop_ibsim() { kill -9 "$ibsim_pid"; wait "$ibsim_pid" 2>/dev/null || true; }
smps() { sed -n 's/^SMPs sent: \([0-9]*\).*/\1/p' "$1"; }

for binary in "${binaries[@]}"; do
    echo "$binary:"
    copy="$work/swiftsm-nodebug"
    objcopy --strip-debug "$binary" "$copy"
    start_ibsim
    (cd "$work" && LD_PRELOAD="$preload $work/sigsuspend.so" timeout 1800 valgrind --tool=callgrind \
        --callgrind-out-file="$work/callgrind.out" "$copy" sweep --once --stats > "$work/out" 2> "$work/err") || true
    stop_ibsim
    instructions=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' "$work/err")
    sent=$(smps "$work/err")
    echo "  callgrind: $instructions instructions, $sent SMPs ($(grep -o 'timeouts [0-9]*' "$work/err")): $((instructions / sent)) instructions per SMP"
    per=()
    for ((i = 0; i < runs; i++)); do
        start_ibsim
        (cd "$work" && LD_PRELOAD=$preload timeout 600 /usr/bin/time -f "%U %S %e" -o "$work/time" "$binary" sweep --once --stats > "$work/out" 2> "$work/err") || true
        stop_ibsim
        read -r user system wall < "$work/time"
        sent=$(smps "$work/err")
        per+=("$(awk -v u="$user" -v s="$system" -v n="$sent" 'BEGIN { printf "%.2f", (u + s) * 1e6 / n }')")
    done
    sorted=$(printf "%s\n" "${per[@]}" | sort -n | tr '\n' ' ')
    median=$(printf "%s\n" "${per[@]}" | sort -n | sed -n "$((runs / 2 + 1))p")
    echo "  CPU (user+sys) per SMP: $median us median (of $runs: $sorted)"
done
