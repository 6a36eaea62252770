#!/usr/bin/env bash
# The soak test under the name operators look for: scripts/soak.py does the work (waves of bots of
# every behaviour, a PostgreSQL shard cut and a Redis restart in the middle, RSS, tick p99 and errors
# every 10 s, `arbiter verify` at the end). Usage: scripts/soak.sh [MINUTES]   (default 30)
exec python3 "$(dirname "$0")/soak.py" "$@"
