#!/usr/bin/env bash
# Tick pacing of the real release binary: drift (ticks run vs rate × time) and CPU use of an idle
# server, read from its own /metrics and /proc. Usage: scripts/measure_pacing.sh [SECONDS] [TICK_RATE_HZ]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
rate=${2:-128}

cargo build --release --quiet
dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
cat > "$dir/server.toml" <<TOML
[server]
tick_rate_hz = $rate
bind = "127.0.0.1:0"
data_dir = "$dir/data"
[admin]
bind = "127.0.0.1:0"
[query]
bind = "127.0.0.1:0"
TOML
ARBITER_LOG_FORMAT=json ./target/release/arbiter --config "$dir/server.toml" 2> "$dir/log" &
pid=$!
for _ in $(seq 100); do
  addr=$(grep 'admin endpoint listening' "$dir/log" | grep -o '"addr":"[^"]*"' | head -1 | cut -d'"' -f4 || true)
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { echo "server did not start:"; cat "$dir/log"; exit 1; }

ticks() { curl -s "http://$addr/metrics" | awk '$1 == "arbiter_ticks_total" { print $2 }'; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }   # utime + stime, in clock ticks

sleep 2   # let start-up settle
t0=$(date +%s.%N); n0=$(ticks); c0=$(cpu_ticks)
sleep "$seconds"
t1=$(date +%s.%N); n1=$(ticks); c1=$(cpu_ticks)
overruns=$(curl -s "http://$addr/metrics" | awk '$1 == "arbiter_tick_overruns_total" { print $2 }')
kill -TERM "$pid"; wait "$pid"; status=$?

awk -v t0="$t0" -v t1="$t1" -v n0="$n0" -v n1="$n1" -v c0="$c0" -v c1="$c1" -v rate="$rate" \
    -v hz="$(getconf CLK_TCK)" -v overruns="$overruns" -v status="$status" 'BEGIN {
  elapsed = t1 - t0; ran = n1 - n0; expected = rate * elapsed
  printf "tick rate          %d Hz over %.2f s\n", rate, elapsed
  printf "ticks run          %d (expected %.1f, drift %+.3f%%)\n", ran, expected, (ran - expected) / expected * 100
  printf "cpu (user+sys)     %.2f%% of one core\n", (c1 - c0) / hz / elapsed * 100
  printf "overruns           %d\n", overruns
  printf "exit on SIGTERM    %d\n", status
}'
