#!/usr/bin/env bash
# Coverage-guided fuzzing of every parser a stranger can reach (fuzz/fuzz_targets): SECONDS per
# target (default 60), on the committed corpus (fuzz/corpus/<target>, which grows as it runs; commit
# what it adds). A crash stops the script with the input in fuzz/artifacts/<target>/: make it a
# regression test. Needs the nightly toolchain and cargo-fuzz (`cargo +nightly install cargo-fuzz`).
# Usage: scripts/fuzz.sh [SECONDS] [TARGET ...]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(client_message server_message netcode_packet connect_token bundle_frames delta_snapshot config_toml data_toml)
if ! cargo +nightly fuzz --version > /dev/null 2>&1; then
  echo "cargo-fuzz on the nightly toolchain is missing: rustup toolchain install nightly && cargo +nightly install cargo-fuzz --locked" >&2
  exit 2
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for target in "${targets[@]}"; do
  echo "==> $target, ${seconds} s"
  status=0
  cargo +nightly fuzz run "$target" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=4096 -print_final_stats=1 \
    > "$log" 2>&1 || status=$?
  grep -E "stat::number_of_executed_units|stat::new_units_added|Done [0-9]+ runs|SUMMARY|Test unit written" "$log" || true
  if [ "$status" -ne 0 ]; then
    tail -40 "$log"
    echo "$target: failed (exit $status); a crashing input is in fuzz/artifacts/$target/"
    exit 1
  fi
done
