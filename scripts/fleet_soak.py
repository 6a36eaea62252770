#!/usr/bin/env python3
"""A fleet soak on loopback, all real processes: `arbiter matchmaker` and three
`arbiter serve --role game` (release, registry mode: the fleet's state in the local Redis, database
14), sharing two PostgreSQL shards and one token key, and BOTS honest bots (`arbiter bots`, guest
tokens from the matchmaker, which name the lobby) playing SECONDS of short matches (10 players,
2 s warm-up, 20 s time limit), queueing again after each.

Every 200 ms it reads the fleet-wide `/v1/matches` (each server publishes its matches in Redis) and
fails if a player is listed in two live matches. At the end it reads the bots' report, the
matchmaker's placement histogram (match formed → every player's token queued), stops every process
with SIGTERM — the game servers drain: the matches they run play out first — checks that each
exited 0, and runs `arbiter verify` over both shards.

With `kill`, halfway through it kills a game server running a live match with SIGKILL and times how
long until each of its players' sessions (`/v1/sessions/{id}`) names another server: back in the
lobby, or already on their next game server.

Needs: PostgreSQL on 127.0.0.1:5432 (trust auth), Redis on 127.0.0.1:6379.
Usage: scripts/fleet_soak.py [BOTS] [SECONDS] [kill]       (default 200 180)
"""
import json, os, re, signal, socket, subprocess, sys, tempfile, time, urllib.request
from arbiter_run import (drop_databases, free_port, fresh_databases, logged_address, release_binary,
                         start_server)

bots_count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 180
kill = len(sys.argv) > 3 and sys.argv[3] == "kill"
binary = release_binary()
work = tempfile.mkdtemp()
redis_url = "redis://127.0.0.1:6379/14"
subprocess.run(["redis-cli", "-n", "14", "FLUSHDB"], check=True, stdout=subprocess.DEVNULL)


databases = fresh_databases("arbiter_fleet_soak", 2)
shards = json.dumps([f"postgres://postgres@127.0.0.1:5432/{name}" for name in databases])
key = os.path.join(work, "fleet.key")
with open(key, "wb") as file:
    file.write(os.urandom(32))
lobby_port = free_port(socket.SOCK_DGRAM)


def member(name, port, command, extra_net=""):
    """Writes NAME's config (game socket on PORT) and starts it running COMMAND; returns
    (process, admin address, query address)."""
    directory = os.path.join(work, name)
    os.makedirs(directory)
    config = os.path.join(directory, "server.toml")
    with open(config, "w") as file:
        file.write(
            f'[server]\nbind = "127.0.0.1:{port}"\ndata_dir = "{directory}/data"\n'
            f'[net]\nprivate_key_file = "{key}"\nconnection_timeout_secs = 5\n{extra_net}'
            f'[matchmaking]\nmatch_size = 10\n[matches]\nwarmup_secs = 2\ntime_limit_secs = 20\n'
            f'[admin]\nbind = "127.0.0.1:0"\n[query]\nbind = "127.0.0.1:0"\n'
            f'[persistence]\nshards = {shards}\n'
            f'[cache]\nbackend = "redis"\nredis_url = "{redis_url}"\n'
            f'[fleet]\nname = "soak"\nredis_url = "{redis_url}"\ncapacity = 4\nheartbeat_ms = 500\n'
            f'lobby_addresses = ["127.0.0.1:{lobby_port}"]\n')
    process, admin, log = start_server(binary, config, directory, command=command)
    query = logged_address(process, log, "query endpoint listening")
    return {"name": name, "port": port, "process": process, "admin": admin, "query": query,
            "config": config}


def get(address, path):
    return urllib.request.urlopen(f"http://{address}{path}", timeout=5).read().decode()


matchmaker = member("matchmaker", lobby_port, ("matchmaker",), extra_net="guest_tokens = true\n")
for _ in range(100):
    if re.search(r"^arbiter_fleet_leading 1$", get(matchmaker["admin"], "/metrics"), re.M):
        break
    time.sleep(0.1)
else:
    sys.exit("the matchmaker never led its fleet")
games = [member(f"game-{n}", free_port(socket.SOCK_DGRAM), ("serve", "--role", "game")) for n in range(3)]
time.sleep(2)  # the game servers' first heartbeats make them known to the fleet

bots = subprocess.Popen([binary, "bots", "--count", str(bots_count), "--duration", str(seconds),
                         "--admin", f"http://{matchmaker['admin']}"], stdout=subprocess.PIPE)
polls, doubles, peak_live, seen_matches = 0, [], 0, set()
started = time.monotonic()
killed, victims, back_after = None, set(), {}
# The killed server's matches: its list of them lingers in Redis a while after its death.
dead_matches = set()


def server_of(player):
    try:
        return json.loads(get(matchmaker["query"], f"/v1/sessions/{player}")).get("server_id")
    except OSError:
        return None


def kill_a_game_server(live):
    """Kills a game server with a live match; returns it and the players of its live matches."""
    by_port = {game["port"]: game for game in games}
    servers = {}
    for found in live:
        players = [player for team in found["teams"] for player in team]
        server = server_of(players[0]) if players else None
        port = int(server.rsplit(":", 1)[1]) if server else None
        if port in by_port:
            servers.setdefault(port, set()).update(players)
    if not servers:
        return None, set()
    port, players = next(iter(servers.items()))
    by_port[port]["process"].send_signal(signal.SIGKILL)
    return by_port[port], players


while bots.poll() is None:
    try:
        live = [found for found in json.loads(get(matchmaker["query"], "/v1/matches"))
                if found["state"] == "live"]
    except OSError:
        time.sleep(0.2)
        continue
    polls += 1
    peak_live = max(peak_live, len(live))
    in_match = {}
    for found in live:
        if found["match_id"] in dead_matches:
            continue
        seen_matches.add(found["match_id"])
        for player in (player for team in found["teams"] for player in team):
            if player in in_match and in_match[player] != found["match_id"]:
                doubles.append((player, in_match[player], found["match_id"]))
            in_match[player] = found["match_id"]
    if kill and killed is None and time.monotonic() - started >= seconds / 2:
        killed, victims = kill_a_game_server(live)
        killed_at = time.monotonic()
        dead_matches = {found["match_id"] for found in live
                        if {player for team in found["teams"] for player in team} <= victims}
    if killed is not None:
        dead = f"127.0.0.1:{killed['port']}"
        for victim in victims - back_after.keys():
            server = server_of(victim)
            if server is not None and server != dead:
                back_after[victim] = round(time.monotonic() - killed_at, 2)
    time.sleep(0.2)
report = json.loads(bots.stdout.read())

metrics = get(matchmaker["admin"], "/metrics")
buckets = [(float(le), float(count)) for le, count in
           re.findall(r'^arbiter_fleet_placement_seconds_bucket\{le="([^"+]+)"\} (\S+)$', metrics, re.M)]
placed = re.search(r'^arbiter_fleet_placements_total\{result="placed"\} (\S+)$', metrics, re.M)
not_placed = re.search(r'^arbiter_fleet_placements_total\{result="not_placed"\} (\S+)$', metrics, re.M)
total = buckets[-1][1] if buckets else 0


def bucket_of(share):
    return next((le for le, count in sorted(buckets) if count >= share * total), None)


# Stop: the game servers first (they drain), then the matchmaker.
exits, drained_in = {}, {}
alive = [game for game in games if game is not killed]
for game in alive:
    game["process"].send_signal(signal.SIGTERM)
stop_at = time.monotonic()
for game in alive:
    exits[game["name"]] = game["process"].wait(timeout=120)
    drained_in[game["name"]] = round(time.monotonic() - stop_at, 1)
matchmaker["process"].send_signal(signal.SIGTERM)
exits["matchmaker"] = matchmaker["process"].wait(timeout=60)
verify = subprocess.run([binary, "verify", "--config", matchmaker["config"]], capture_output=True, text=True)
drop_databases(databases)

summary = {
    "bots": bots_count, "seconds": seconds,
    "matches_completed_by_bots": report.get("matches_completed"),
    "matches_seen_live": len(seen_matches), "peak_live_matches": peak_live,
    "kicked": report.get("kicked"), "fallbacks": report.get("fallbacks"), "redirects": report.get("redirects"),
    "queue_timeouts": report.get("queue_timeouts"),
    "placed": float(placed.group(1)) if placed else 0, "not_placed": float(not_placed.group(1)) if not_placed else 0,
    "placement_p50_bucket_s": bucket_of(0.5), "placement_p99_bucket_s": bucket_of(0.99),
    "polls": polls, "players_in_two_live_matches": doubles[:10],
    "exit_codes": exits, "stopped_after_s": drained_in,
    "killed": killed["name"] if killed else None, "victims": len(victims),
    "victims_back": len(back_after), "victims_back_after_s_max": max(back_after.values(), default=None),
    "verify": (verify.stdout.strip().splitlines() or [verify.stderr[-300:]])[-1],
}
print(json.dumps(summary, indent=2))
ok = not doubles and verify.returncode == 0 and all(code == 0 for code in exits.values()) \
    and len(back_after) == len(victims) \
    and report.get("kicked") == 0
sys.exit(0 if ok else 1)
