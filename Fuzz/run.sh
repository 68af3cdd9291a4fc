#!/usr/bin/env bash
# Builds the libFuzzer harnesses (with AddressSanitizer) and runs each for a fixed number of inputs.
#
#   Fuzz/run.sh [RUNS] [TARGET...]     RUNS defaults to 1000000; TARGET is topology, capture, captured-fabric,
#                                      mad or sa (default: all five)
#
# The committed seeds in Fuzz/corpus/<target>/ are read, never written: new inputs go to a scratch corpus and
# crash inputs to a scratch artifact folder, both under a temporary directory that is kept and printed.
# Exits non-zero if any target crashes, leaks, times out or runs out of memory.
set -euo pipefail

fuzz_dir="$(cd "$(dirname "$0")" && pwd)"
runs="${1:-1000000}"
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then targets=(topology capture captured-fabric mad sa); fi

# Per target: executable, longest input, extra options.
#   topology: a few dozen lines is plenty to reach every rule; the dictionary holds the grammar's keywords.
#   capture: up to about 25 records of 322 bytes; captured-fabric: up to 31 records of 257 bytes.
#   mad: a response MAD and the request it answers, plus 2 bytes of destination LID.
#   sa: 2 bytes of requester LID and up to three SA MADs.
executable() {
    case "$1" in
        topology) echo FuzzTopology ;;
        capture) echo FuzzCapture ;;
        captured-fabric) echo FuzzCapturedFabric ;;
        mad) echo FuzzMAD ;;
        sa) echo FuzzSA ;;
        *) echo "unknown target '$1' (topology, capture, captured-fabric, mad, sa)" >&2; exit 2 ;;
    esac
}
options() {
    case "$1" in
        topology) echo "-max_len=4096 -dict=$fuzz_dir/topology.dict" ;;
        capture) echo "-max_len=8192" ;;
        captured-fabric) echo "-max_len=8192" ;;
        mad) echo "-max_len=514" ;;
        sa) echo "-max_len=770" ;;
    esac
}
for target in "${targets[@]}"; do executable "$target" > /dev/null; done

cd "$fuzz_dir"
echo "building (release, -sanitize=fuzzer,address)..."
build_log="$(mktemp)"
# `--sanitize=fuzzer` makes SwiftPM leave `main` to libFuzzer. swiftc keeps only its last `-sanitize=`, so a second
# `--sanitize=address` would drop the coverage instrumentation (or ASan, depending on SwiftPM's flag order); the
# combined flag passed last instruments every module for both. ld.gold's ASan symbol warning is harmless and hidden.
# Only the harnesses asked for are built (one product at a time; they share the scratch path's modules).
for target in "${targets[@]}"; do
    if ! swift build -c release --sanitize=fuzzer -Xswiftc -sanitize=fuzzer,address --scratch-path .build/asan \
        --product "$(executable "$target")" > "$build_log" 2>&1; then
        grep -v "__asan_extra_spill_area" "$build_log" >&2
        echo "build failed" >&2
        exit 1
    fi
done
rm -f "$build_log"
bin="$fuzz_dir/.build/asan/release"

# Swift's own crash backtracer trips ASan (its memory reader copies freed pages); libFuzzer's report names the
# trap ("Swift runtime failure: arithmetic overflow") and the source line just as well.
export SWIFT_BACKTRACE=enable=no

scratch="$(mktemp -d "${TMPDIR:-/tmp}/swiftsm-fuzz.XXXXXX")"
echo "scratch corpora, logs and crash inputs: $scratch"
failed=0
printf '%-16s %10s %9s %8s %6s %7s  %s\n' target runs exec/s seconds cov ft result > "$scratch/summary"
for target in "${targets[@]}"; do
    exe="$(executable "$target")"
    mkdir -p "$scratch/$target/corpus" "$scratch/$target/artifacts"
    log="$scratch/$target/fuzz.log"
    echo "fuzzing $target: $runs inputs (log: $log)"
    start=$(date +%s)
    status=0
    # shellcheck disable=SC2046  # options() is meant to split into words
    "$bin/$exe" -runs="$runs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$scratch/$target/artifacts/" $(options "$target") \
        "$scratch/$target/corpus" "$fuzz_dir/corpus/$target" > "$log" 2>&1 || status=$?
    seconds=$(( $(date +%s) - start ))
    done_line="$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1 || true)"
    executed="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
    speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
    cov="$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$done_line")"
    ft="$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$done_line")"
    if [ "$status" -eq 0 ] && [ -n "$done_line" ] && [ -z "$cov" ]; then
        result="FAILED (no coverage: the build is not instrumented)"
        failed=1
    elif [ "$status" -eq 0 ] && [ -n "$done_line" ]; then
        result=ok
    else
        result="FAILED (exit $status; see $log and $scratch/$target/artifacts/)"
        failed=1
        grep -E '==ERROR|SUMMARY|Fatal error|Swift runtime failure|deadly signal|timeout|out-of-memory' "$log" | head -5 || true
    fi
    printf '%-16s %10s %9s %8s %6s %7s  %s\n' "$target" "${executed:-?}" "${speed:-?}" "$seconds" \
        "${cov:-?}" "${ft:-?}" "$result" >> "$scratch/summary"
done
cat "$scratch/summary"
exit "$failed"
