"""What the measurement scripts share: the release binary built, a free loopback port, a
two-SQLite-shard config for guest bots, fresh PostgreSQL databases, a server started with its
admin address read from its JSON log, and values read from its /metrics."""
import atexit, json, os, re, socket, subprocess, sys, tempfile, time, urllib.error, urllib.request

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def release_binary():
    """Builds the release binary and returns its path; `ARBITER_BINARY=path` uses that binary
    instead (an older build, to compare on the same day)."""
    if os.environ.get("ARBITER_BINARY"):
        return os.environ["ARBITER_BINARY"]
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=root, check=True)
    return os.path.join(root, "target/release/arbiter")


def bots_binary(server_binary):
    """The binary that runs the bots: `ARBITER_BOTS_BINARY=path`, or the server's. Comparing two
    server builds with the same bots keeps the load the same."""
    return os.environ.get("ARBITER_BOTS_BINARY") or server_binary


def free_port(kind=socket.SOCK_STREAM):
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def new_config(text):
    """A fresh work directory with `server.toml` in it, whose text is TEXT(work, game port) for a
    free loopback game port. Returns (work, config path, game port)."""
    game_port = free_port(socket.SOCK_DGRAM)
    work = tempfile.mkdtemp()
    config = os.path.join(work, "server.toml")
    with open(config, "w") as file:
        file.write(text(work, game_port))
    return work, config, game_port


def sqlite_pair_config():
    """A work directory and a config in it: guest tokens, admin and query on free ports, two SQLite
    shards. Returns (work, config path, game port)."""
    return new_config(lambda work, port:
                      f'[server]\nbind = "127.0.0.1:{port}"\ndata_dir = "{work}/data"\n'
                      f'[net]\nguest_tokens = true\n[admin]\nbind = "127.0.0.1:0"\n[query]\nbind = "127.0.0.1:0"\n'
                      f'[persistence]\nshards = ["sqlite://{work}/shard0.db", "sqlite://{work}/shard1.db"]\n')


def tick_scheduling(arg):
    """`[server]` lines for how the tick's thread is scheduled, from a script's TICK argument:
    `realtime` (`tick_realtime`), a number of nice levels (`tick_priority_boost`), or "" for the
    defaults (no line, so an older build that lacks the settings still reads the config)."""
    if arg == "realtime":
        return "tick_realtime = true\n"
    return f"tick_priority_boost = {int(arg)}\n" if arg else ""


def load_config(count, net="", extra=lambda port: "", server=""):
    """A work directory and a config in it for a load of COUNT clients: 60 Hz, room for them all,
    admin and query on free ports; SERVER and NET add lines to [server] and [net], EXTRA(game port)
    whole sections. Returns (work, config path, game port)."""
    return new_config(lambda work, port:
                      f'[server]\ntick_rate_hz = 60\nbind = "127.0.0.1:{port}"\ndata_dir = "{work}/data"\n{server}'
                      f'[net]\nmax_clients = {max(count, 1024)}\n{net}'
                      f'[admin]\nbind = "127.0.0.1:0"\n[query]\nbind = "127.0.0.1:0"\n' + extra(port))


def start_server(binary, config, work, prefix=(), command=()):
    """Starts the server logging JSON to WORK/log, after PREFIX (e.g. a `taskset` pin), running
    COMMAND (e.g. `("matchmaker",)`; `serve` when empty); returns (process, admin address, log
    file), or exits with the log's tail if it does not come up."""
    log = open(os.path.join(work, "log"), "w+")
    server = subprocess.Popen([*prefix, binary, *command, "--config", config], stderr=log,
                              env={**os.environ, "ARBITER_LOG_FORMAT": "json"})
    # A script that fails partway (a metrics read that times out) does not leave it running.
    atexit.register(server.kill)
    return server, logged_address(server, log, "admin endpoint listening"), log


def cpu_seconds(pid):
    """User + system CPU time a process has used so far (/proc/<pid>/stat), in seconds."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def read_metrics(admin):
    """The server's /metrics text. The admin API limits requests per address, and bots fetching
    guest tokens from the same loopback address can use up the budget: a 429 is waited out."""
    for _ in range(50):
        try:
            return urllib.request.urlopen(f"http://{admin}/metrics", timeout=10).read().decode()
        except urllib.error.HTTPError as error:
            if error.code != 429:
                raise
            time.sleep(0.1)
    sys.exit("the admin API kept answering 429 Too Many Requests to /metrics")


def metric(text, name):
    """The value of series NAME (with its labels, if any) in /metrics TEXT; 0 when absent."""
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def tick_buckets(text):
    """The tick-duration histogram's cumulative counts, by upper bound in seconds."""
    return {float(le): float(value) for le, value in
            re.findall(r'^arbiter_tick_duration_seconds_bucket\{le="([^"+]+)"\} (\S+)$', text, re.M)}


def tick_thread(text):
    """How the tick's thread is scheduled, as the server reports it: TICK asks for a scheduling,
    but without CAP_SYS_NICE the thread stays as it was."""
    if metric(text, "arbiter_tick_thread_realtime") == 1.0:
        return "realtime"
    return f"nice {metric(text, 'arbiter_tick_thread_nice'):g}"


def logged_address(server, log, message):
    """The `addr` the running SERVER logged (JSON, to LOG) with MESSAGE; exits with the log's tail
    if it never does."""
    for _ in range(300):
        log.seek(0)
        for line in log:
            if message in line:
                return json.loads(line)["fields"]["addr"]
        if server.poll() is not None:
            break
        time.sleep(0.1)
    log.seek(0)
    sys.exit(f"server did not start: {log.read()[-3000:]}")


def psql(statement):
    """Runs STATEMENT on the local PostgreSQL (127.0.0.1:5432, trust auth) as postgres."""
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-qc", statement],
                   check=True, stdout=subprocess.DEVNULL)


def fresh_databases(prefix, count):
    """COUNT empty PostgreSQL databases named PREFIX_<pid>_<n>; returns their names."""
    names = [f"{prefix}_{os.getpid()}_{n}" for n in range(count)]
    drop_databases(names)
    for name in names:
        psql(f"CREATE DATABASE {name}")
    return names


def drop_databases(names):
    for name in names:
        psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
