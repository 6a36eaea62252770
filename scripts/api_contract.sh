#!/usr/bin/env bash
# The query API against its own OpenAPI document: the real binary with data in it (players stored,
# matches played, players online), then schemathesis with every check, once with a fixed seed and
# once with a fresh one. Fails on any failure. Usage: scripts/api_contract.sh [BINARY]
# (default target/debug/arbiter, which `cargo test` builds). Needs schemathesis 4 (PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/debug/arbiter}
[ -x "$binary" ] || cargo build --quiet
dir=$(mktemp -d)
free_port() { python3 -c 'import socket,sys; s=socket.socket(socket.AF_INET, getattr(socket, sys.argv[1])); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' "$1"; }
game_port=$(free_port SOCK_DGRAM)
admin_port=$(free_port SOCK_STREAM)
query_port=$(free_port SOCK_STREAM)
cat > "$dir/server.toml" <<TOML
[server]
bind = "127.0.0.1:$game_port"
data_dir = "$dir/data"
[net]
guest_tokens = true
[admin]
bind = "127.0.0.1:$admin_port"
[query]
bind = "127.0.0.1:$query_port"
[matches]
warmup_secs = 1
time_limit_secs = 10
[persistence]
flush_interval_secs = 1
TOML
ARBITER_LOG_FORMAT=json "$binary" --config "$dir/server.toml" 2> "$dir/log" &
server=$!
bots=
trap 'kill $server ${bots:-} 2>/dev/null || true; rm -rf "$dir"' EXIT
admin="http://127.0.0.1:$admin_port"
for _ in $(seq 100); do curl -sf "$admin/health" > /dev/null && break; sleep 0.1; done
# Data: ten players play a match to its end; then ten social players (two guilds, chatting and
# banking) stay online during the run.
"$binary" bots --count 10 --duration 14 --admin "$admin" --server "127.0.0.1:$game_port" > /dev/null
"$binary" bots --behavior social --count 10 --duration 600 --admin "$admin" --server "127.0.0.1:$game_port" > /dev/null &
bots=$!
sleep 2
for seed in 2026 $RANDOM$RANDOM; do
  echo "schemathesis, seed $seed"
  schemathesis run "http://127.0.0.1:$query_port/v1/openapi.json" --checks all --max-examples 100 --seed "$seed" \
    --no-color --suppress-health-check all
done
