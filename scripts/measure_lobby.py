#!/usr/bin/env python3
"""The matchmaker role's tick with a full lobby, on loopback.

Starts `arbiter matchmaker` (release, 60 Hz, its fleet state in the local Redis, database 13) pinned
to core 0, and `arbiter bots --behavior lobby` pinned to core 1: COUNT clients connect, are welcomed
(each gets a fallback token, as in a fleet of matchmakers) and stay in the lobby, pinging twice a
second, never queueing. From the matchmaker's own /metrics it reads ticks run, the share of them
that took at most 5 ms (the tick histogram's 5 ms bucket), the bucket that holds the 99th
percentile, overruns, datagrams each way, the tick thread's scheduling in force; and the
matchmaker's CPU from /proc. Two windows:
- "connected": every bot connected, which still holds the end of the joining (welcomes, each
  player's fallback token, the first write-behind flush of ten thousand new players);
- "steady": a lobby of COUNT that has settled, from SETTLE_SECS after the last welcome (one
  write-behind flush interval, 5 s, and a second) to the end. The goal is about this one.

Usage: scripts/measure_lobby.py COUNT [SECONDS] [TICK]     (e.g. 10000 60 realtime)
TICK: how the matchmaker's tick thread is scheduled: `realtime` (`server.tick_realtime`) or a number
of nice levels (`server.tick_priority_boost`); default: as the rest of the process. Either needs
CAP_SYS_NICE (e.g. root).
"""
import json, os, signal, subprocess, sys, time
from arbiter_run import (cpu_seconds, bots_binary, load_config, metric, read_metrics, release_binary, start_server, tick_buckets,
                        tick_scheduling, tick_thread)

count = int(sys.argv[1])
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30
tick = tick_scheduling(sys.argv[3] if len(sys.argv) > 3 else "")
binary = release_binary()
SETTLE_SECS = 6

work, config, game_port = load_config(
    count, net="guest_tokens = true\n", server=tick,
    extra=lambda port: f'[fleet]\nname = "lobby{os.getpid()}"\nredis_url = "redis://127.0.0.1:6379/13"\n'
                       f'lobby_addresses = ["127.0.0.1:{port}"]\n')
server, admin, log = start_server(binary, config, work, prefix=("taskset", "-c", "0"),
                                  command=("matchmaker",))


def sample():
    text = read_metrics(admin)
    cpu = cpu_seconds(server.pid)
    return {"at": time.monotonic(), "cpu": cpu, "ticks": metric(text, "arbiter_ticks_total"),
            "clients": metric(text, "arbiter_connected_clients"),
            "welcomed": metric(text, "arbiter_welcomes_total"),
            "overruns": metric(text, "arbiter_tick_overruns_total"), "buckets": tick_buckets(text),
            "in": metric(text, "arbiter_packets_received_total"), "out": metric(text, "arbiter_packets_sent_total"),
            "tick_thread": tick_thread(text)}


bots = subprocess.Popen(["taskset", "-c", "1", bots_binary(binary), "bots", "--count", str(count), "--duration", str(seconds),
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


def window(first, last):
    """What the matchmaker did between two samples."""
    ticks = last["ticks"] - first["ticks"]
    secs = last["at"] - first["at"]
    within = {le: last["buckets"][le] - first["buckets"].get(le, 0) for le in last["buckets"]}
    return {
        "window_secs": round(secs, 1),
        "ticks": ticks,
        "ticks_within_5ms": round(within.get(0.005, 0) / ticks, 5),
        "share_of_ticks_within_ms": {f"{le * 1000:g}": round(n / ticks, 4) for le, n in sorted(within.items())},
        "p99_at_most_secs": min(le for le, n in within.items() if n >= 0.99 * ticks),
        "overruns": last["overruns"] - first["overruns"],
        "datagrams_per_client_per_sec_in_out": [round((last[way] - first[way]) / secs / count, 2) for way in ("in", "out")],
        "matchmaker_cpu_share": round((last["cpu"] - first["cpu"]) / secs, 3),
    }


all_welcomed = next((s["at"] for s in full if s["welcomed"] >= count), None)
steady = [s for s in full if all_welcomed is not None and s["at"] >= all_welcomed + SETTLE_SECS]
# What the server says is in force (TICK asks; without CAP_SYS_NICE it stays as it was).
measured = {"clients": count, "tick_thread": full[-1]["tick_thread"], "connected": window(full[0], full[-1])}
if len(steady) >= 2:
    measured["steady"] = window(steady[0], steady[-1])
print(json.dumps(measured))
if len(steady) < 2:
    sys.exit(f"no settled window: run longer (all welcomed {'never' if all_welcomed is None else 'late'})")
