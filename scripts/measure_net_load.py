#!/usr/bin/env python3
"""Server CPU per client per tick under bot load, on loopback.

Starts the release server (60 Hz) pinned to core 0 and `arbiter bots` pinned to core 1 (taskset), and
samples the server's user+sys CPU time (/proc/<pid>/stat) and its /metrics once a second. Only
steady play counts: the seconds after every bot is connected and every match has formed. Over that
window: CPU used / (clients x ticks), the bots' own share of their core, and datagrams per client
per tick each way from the server's own counters; it also prints the tick thread's scheduling in
force, as the server reports it, and the overruns of the start before the window (every bot
connecting within a second or so, all matches forming at once).

Usage: scripts/measure_net_load.py COUNT [SECONDS] [LOSS] [TICK]     (e.g. 100, 500, 1000; LOSS e.g.
       0.05, with 40 ms each way and ±10 ms of jitter, applied by the bots to both directions;
       TICK: `realtime` or nice levels for the tick's thread, as in measure_lobby.py)
"""
import json, signal, subprocess, sys, time
from arbiter_run import (cpu_seconds, bots_binary, load_config, metric, read_metrics, release_binary, start_server, tick_buckets,
                        tick_scheduling, tick_thread)

# Players in a match (the shipped `match_size`): the window opens once count / MATCH_SIZE matches run.
MATCH_SIZE = 10

count = int(sys.argv[1])
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20
loss = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
link = ["--loss", str(loss), "--latency-ms", "40", "--jitter-ms", "10"] if loss > 0 else []
binary = release_binary()

work, config, game_port = load_config(count, server=tick_scheduling(sys.argv[4] if len(sys.argv) > 4 else ""))
server, admin, log = start_server(binary, config, work, prefix=("taskset", "-c", "0"))

def sample():
    text = read_metrics(admin)
    cpu = cpu_seconds(server.pid)
    return (time.monotonic(), cpu, metric(text, "arbiter_ticks_total"), metric(text, "arbiter_connected_clients"),
            metric(text, "arbiter_tick_overruns_total"), metric(text, "arbiter_bytes_sent_total"),
            metric(text, "arbiter_packets_received_total"), metric(text, "arbiter_packets_sent_total"),
            metric(text, "arbiter_snapshot_bytes_total"),
            metric(text, 'arbiter_snapshots_sent_total{kind="delta"}') + metric(text, 'arbiter_snapshots_sent_total{kind="full"}'),
            metric(text, 'arbiter_snapshots_sent_total{kind="delta"}'), tick_buckets(text), tick_thread(text),
            cpu_seconds(bots.pid), metric(text, "arbiter_matches_active"))

bots = subprocess.Popen(["taskset", "-c", "1", bots_binary(binary), "bots", "--count", str(count), "--duration", str(seconds),
                         "--admin", f"http://{admin}", *link], stdout=subprocess.PIPE)
samples = []
while bots.poll() is None:
    samples.append(sample())
    time.sleep(1)
report = json.loads(bots.stdout.read())
full = [s for s in samples if s[3] >= count and s[14] >= count // MATCH_SIZE]
server.send_signal(signal.SIGTERM)
server.wait(timeout=20)

print(json.dumps({"bots": report}, indent=None))
if len(full) < 2:
    print(f"never had all {count} bots connected and in matches at once (max {max(s[3] for s in samples):.0f} "
          f"connected, {max(s[14] for s in samples):.0f} matches)")
    sys.exit(1)
first, last = full[0], full[-1]
wall, cpu, ticks = last[0] - first[0], last[1] - first[1], last[2] - first[2]
print(f"clients connected        {count} of {count} (report: {report['connected']} connected, {report['failed_connects']} failed)")
print(f"window                   {wall:.1f} s, {ticks:.0f} ticks")
print(f"server cpu               {cpu / wall * 100:.1f} % of one core")
print(f"bots cpu                 {(last[13] - first[13]) / wall * 100:.1f} % of one core")
print(f"cpu per client per tick  {cpu / (count * ticks) * 1e6:.2f} us")
print(f"tick overruns in window  {last[4] - first[4]:.0f} (before it, while starting: {first[4] - samples[0][4]:.0f})")
print(f"tick thread in force     {last[12]}")
# Where the window's ticks fall, from the histogram: how far the slow ones are from the rest.
in_window = {bound: last[11][bound] - first[11].get(bound, 0) for bound in sorted(last[11])}
slower = [f"> {bound * 1000:g} ms: {ticks - count:.0f}" for bound, count in in_window.items()
          if bound >= 0.004 and ticks - count > 0]
print(f"ticks slower than        {', '.join(slower) or 'none over 4 ms'}")
print(f"wire bytes per client/s  {(last[5] - first[5]) / wall / count:.0f}")
print(f"datagrams in per client per tick   {(last[6] - first[6]) / (count * ticks):.2f}")
print(f"datagrams out per client per tick  {(last[7] - first[7]) / (count * ticks):.2f}")
snapshots = last[9] - first[9]
if snapshots:
    print(f"snapshot message mean bytes        {(last[8] - first[8]) / snapshots:.1f} ({(last[10] - first[10]) / snapshots * 100:.0f} % deltas)")
