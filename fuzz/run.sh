#!/usr/bin/env bash
# Runs the fuzz targets named (all of them without a name) one after another, each for
# FUZZ_SECONDS (600 unless set), within the bounds below. New inputs go to
# fuzz/work/TARGET (not committed); the seeds in fuzz/corpus/TARGET are read only. A
# crash, a hang (10 s on one input) or an allocation over the target's bound stops its
# run and leaves the input in fuzz/artifacts/TARGET. Each run's log is
# fuzz/work/TARGET.log; its last lines are the figures docs/security.md records.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${FUZZ_SECONDS:-600}"
# The largest single allocation each target may make, in MiB (see docs/security.md).
# Automerge 0.12 allocates the length a change's string column declares, up to 1 GB,
# before it reads the string (docs/security.md, "Fuzzing"): the targets that reach
# Automerge with a peer's change allow that much, so that a run gets past it.
bound() {
    case "$1" in
        bundle | sync | pack) echo 32 ;;
        markdown) echo 64 ;;
        entry | draft_change) echo 1100 ;;
        docx | odt) echo 96 ;;
        web_json | web_form) echo 16 ;;
        *) echo "unknown target $1" >&2; exit 2 ;;
    esac
}
all=(entry sync bundle markdown docx odt draft_change pack web_json web_form)

for target in "${@:-${all[@]}}"; do
    limit="$(bound "$target")"
    mkdir -p "fuzz/work/$target"
    echo "== $target: $seconds s, allocations up to $limit MiB"
    cargo +nightly fuzz run -O "$target" "fuzz/work/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb="$limit" \
        -timeout=10 -print_final_stats=1 2>&1 | tee "fuzz/work/$target.log" | tail -n 25 ||
        echo "== $target stopped on a finding: see fuzz/artifacts/$target"
done
