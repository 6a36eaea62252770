#!/usr/bin/env python3
"""Fairness over the network grid, on the real release binary with the bots in separate processes.

For each cell — round trip 20 / 150 / 300 ms × jitter 0 / 20 / 50 ms (each packet, each way) ×
loss 0 / 2 / 5 % (each way) — a fresh server (2 s warm-up, 40 s matches, 1 s respawns; pinned to
core 0) meets 30 bots behind that link (pinned to core 1): 14 honest, 2 skilled (small aim error,
fast reactions) and 2 of each cheat (rapidfire, wallhack, longshot, speedhack, backtrack, itemhack,
aimbot), one `arbiter bots` process per behaviour, for SECONDS. Printed per cell, as a Markdown
table: honest and skilled shots refused (count and %), honest or skilled bots kicked or flagged, and
per cheat how many of its bots that cheated were caught (kicked; the aimbot: flagged for review, from
the server's log) out of how many cheated, and the median seconds from its first cheat to that, and
how many bots of the cell never connected. (A bot that never cheated — an aimbot that never had an
opponent in sight — cannot be caught and is not counted; the cheaters column of the bots' report
lists those that did. The goal is a catch within 30 s of the first cheat, so a cheater not caught
whose first cheat came less than 30 s before the run's end has not had its time: it is shown apart,
as "+N late", and not counted either way. An aimbot not flagged is listed with its hits on stderr.)

Usage: scripts/measure_fairness.py [SECONDS] [CELLS]      (defaults 60, all 27; CELLS like
       "20/0/0,300/50/5" picks cells by round trip / jitter / loss %)
"""
import datetime, itertools, json, os, signal, statistics, subprocess, sys
from arbiter_run import release_binary, sqlite_pair_config, start_server

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 60
grid = list(itertools.product([20, 150, 300], [0, 20, 50], [0, 2, 5]))
if len(sys.argv) > 2:
    wanted = {tuple(int(part) for part in cell.split("/")) for cell in sys.argv[2].split(",")}
    grid = [cell for cell in grid if cell in wanted]
FAIR = {"honest": 14, "skilled": 2}
CAUGHT_WITHIN_SECS = 30
MATCH_SECS = 40
CHEATS = ["rapidfire", "wallhack", "longshot", "speedhack", "backtrack", "itemhack", "aimbot"]
binary = release_binary()


def unix_secs(timestamp):
    return datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()


def anticheat_log(log):
    """(message, player_id, unix seconds) of every flag and kick in the server's JSON log."""
    log.seek(0)
    for line in log:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        fields = entry.get("fields", {})
        message = fields.get("message", "")
        if message.startswith("anti-cheat: player"):
            yield message, fields.get("player_id"), unix_secs(entry["timestamp"])


def run_cell(rtt, jitter, loss):
    work, config, game_port = sqlite_pair_config()
    with open(config, "a") as file:
        # The teams spawn 180 m apart on the arena and first meet ~15 s into a match: a match must
        # last well beyond that for anyone to be judged on more than a shot or two.
        file.write(f"[matches]\nwarmup_secs = 2\ntime_limit_secs = {MATCH_SECS}\nrespawn_secs = 1\n")
    server, admin, log = start_server(binary, config, work, prefix=("taskset", "-c", "0"))
    link = ["--latency-ms", str(rtt // 2), "--jitter-ms", str(jitter), "--loss", str(loss / 100)]
    runs = {}
    for behavior, count in [*FAIR.items(), *((cheat, 2) for cheat in CHEATS)]:
        runs[behavior] = subprocess.Popen(
            ["taskset", "-c", "1", binary, "bots", "--behavior", behavior, "--count", str(count),
             "--duration", str(seconds), "--admin", f"http://{admin}",
             "--server", f"127.0.0.1:{game_port}", *link], stdout=subprocess.PIPE)
    reports = {behavior: json.loads(run.communicate()[0]) for behavior, run in runs.items()}
    server.send_signal(signal.SIGTERM)
    server.wait(timeout=60)
    actions = list(anticheat_log(log))
    cheater_ids = {cheater["player_id"] for behavior in CHEATS
                   for cheater in reports[behavior]["behaviors"][behavior]["cheaters"]}
    fair = [reports[behavior]["behaviors"][behavior] for behavior in FAIR]
    shots = sum(played["shots_sent"] for played in fair)
    refused = sum(played["shots_rejected"] for played in fair)
    reasons = {}
    for played in fair:
        for reason, count in played["rejections"].items():
            reasons[reason] = reasons.get(reason, 0) + count
    touched = sum(played["kicked"] for played in fair) + len(
        {player for message, player, _ in actions
         if "flagged" in message and player not in cheater_ids})
    row = {"cell": f"{rtt} ms / ±{jitter} ms / {loss} %", "shots": shots, "refused": refused,
           "reasons": reasons, "touched": touched, "cheats": {},
           "unconnected": sum(report["failed_connects"] for report in reports.values())}
    for behavior in CHEATS:
        report = reports[behavior]
        times, cheated, late = [], 0, 0
        for cheater in report["behaviors"][behavior]["cheaters"]:
            caught_after = cheater["kicked_after_secs"]
            if behavior == "aimbot":
                cheated_at = (report["started_unix_ms"] + cheater["first_cheat_ms"]) / 1000
                flags = [at for message, player, at in actions
                         if "flagged" in message and player == cheater["player_id"]]
                caught_after = max(0.0, min(flags) - cheated_at) if flags else None
            if caught_after is not None:
                times.append(caught_after)
            elif seconds - cheater["first_cheat_ms"] / 1000 < CAUGHT_WITHIN_SECS:
                late += 1
                continue
            elif behavior == "aimbot":
                row.setdefault("aimbots_not_flagged", []).append(cheater)
            cheated += 1
        row["cheats"][behavior] = (len(times), cheated,
                                   statistics.median(times) if times else None, late)
    return row


rows = []
for rtt, jitter, loss in grid:
    row = run_cell(rtt, jitter, loss)
    rows.append(row)
    print(json.dumps(row), file=sys.stderr, flush=True)

print("| round trip / jitter / loss | bots never connected | fair shots | refused | "
      "fair bots kicked or flagged | " + " | ".join(CHEATS) + " |")
print("|---|---|---|---|---|" + "---|" * len(CHEATS))
for row in rows:
    percent = 100 * row["refused"] / row["shots"] if row["shots"] else 0
    refused = f"{row['refused']} ({percent:.1f} %)" + (f" {row['reasons']}" if row["reasons"] else "")
    cells = []
    for behavior in CHEATS:
        caught, bots, median, late = row["cheats"][behavior]
        cells.append(f"{caught}/{bots}" + (f", {median:.1f} s" if median is not None else "")
                     + (f" (+{late} late)" if late else ""))
    print(f"| {row['cell']} | {row['unconnected']} | {row['shots']} | {refused} | {row['touched']} | "
          + " | ".join(cells) + " |")
