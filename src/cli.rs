//! The command line. `arbiter` alone serves, so `cargo run --release` starts a server.

use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "arbiter", version, about = "Authoritative game server")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `serve`, accepted without the subcommand too.
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve(ServeArgs),
    /// Run a fleet's matchmaker: `serve --role matchmaker`.
    Matchmaker(ServeArgs),
    /// Print a connect token (base64) for a player, signed with this server's key.
    Token(TokenArgs),
    /// Run simulated players against a server and print a JSON report.
    Bots(BotsArgs),
    /// Apply the database migrations to every shard of `[persistence] shards`.
    Migrate,
    /// Rebuild a player from its latest snapshot and later events, and print it next to the stored
    /// row (JSON); exit 1 if they differ.
    Replay(ReplayArgs),
    /// Check that every player's stored row equals its replayed history; exit 1 on any mismatch.
    Verify(VerifyArgs),
    /// Give a player items or currency (operators): queued on its shard, applied once by the server
    /// at its next login, or within a second or two when it is online.
    Grant(GrantArgs),
    /// After appending shards to `[persistence] shards` (server stopped): move the players that now
    /// belong to another shard there.
    Rebalance,
    /// The player event stream (Redis `player-events`).
    #[command(subcommand)]
    Events(EventsCommand),
}

#[derive(Debug, Subcommand)]
pub enum EventsCommand {
    /// Follow the stream and print each event as a JSON line.
    Tail(TailArgs),
}

#[derive(Debug, Clone, clap::Args)]
pub struct TailArgs {
    /// Start at the oldest event kept instead of new ones only.
    #[arg(long)]
    pub from_start: bool,
    /// Stop after printing this many events.
    #[arg(long)]
    pub count: Option<u64>,
}

#[derive(Debug, Clone, clap::Args)]
#[group(required = true, multiple = false)]
pub struct ReplayArgs {
    /// The player to replay.
    #[arg(long)]
    pub player_id: Option<u64>,
    /// The stored object to replay, as KIND:ID (e.g. guild:42).
    #[arg(long, value_name = "KIND:ID")]
    pub object: Option<crate::persistence::ObjectKey>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct GrantArgs {
    /// The player to give to.
    #[arg(long)]
    pub player_id: u64,
    /// An item or currency id of `assets/config/items.toml`.
    #[arg(long)]
    pub item: String,
    /// Units (or amount of currency), 1 or more.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub qty: u32,
    /// Why, for the audit log (the player's events).
    #[arg(long)]
    pub reason: String,
    /// Give at most once: the same command again with this key does nothing. Keys are unique per
    /// shard, so put the player in the key [default: a new key, so every run gives again].
    #[arg(long)]
    pub idempotency_key: Option<String>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct VerifyArgs {
    /// Check a random sample of up to N players per shard instead of all of them (stored objects
    /// are always checked in full; with a sample, an instance held twice is found only when both
    /// holders are in it).
    #[arg(long, value_name = "N")]
    pub sample: Option<u64>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct TokenArgs {
    /// The player the token is for; it cannot be changed by the client.
    #[arg(long)]
    pub player_id: u64,
    /// Token lifetime in seconds [default: net.token_expire_secs].
    #[arg(long)]
    pub expire_secs: Option<u32>,
}

#[derive(Debug, Clone, clap::Args)]
pub struct BotsArgs {
    /// Game server address; checked against the addresses in the issued tokens.
    #[arg(long)]
    pub server: Option<std::net::SocketAddr>,
    /// Admin endpoint that issues guest tokens (`POST /v1/tokens`).
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub admin: String,
    /// The admin endpoint's bearer token, when it has one (`admin.token`).
    #[arg(long, env = "ARBITER_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: Option<String>,
    /// A file of connect tokens (base64, one per line, e.g. from `arbiter token --player-id N`):
    /// bot i connects with line i, as that returning player, instead of as a fresh guest.
    #[arg(long)]
    pub tokens: Option<PathBuf>,
    /// Number of bots, each with its own socket and token.
    #[arg(long, default_value_t = 10)]
    pub count: u32,
    /// Seconds to play before disconnecting and reporting.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Leave early once every bot that queues has completed this many matches (or left): a run
    /// that waits for its matches however long matchmaking takes. Such a bot stops queueing then.
    #[arg(long)]
    pub matches: Option<u64>,
    #[arg(long, value_enum, default_value_t = Behavior::Honest)]
    pub behavior: Behavior,
    /// How many of the bots play `--behavior`; the others play honest (traders, for `duper`)
    /// [default: all of them].
    #[arg(long)]
    pub cheaters: Option<u32>,
    /// Simulated one-way latency added to every packet, in milliseconds, both ways: 75 gives a
    /// 150 ms round trip.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Random variation of that latency, ± milliseconds.
    #[arg(long, default_value_t = 0)]
    pub jitter_ms: u64,
    /// Share of packets lost, 0–1.
    #[arg(long, default_value_t = 0.0)]
    pub loss: f64,
    /// Frames per second each bot runs at (inputs sent per second).
    #[arg(long, default_value_t = 60)]
    pub fps: u32,
    #[arg(long, value_enum, default_value_t = ReportFormat::Json)]
    pub report: ReportFormat,
}

/// How bots play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Behavior {
    /// Join the queue, move towards opponents, and fire at visible ones within range with a
    /// human-like aim error (0.008 rad) once they have been in sight for a human reaction time
    /// (220 ms), claiming what they saw one round trip plus interpolation ago.
    Honest,
    /// Play honestly with a skilled player's hands: a small aim error (0.002 rad) and a 150 ms
    /// reaction.
    Skilled,
    /// Fire every frame, far faster than the weapon allows, at the nearest opponent in range.
    Rapidfire,
    /// Shoot opponents hidden behind walls, claiming the hit.
    Wallhack,
    /// Shoot opponents beyond the range of the shortest-ranged weapon with it, claiming the hit.
    Longshot,
    /// Send two inputs per frame: run faster than the tick rate.
    Speedhack,
    /// Claim ticks 650 ms in the past, to shoot where opponents were.
    Backtrack,
    /// Aim perfectly and at once: fire at the nearest visible opponent the frame it comes into
    /// sight, no aim error, snapping between targets (fire rate and claimed ticks honest).
    Aimbot,
    /// Fire a weapon it does not own, equip a forged instance, use a consumable it lacks and buy
    /// what it cannot pay for.
    Itemhack,
    /// Stay out of matches and trade random tradable items and coins with another trading bot,
    /// back and forth (bots pair in the order they connect).
    Trader,
    /// Trade like a trader, with a trick each trade: accept a stale version, switch its offer right
    /// after the other side accepted, use or discard what it offered under review, and after a few
    /// trades disconnect in the middle of settling one. Its partners are traders.
    Duper,
    /// Play honestly, and in groups of five (in the order they connect) found and join a guild,
    /// then chat, deposit and withdraw coins now and then.
    Social,
    /// Stay in the lobby, connected, pinging twice a second and never queueing: the load of a
    /// lobby full of players.
    Lobby,
}

impl Behavior {
    pub fn as_str(self) -> &'static str {
        match self {
            Behavior::Honest => "honest",
            Behavior::Skilled => "skilled",
            Behavior::Aimbot => "aimbot",
            Behavior::Rapidfire => "rapidfire",
            Behavior::Wallhack => "wallhack",
            Behavior::Longshot => "longshot",
            Behavior::Speedhack => "speedhack",
            Behavior::Backtrack => "backtrack",
            Behavior::Itemhack => "itemhack",
            Behavior::Trader => "trader",
            Behavior::Duper => "duper",
            Behavior::Social => "social",
            Behavior::Lobby => "lobby",
        }
    }

    /// Whether it trades (and stays out of matches, which would cancel its trades).
    pub fn trades(self) -> bool {
        matches!(self, Behavior::Trader | Behavior::Duper)
    }

    /// Whether it queues for matches.
    pub fn queues(self) -> bool {
        !self.trades() && self != Behavior::Lobby
    }

    /// What the bots that do not play this behaviour play: honest, or for a duper, honest
    /// traders to cheat.
    pub fn counterpart(self) -> Self {
        match self {
            Behavior::Duper => Behavior::Trader,
            _ => Behavior::Honest,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// One JSON object on stdout.
    Json,
}

#[derive(Debug, Clone, Default, clap::Args)]
pub struct ServeArgs {
    /// Config file to load and watch [default: assets/config/server.toml if it exists, else the
    /// embedded defaults].
    #[arg(long, short, value_name = "PATH", global = true)]
    pub config: Option<PathBuf>,
    /// What this process does: everything (one machine), or one role of a fleet (`[fleet]`).
    #[arg(long, value_enum, default_value_t = Role::All)]
    pub role: Role,
}

/// The roles of the one binary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Role {
    /// Lobby, queue and matches in this process.
    #[default]
    All,
    /// A fleet's lobby and queue: formed matches go to game servers (`arbiter matchmaker`).
    Matchmaker,
    /// A fleet's game server: runs only the matches placed on it.
    Game,
}

impl Cli {
    /// The command to run, `serve` when none was named.
    pub fn into_command(self) -> Command {
        self.command.unwrap_or(Command::Serve(self.serve))
    }
}
