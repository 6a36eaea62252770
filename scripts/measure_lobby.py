#!/usr/bin/env python3
"""The matchmaker role's tick with a full lobby, on loopback.

Starts `arbiter matchmaker` (release, 60 Hz, its fleet state in the local Redis, database 13) pinned
to core 0, and `arbiter bots --behavior lobby` pinned to core 1: COUNT clients connect, are welcomed
(each gets a fallback token, as in a fleet of matchmakers) and stay in the lobby, pinging twice a
second, never queueing. Over the seconds in which every bot is connected it reads the matchmaker's
own /metrics: ticks run, the share of them that took at most 5 ms (the tick histogram's 5 ms
bucket), the bucket that holds the 99th percentile, overruns; and the matchmaker's CPU from /proc.

Usage: scripts/measure_lobby.py COUNT [SECONDS]     (e.g. 10000 60)
"""
import json, os, re, signal, subprocess, sys, time, urllib.request
from arbiter_run import load_config, release_binary, start_server

count = int(sys.argv[1])
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30
binary = release_binary()
clock_ticks = os.sysconf("SC_CLK_TCK")

work, config, game_port = load_config(
    count, net="guest_tokens = true\n",
    extra=lambda port: f'[fleet]\nname = "lobby{os.getpid()}"\nredis_url = "redis://127.0.0.1:6379/13"\n'
                       f'lobby_addresses = ["127.0.0.1:{port}"]\n')
server, admin, log = start_server(binary, config, work, prefix=("taskset", "-c", "0"),
                                  command=("matchmaker",))


def metric(text, name):
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def tick_buckets(text):
    """The tick-duration histogram's cumulative counts, by upper bound in seconds."""
    return {float(le): float(value) for le, value in
            re.findall(r'^arbiter_tick_duration_seconds_bucket\{le="([^"+]+)"\} (\S+)$', text, re.M)}


def sample():
    text = urllib.request.urlopen(f"http://{admin}/metrics").read().decode()
    with open(f"/proc/{server.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / clock_ticks
    return {"at": time.monotonic(), "cpu": cpu, "ticks": metric(text, "arbiter_ticks_total"),
            "clients": metric(text, "arbiter_connected_clients"),
            "overruns": metric(text, "arbiter_tick_overruns_total"), "buckets": tick_buckets(text),
            "in": metric(text, "arbiter_packets_received_total"), "out": metric(text, "arbiter_packets_sent_total")}


bots = subprocess.Popen(["taskset", "-c", "1", binary, "bots", "--count", str(count), "--duration", str(seconds),
                         "--behavior", "lobby", "--admin", f"http://{admin}"], stdout=subprocess.PIPE)
samples = []
while bots.poll() is None:
    samples.append(sample())
    time.sleep(1)
report = json.loads(bots.stdout.read())
full = [s for s in samples if s["clients"] >= count]
server.send_signal(signal.SIGTERM)
server.wait(timeout=60)

summary = {key: report[key] for key in ("bots", "connected", "failed_connects", "disconnects", "kicked")}
print(json.dumps({"bots": summary}))
if len(full) < 2:
    sys.exit(f"never had all {count} bots connected at once (max {max(s['clients'] for s in samples):.0f})")
first, last = full[0], full[-1]
ticks = last["ticks"] - first["ticks"]
within = {le: last["buckets"][le] - first["buckets"].get(le, 0) for le in last["buckets"]}
p99_bucket = min(le for le, n in within.items() if n >= 0.99 * ticks)
print(json.dumps({
    "clients": count,
    "window_secs": round(last["at"] - first["at"], 1),
    "ticks": ticks,
    "ticks_within_5ms": round(within.get(0.005, 0) / ticks, 5),
    "share_of_ticks_within_ms": {f"{le * 1000:g}": round(n / ticks, 4) for le, n in sorted(within.items())},
    "p99_at_most_secs": p99_bucket,
    "overruns": last["overruns"] - first["overruns"],
    "datagrams_per_client_per_sec_in_out": [round((last[way] - first[way]) / (last["at"] - first["at"]) / count, 2)
                                            for way in ("in", "out")],
    "matchmaker_cpu_share": round((last["cpu"] - first["cpu"]) / (last["at"] - first["at"]), 3),
}))
