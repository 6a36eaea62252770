#!/usr/bin/env python3
"""Guild operations on the real release binary, two SQLite shards, 60 Hz.

Social bots (groups of five found and join a guild, then chat, deposit and withdraw while playing)
run for SECONDS; the bots' report gives the time from each guild request to the server's answer
on the client (p50, p99: founding, joining, chat, bank; an application is not timed). Then
`arbiter verify` must be clean (players, guilds and banks, no half-written transfer).

Usage: scripts/measure_guilds.py [SECONDS] [BOTS]      (defaults 60, 50)
"""
import json, signal, subprocess, sys
from arbiter_run import release_binary, sqlite_pair_config, start_server

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60
count = int(sys.argv[2]) if len(sys.argv) > 2 else 50
binary = release_binary()
work, config, game_port = sqlite_pair_config()
server, admin, _ = start_server(binary, config, work)

run = subprocess.run([binary, "bots", "--behavior", "social", "--count", str(count),
                      "--duration", str(seconds), "--admin", f"http://{admin}",
                      "--server", f"127.0.0.1:{game_port}"], stdout=subprocess.PIPE, check=True)
report = json.loads(run.stdout)
server.send_signal(signal.SIGTERM)
server.wait(timeout=30)
social = report["behaviors"]["social"]
tick_ms = 1000 / 60
p50, p99 = report["guild_answer_ms_p50"], report["guild_answer_ms_p99"]
mean = report["guild_answer_ms_mean"]
print(f"{count} social bots, {seconds:.0f} s: request -> answer on the client "
      f"p50 {p50} ms ({p50 / tick_ms:.1f} ticks), p99 {p99} ms ({p99 / tick_ms:.1f} ticks), "
      f"mean {mean:.1f} ms")
print("  p99 by kind: " + ", ".join(f"{kind} {ms} ms ({ms / tick_ms:.1f} ticks)"
                                   for kind, ms in report["guild_answer_ms_p99_by_kind"].items()))
print(f"  done {social['guild_done']}, refused {social['guild_refusals']}, "
      f"unanswered {social['guild_unanswered']}, chat heard {social['guild_chat_heard']}")
verify = subprocess.run([binary, "verify", "--config", config], stdout=subprocess.PIPE, text=True)
print("  verify: " + " | ".join(verify.stdout.strip().splitlines()[-3:]))
if verify.returncode != 0:
    sys.exit("verify failed")
