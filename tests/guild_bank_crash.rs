//! The real binary on two PostgreSQL shards, one behind a proxy that cuts it; a player on one
//! shard, its guild on the other. A deposit made while one side's shard is gone is carried out
//! in the game and half stored; it completes when the shard comes back. A withdrawal made while
//! it is gone, followed by `kill -9`, is completed from its stored half at the next start. Nothing
//! is duplicated or lost, whichever side's shard was cut: what the player and the bank hold adds
//! up to the starter kit less the guild's price, and verify finds the store clean. Moves of one
//! guild follow each other while its shard is gone when the later one folds the same whatever
//! becomes of the earlier; both are completed after `kill -9`.

use arbiter::economy::economy_parts;
use arbiter::guild::{GUILD_KIND, guild_objects, guild_player_parts};
use arbiter::persistence::{ObjectKey, Store};
use arbiter_client::ArbiterClient;
use arbiter_components::guild::{GuildRequest, guild_id_of};
use arbiter_components::protocol::{ClientMessage, GuildChange, ServerMessage};
use arbiter_testing::databases::PostgresDatabases;
use arbiter_testing::items::assert_store_clean;
use arbiter_testing::process::{ServerProcess, run_command, write_shard_config};
use arbiter_testing::proxy::FlakyProxy;
use std::path::Path;
use std::time::{Duration, Instant};

/// The starter kit's coins and the default price of a guild.
const STARTER_COINS: u64 = 200;
const PRICE: u64 = 100;
const DEPOSIT: u64 = 50;
const WITHDRAWAL: u64 = 20;

/// The player's client and what it was told.
struct Member {
    client: ArbiterClient,
    heard: Vec<ServerMessage>,
}

impl Member {
    fn connect(config: &Path, id: u64) -> Self {
        let token = arbiter(config, &["token", "--player-id", &id.to_string()]);
        let token = arbiter_client::token::decode_token(token.trim()).expect("a token");
        Self {
            client: ArbiterClient::connect(token, None).expect("client socket"),
            heard: Vec::new(),
        }
    }

    fn send(&mut self, request: GuildRequest) {
        self.heard.clear();
        self.client.send(&ClientMessage::Guild(request));
        let _ = self.client.flush();
    }

    /// Pumps until `done` holds for what was heard, failing after 15 s.
    fn until(&mut self, what: &str, done: impl Fn(&[ServerMessage]) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(15);
        while !done(&self.heard) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {:?}",
                self.heard
            );
            // A connection lost to the kill is the test's doing, not a failure.
            let _ = self.client.update(Duration::from_millis(10));
            self.heard.extend(self.client.receive());
            let _ = self.client.flush();
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

fn arbiter(config: &Path, args: &[&str]) -> String {
    run_command(env!("CARGO_BIN_EXE_arbiter"), config, args)
}

fn bank_moved(heard: &[ServerMessage]) -> bool {
    heard.iter().any(|message| {
        matches!(
            message,
            ServerMessage::GuildChanged {
                change: GuildChange::BankDeposited { .. } | GuildChange::BankWithdrawn { .. },
                ..
            }
        )
    })
}

fn coins(amount: u64) -> Vec<(String, u64)> {
    vec![("coins".to_owned(), amount)]
}

/// Polls the store until `count` transfers are half-written, failing after 15 s.
fn until_half_written(store: &Store, runtime: &tokio::runtime::Runtime, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let half = runtime
            .block_on(store.half_written_transfers())
            .expect("read");
        if half.len() == count {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "half-written: {half:?}, not {count}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Polls the store until the founding of `guild` is stored on both sides (the guild's row, and no
/// leg missing), failing after 15 s: only then may a shard go, or the next transfer's fence waits
/// for the founding's own writes.
fn until_founding_stored(store: &Store, runtime: &tokio::runtime::Runtime, guild: u64) {
    let deadline = Instant::now() + Duration::from_secs(15);
    let key = ObjectKey::new(GUILD_KIND, guild);
    loop {
        let (loaded, _) = runtime.block_on(store.load_objects(std::slice::from_ref(&key)));
        if loaded.first().is_some_and(|object| object.state.is_some()) {
            break;
        }
        assert!(Instant::now() < deadline, "the guild was never stored");
        std::thread::sleep(Duration::from_millis(20));
    }
    until_half_written(store, runtime, 0);
}

/// Two shards, one behind a proxy that can cut it: `name`'s guild on shard 1, `player` on 0.
struct TwoShards {
    runtime: tokio::runtime::Runtime,
    databases: PostgresDatabases,
    store: Store,
    proxy: FlakyProxy,
    config: std::path::PathBuf,
    _dir: tempfile::TempDir,
    name: String,
    guild: u64,
    player: u64,
}

impl TwoShards {
    /// With shard 0 (the player's, `cut_player`) or 1 (the guild's) behind the proxy; `None`
    /// without PostgreSQL.
    fn start(cut_player: bool) -> Option<Self> {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let databases = runtime.block_on(PostgresDatabases::create(2))?;
        let direct = databases.urls();
        let store = Store::open(&direct)
            .expect("the store")
            .with_parts(guild_player_parts(economy_parts()))
            .with_objects(guild_objects());
        let name = (0..)
            .map(|n| format!("Vault {n}"))
            .find(|name| store.shard_of(guild_id_of(name)) == 1)
            .expect("a name on shard 1");
        let guild = guild_id_of(&name);
        let player = (1..).find(|id| store.shard_of(*id) == 0).expect("an id");
        let cut = if cut_player { 0 } else { 1 };
        let proxy = FlakyProxy::start("127.0.0.1:5432".parse().expect("address"));
        let mut shards = direct.clone();
        shards[cut] = shards[cut].replace("127.0.0.1:5432", &proxy.addr.to_string());
        let dir = tempfile::tempdir().expect("temp dir");
        let config = write_shard_config(dir.path(), &shards);
        Some(Self {
            runtime,
            databases,
            store,
            proxy,
            config,
            _dir: dir,
            name,
            guild,
            player,
        })
    }

    /// The server started, and the player connected, given its starter kit, founder of the
    /// guild, with the founding stored on both shards.
    fn serve_founder(&self) -> (ServerProcess, Member) {
        let server = ServerProcess::start(env!("CARGO_BIN_EXE_arbiter"), &self.config);
        server.admin_address();
        let mut member = Member::connect(&self.config, self.player);
        member.until("the starter kit", |heard| {
            heard
                .iter()
                .any(|message| matches!(message, ServerMessage::Inventory(_)))
        });
        member.send(GuildRequest::Create {
            name: self.name.clone(),
            tag: "VLT".into(),
        });
        member.until("the guild", |heard| {
            heard
                .iter()
                .any(|message| matches!(message, ServerMessage::Guild(_)))
        });
        until_founding_stored(&self.store, &self.runtime, self.guild);
        (server, member)
    }

    /// `kill -9` of the server, the shard back, the server started again: every transfer is
    /// completed.
    fn kill_and_restart(&self, mut server: ServerProcess) -> ServerProcess {
        server.signal("KILL");
        assert!(!server.wait_exit(Duration::from_secs(10)).success());
        self.proxy.restore();
        let server = ServerProcess::start(env!("CARGO_BIN_EXE_arbiter"), &self.config);
        server.admin_address();
        self.until_half_written(0);
        server
    }

    /// Conservation checked with the bank holding `bank` coins, the server stopped, the
    /// databases dropped.
    fn finish(self, mut server: ServerProcess, bank: u64) {
        self.assert_conserved(bank);
        server.signal("TERM");
        assert!(server.wait_exit(Duration::from_secs(15)).success());
        let Self {
            runtime,
            databases,
            store,
            ..
        } = self;
        drop(store);
        runtime.block_on(databases.drop_all());
    }

    fn until_half_written(&self, count: usize) {
        until_half_written(&self.store, &self.runtime, count);
    }

    /// The store is clean, verify agrees, the coins add up and the bank holds `bank` coins.
    fn assert_conserved(&self, bank: u64) {
        self.runtime
            .block_on(assert_store_clean(&self.store, &[self.player]));
        let verify = arbiter(&self.config, &["verify"]);
        assert!(verify.contains("0 half-written transfer(s)"), "{verify}");
        // The starter kit less the guild's price, between the player and the bank.
        let coins_held = STARTER_COINS - PRICE;
        assert!(
            verify.contains(&format!("held in total: coins={coins_held} ")),
            "{verify}"
        );
        let (guilds, failed) = self.runtime.block_on(
            self.store
                .load_objects(&[ObjectKey::new(GUILD_KIND, self.guild)]),
        );
        assert!(failed.is_empty(), "{failed:?}");
        let stored: arbiter_components::guild::Guild = guilds[0]
            .state
            .clone()
            .expect("founded")
            .into_part()
            .expect("decodes");
        assert_eq!(stored.bank().currencies["coins"], bank);
    }
}

fn deposit(amount: u64) -> GuildRequest {
    GuildRequest::Deposit {
        stacks: Vec::new(),
        instances: Vec::new(),
        currencies: coins(amount),
    }
}

fn withdrawal(amount: u64) -> GuildRequest {
    GuildRequest::Withdraw {
        stacks: Vec::new(),
        instances: Vec::new(),
        currencies: coins(amount),
    }
}

/// A deposit and a withdrawal while the shard of the player (`cut_player`) or of its guild is gone.
fn bank_with_a_shard_cut(cut_player: bool) {
    let Some(shards) = TwoShards::start(cut_player) else {
        return;
    };
    let (server, mut member) = shards.serve_founder();

    // A deposit: carried out in the game at once, half stored while the shard is gone, whole
    // once it is back.
    shards.proxy.cut();
    member.send(deposit(DEPOSIT));
    member.until("the deposit", bank_moved);
    shards.until_half_written(1);
    shards.proxy.restore();
    shards.until_half_written(0);

    // A withdrawal, and the server killed before the shard is back.
    shards.proxy.cut();
    member.send(withdrawal(WITHDRAWAL));
    member.until("the withdrawal", bank_moved);
    shards.until_half_written(1);
    let server = shards.kill_and_restart(server);

    shards.finish(server, DEPOSIT - WITHDRAWAL);
}

#[test]
fn bank_moves_whose_guilds_shard_is_cut_complete_when_it_returns_and_after_a_kill_9() {
    bank_with_a_shard_cut(false);
}

#[test]
fn bank_moves_whose_players_shard_is_cut_complete_when_it_returns_and_after_a_kill_9() {
    bank_with_a_shard_cut(true);
}

/// The guild's shard is gone while its bank takes a deposit and then a withdrawal: neither waits
/// for the other's commit on the guild's side, because the withdrawal is covered by what the bank
/// held before the deposit. A second withdrawal that only the deposit in flight would cover waits
/// instead. After `kill -9` both carried-out moves are completed from their players' halves, in
/// whatever order, and the coins add up.
#[test]
fn bank_moves_follow_each_other_while_the_guilds_shard_is_gone_and_complete_after_a_kill_9() {
    let Some(shards) = TwoShards::start(false) else {
        return;
    };
    let (server, mut member) = shards.serve_founder();
    member.send(deposit(DEPOSIT));
    member.until("the first deposit", bank_moved);
    shards.until_half_written(0);
    // The store shows the deposit as soon as its commit lands, a moment before the server hears the
    // commit acknowledged. A cut in that moment leaves the deposit in flight as far as the server
    // can know, so the withdrawal below would rightly wait: let the acknowledgement arrive first.
    std::thread::sleep(Duration::from_millis(500));

    // 50 stored in the bank; 30 more in flight; 40 out needs only the 50.
    shards.proxy.cut();
    member.send(deposit(30));
    member.until("the deposit", bank_moved);
    shards.until_half_written(1);
    member.send(withdrawal(40));
    member.until("the withdrawal over a deposit in flight", bank_moved);
    shards.until_half_written(2);
    // 40 held, but 10 without the deposit in flight: 20 more waits for the guild's shard.
    member.send(withdrawal(20));
    let waited = Instant::now() + Duration::from_secs(1);
    while Instant::now() < waited {
        let _ = member.client.update(Duration::from_millis(10));
        member.heard.extend(member.client.receive());
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(
        !bank_moved(&member.heard),
        "a withdrawal only a deposit in flight covers was carried out: {:?}",
        member.heard
    );
    let server = shards.kill_and_restart(server);

    shards.finish(server, DEPOSIT + 30 - 40);
}
