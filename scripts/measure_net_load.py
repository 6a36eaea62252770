#!/usr/bin/env python3
"""Server CPU per client per tick under bot load, on loopback.

Starts the release server (60 Hz), runs `arbiter bots` in a second process, and samples the server's
user+sys CPU time (/proc/<pid>/stat) and its /metrics once a second. Only the seconds in which every
bot is connected count: CPU used / (clients x ticks) over that window.

Usage: scripts/measure_net_load.py COUNT [SECONDS]     (e.g. 100, 500, 1000)
"""
import json, os, re, signal, socket, subprocess, sys, tempfile, time, urllib.request
from arbiter_run import free_port, release_binary

count = int(sys.argv[1])
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 20
binary = release_binary()
clock_ticks = os.sysconf("SC_CLK_TCK")

game_port = free_port(socket.SOCK_DGRAM)
work = tempfile.mkdtemp()
config = os.path.join(work, "server.toml")
with open(config, "w") as file:
    file.write(f'[server]\ntick_rate_hz = 60\nbind = "127.0.0.1:{game_port}"\ndata_dir = "{work}/data"\n'
               f'[admin]\nbind = "127.0.0.1:0"\n[query]\nbind = "127.0.0.1:0"\n')
log = open(os.path.join(work, "log"), "w+")
server = subprocess.Popen([binary, "--config", config], stderr=log, env={**os.environ, "ARBITER_LOG_FORMAT": "json"})
admin = None
for _ in range(100):
    log.seek(0)
    for line in log:
        if "admin endpoint listening" in line:
            admin = json.loads(line)["fields"]["addr"]
    if admin:
        break
    time.sleep(0.1)
assert admin, "server did not start"

def metric(text, name):
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0

def sample():
    text = urllib.request.urlopen(f"http://{admin}/metrics").read().decode()
    with open(f"/proc/{server.pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / clock_ticks
    return time.monotonic(), cpu, metric(text, "arbiter_ticks_total"), metric(text, "arbiter_connected_clients"), metric(text, "arbiter_tick_overruns_total"), metric(text, "arbiter_bytes_sent_total")

bots = subprocess.Popen([binary, "bots", "--count", str(count), "--duration", str(seconds),
                         "--admin", f"http://{admin}"], stdout=subprocess.PIPE)
samples = []
while bots.poll() is None:
    samples.append(sample())
    time.sleep(1)
report = json.loads(bots.stdout.read())
full = [s for s in samples if s[3] >= count]
server.send_signal(signal.SIGTERM)
server.wait(timeout=20)

print(json.dumps({"bots": report}, indent=None))
if len(full) < 2:
    print(f"never had all {count} bots connected at once (max {max(s[3] for s in samples):.0f})")
    sys.exit(1)
first, last = full[0], full[-1]
wall, cpu, ticks = last[0] - first[0], last[1] - first[1], last[2] - first[2]
print(f"clients connected        {count} of {count} (report: {report['connected']} connected, {report['failed_connects']} failed)")
print(f"window                   {wall:.1f} s, {ticks:.0f} ticks")
print(f"server cpu               {cpu / wall * 100:.1f} % of one core")
print(f"cpu per client per tick  {cpu / (count * ticks) * 1e6:.2f} us")
print(f"tick overruns in window  {last[4] - first[4]:.0f}")
print(f"wire bytes per client/s  {(last[5] - first[5]) / wall / count:.0f}")
