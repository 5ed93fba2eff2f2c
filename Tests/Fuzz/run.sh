#!/usr/bin/env bash
# Builds the libFuzzer harness (AddressSanitizer on) and runs every fuzz target for a bounded time.
#   usage: Tests/Fuzz/run.sh [SECONDS_PER_TARGET] [TARGET ...]      (default 30 s, all targets)
# Each target starts from its committed seed corpus (Tests/Fuzz/Corpus/<target>) copied to a scratch
# folder, so runs never modify the repository. A crash leaves its input in Tests/Fuzz/out/ and fails
# the run; turn it into a regression unit test and copy it into the seed corpus.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-30}"
shift || true

cd "$here"
echo "== building fuzz harness (fuzzer + address sanitizer)"
if ! swift build --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer,address >"${TMPDIR:-/tmp}/podium-fuzz-build.log" 2>&1; then
    grep -E "error:" -A5 "${TMPDIR:-/tmp}/podium-fuzz-build.log" | head -60 >&2
    echo "fuzz: the harness did not build" >&2
    exit 1
fi
bin="$(swift build --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer,address --show-bin-path)/PodiumFuzz"
[[ -x "$bin" ]] || { echo "fuzz harness did not build" >&2; exit 1; }

targets=("$@")
if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(PODIUM_FUZZ_TARGET=list "$bin")
fi

mkdir -p out
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
passed=0
failed=0
for t in "${targets[@]}"; do
    mkdir -p "$work/$t"
    seeds=()
    [[ -d "Corpus/$t" ]] && seeds=("Corpus/$t")
    max_len=4096
    [[ "$t" == sdp || "$t" == negotiation ]] && max_len=65536
    log="$work/$t.log"
    if PODIUM_FUZZ_TARGET="$t" ASAN_OPTIONS=detect_leaks=0 "$bin" "$work/$t" "${seeds[@]}" \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
        -print_final_stats=1 -artifact_prefix="$here/out/$t-" >"$log" 2>&1; then
        runs=$(grep -oE '^stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
        cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo "?")
        printf '  fuzz %-24s ok   %8s runs in %ss, coverage %s\n' "$t" "$runs" "$seconds" "$cov"
        passed=$((passed + 1))
    else
        echo "  fuzz $t FAILED — last lines of its log:"
        tail -30 "$log" | sed 's/^/    /'
        ls -1 "$here/out/$t-"* 2>/dev/null | sed 's/^/    crash input: /' || true
        failed=$((failed + 1))
    fi
done
echo "fuzz: $passed passed, $failed failed"
((failed == 0))
