#!/usr/bin/env python3
"""A soak test of the release binary: MINUTES of waves of bots of every behaviour (honest players in
matches, traders, a duper, cheats), connecting, leaving and coming back as the same players, on two
PostgreSQL shards —
one reached through a TCP proxy (socat) that is cut for 30 s in the middle — with its own Redis
(another port, so nothing else using the machine's Redis is disturbed) restarted in the middle too.
Every 10 s it samples the server's RSS (anonymous and file-backed), its world size (from
its metrics), the tick p99 over the last 10 s (from the histogram), and error counters; at the end it stops the server with SIGTERM and runs `arbiter verify`.

Needs: PostgreSQL on 127.0.0.1:5432 (trust auth), redis-server and socat on PATH.
Usage: scripts/soak.py [MINUTES]       (default 30)
"""
import json, os, re, signal, socket, subprocess, sys, tempfile, time
from arbiter_run import drop_databases, free_port, fresh_databases, read_metrics, release_binary, start_server

minutes = float(sys.argv[1]) if len(sys.argv) > 1 else 30
binary = release_binary()
work = tempfile.mkdtemp()


databases = fresh_databases("arbiter_soak", 2)

redis_port, proxy_port = free_port(), free_port()
game_port = free_port(socket.SOCK_DGRAM)


def start_redis():
    return subprocess.Popen(["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)


def start_proxy():
    return subprocess.Popen(["socat", f"TCP-LISTEN:{proxy_port},fork,reuseaddr,bind=127.0.0.1",
                             "TCP:127.0.0.1:5432"], start_new_session=True)


def stop_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


redis, proxy = start_redis(), start_proxy()
shards = [f"postgres://postgres@127.0.0.1:5432/{databases[0]}",
          f"postgres://postgres@127.0.0.1:{proxy_port}/{databases[1]}"]
config = os.path.join(work, "server.toml")
with open(config, "w") as file:
    file.write(f'[server]\nbind = "127.0.0.1:{game_port}"\ndata_dir = "{work}/data"\n'
               f'[net]\nguest_tokens = true\n[admin]\nbind = "127.0.0.1:0"\n[query]\nbind = "127.0.0.1:0"\n'
               f'[matches]\nwarmup_secs = 2\ntime_limit_secs = 30\n'
               f'[persistence]\nshards = {json.dumps(shards)}\n'
               f'[cache]\nbackend = "redis"\nredis_url = "redis://127.0.0.1:{redis_port}"\n')
time.sleep(0.5)
server, admin, log = start_server(binary, config, work)


def scrape():
    text = read_metrics(admin)
    samples = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def total(samples, prefix):
    return sum(value for name, value in samples.items()
               if name == prefix or name.startswith(prefix + "{"))


def tick_p99(before, after):
    """p99 of the ticks between two scrapes, from the histogram's buckets (upper bound)."""
    buckets = []
    for name, value in after.items():
        match = re.match(r'arbiter_tick_duration_seconds_bucket\{le="([^"]+)"\}', name)
        if match:
            buckets.append((float(match.group(1)), value - before.get(name, 0.0)))
    buckets.sort()
    count = buckets[-1][1] if buckets else 0
    for bound, cumulative in buckets:
        if count and cumulative >= 0.99 * count:
            return bound
    return None


def memory_mb():
    """The server's resident set and its two parts: anonymous memory (heap, stacks: what a leak
    grows) and file-backed pages (the binary's code and data, paged in as code paths first run)."""
    with open(f"/proc/{server.pid}/status") as status:
        text = status.read()
    field = lambda name: round(int(re.search(name + r":\s+(\d+)", text).group(1)) / 1024, 1)
    return {"rss_mb": field("VmRSS"), "anon_mb": field("RssAnon"), "file_mb": field("RssFile")}


WAVES = [("honest", 40, None), ("trader", 20, None), ("duper", 4, 2), ("itemhack", 10, 2),
         ("rapidfire", 10, 2), ("speedhack", 10, 2)]
reports, running = [], []
waves_launched = 0


def tokens_file(first_id, count):
    """A file of connect tokens for players first_id .. first_id + count - 1 (`arbiter token`)."""
    path = os.path.join(work, f"tokens-{first_id}")
    with open(path, "w") as file:
        for player in range(first_id, first_id + count):
            token = subprocess.run([binary, "token", "--config", config, "--player-id", str(player)],
                                   capture_output=True, text=True, check=True).stdout.strip()
            file.write(token + "\n")
    return path


def launch_wave(duration):
    """One wave of bots. The players return: waves alternate between two pools of player ids (a
    wave overlaps the one before it, never the one before that), so every player comes back every
    two minutes with what it had, and the server meets no new player after the first two waves."""
    global waves_launched
    pool = 100_000 * (1 + waves_launched % 2)
    waves_launched += 1
    for group, (behavior, count, cheaters) in enumerate(WAVES):
        args = [binary, "bots", "--behavior", behavior, "--count", str(count), "--duration",
                str(duration), "--tokens", tokens_file(pool + 1000 * group, count),
                "--server", f"127.0.0.1:{game_port}",
                "--latency-ms", "20", "--jitter-ms", "5", "--loss", "0.01"]
        if cheaters is not None:
            args += ["--cheaters", str(cheaters)]
        running.append((behavior, subprocess.Popen(args, stdout=subprocess.PIPE)))


def collect_finished():
    for entry in list(running):
        behavior, process = entry
        if process.poll() is not None:
            out = process.stdout.read()
            try:
                reports.append((behavior, json.loads(out)))
            except json.JSONDecodeError:
                reports.append((behavior, {"error": out.decode(errors="replace")[-500:]}))
            running.remove(entry)


start = time.monotonic()
end = start + minutes * 60
previous = scrape()
rows = []
events = []
next_wave = start
cut_at, redis_at = start + minutes * 60 * 0.4, start + minutes * 60 * 0.6
outage = "before"
while time.monotonic() < end:
    now = time.monotonic()
    if now >= next_wave:
        launch_wave(90)
        next_wave = now + 60   # waves overlap: bots leave and others connect throughout
    if outage == "before" and now >= cut_at:
        stop_group(proxy)
        outage = "cut"
        events.append((round(now - start), "PostgreSQL shard 1 cut"))
    if outage == "cut" and now >= cut_at + 30:
        proxy = start_proxy()
        outage = "over"
        events.append((round(now - start), "PostgreSQL shard 1 back"))
    if redis is not None and now >= redis_at:
        redis.send_signal(signal.SIGKILL)
        redis.wait()
        redis = start_redis()
        events.append((round(now - start), "Redis restarted"))
        redis_at = float("inf")
    time.sleep(10)
    collect_finished()
    current = scrape()
    rows.append({
        "t_s": round(time.monotonic() - start),
        **memory_mb(),
        "tick_p99_ms": (lambda p: None if p is None else p * 1000)(tick_p99(previous, current)),
        "clients": current.get("arbiter_connected_clients", 0),
        "pending_players": current.get("arbiter_persist_pending_players", 0),
        "persist_failures": total(current, "arbiter_persist_failures_total"),
        "overruns": current.get("arbiter_tick_overruns_total", 0),
        "kicks": total(current, "arbiter_kicks_total"),
        "trades_in_doubt": current.get("arbiter_trades_in_doubt", 0),
        "entities": current.get("arbiter_world_entities", 0),
        "archetypes": current.get("arbiter_world_archetypes", 0),
        "tables": current.get("arbiter_world_tables", 0),
        "table_rows": current.get("arbiter_world_table_rows_reserved", 0),
    })
    previous = current
    print(json.dumps(rows[-1]), flush=True)

for _, process in running:
    process.wait()
collect_finished()
server.send_signal(signal.SIGTERM)
exit_code = server.wait(timeout=120)
log.seek(0)
panics = sum(1 for line in log if "panicked" in line)
verify = subprocess.run([binary, "verify", "--config", config], capture_output=True, text=True)
stop_group(proxy)
redis.send_signal(signal.SIGKILL)
drop_databases(databases)

warm = [row for row in rows if row["t_s"] >= 120] or rows
growth = lambda key: (warm[-1][key] - warm[0][key]) / warm[0][key] * 100
disconnects = sum(report.get("disconnects", 0) for _, report in reports)
disconnect_reasons = {}
for _, report in reports:
    for reason, count in report.get("disconnect_reasons", {}).items():
        disconnect_reasons[reason] = disconnect_reasons.get(reason, 0) + count
kicked = {}
for behavior, report in reports:
    kicked[behavior] = kicked.get(behavior, 0) + report.get("kicked", 0)
print("events:", events)
print(f"server exit code {exit_code}, panics in the log {panics}")
second_half = [row for row in rows if row["t_s"] >= minutes * 30] or rows


def trend(key):
    """Least-squares slope of `key` over the second half of the run, in MB per minute."""
    xs, ys = [row["t_s"] / 60 for row in second_half], [row[key] for row in second_half]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / spread if spread else 0.0


def cycle_mean(rows_in_cycle, key):
    return sum(row[key] for row in rows_in_cycle) / len(rows_in_cycle)


# A wave starts every 60 s, so one sample swings with the population (94 to 188 players) and with
# the moment free pages were last handed back; the mean over a whole wave cycle does not.
first_cycle = [row for row in warm if row["t_s"] < warm[0]["t_s"] + 60]
last_cycle = [row for row in rows if row["t_s"] > rows[-1]["t_s"] - 60]
for key, name in [("rss_mb", "RSS"), ("anon_mb", "anonymous"), ("file_mb", "file-backed")]:
    before, after = cycle_mean(first_cycle, key), cycle_mean(last_cycle, key)
    print(f"{name} after warm-up {warm[0][key]} MB -> {warm[-1][key]} MB ({growth(key):+.1f} %); "
          f"mean over the first and last wave cycles {before:.2f} -> {after:.2f} MB "
          f"({(after - before) / before * 100:+.1f} %); second half's trend {trend(key):+.3f} MB/min")
p99s = [row["tick_p99_ms"] for row in rows if row["tick_p99_ms"] is not None]
print(f"tick p99 per 10 s: first third max {max(p99s[:len(p99s)//3] or [0])} ms, "
      f"last third max {max(p99s[-len(p99s)//3:] or [0])} ms")
print(f"bot reports {len(reports)}, kicked by behaviour {kicked}, disconnects without a kick "
      f"{disconnects} {disconnect_reasons}")
print("verify:", verify.stdout.strip().splitlines()[-1] if verify.stdout.strip() else verify.stderr[-500:])
sys.exit(0 if verify.returncode == 0 and panics == 0 and exit_code == 0 else 1)
