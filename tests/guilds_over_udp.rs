//! Guilds over real UDP, every packet through a lossy, jittery link, on a server storing players
//! and guilds on two SQLite shards — the guild on the other shard than its members: a founding
//! paid for, an invitation accepted, chat heard by members only, a kick that stops the chat at
//! once, a refusal with its reason; then a restart from the same store, where the guild and its
//! members come back as they were and the store verifies clean.

use arbiter::guild::GUILD_KIND;
use arbiter::persistence::{ObjectKey, Store, verify_objects};
use arbiter_client::{ArbiterClient, LinkConditioner};
use arbiter_components::guild::{GuildRefusal, GuildRequest, GuildRole, guild_id_of};
use arbiter_components::inventory::Wallet;
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::{ClientMessage, GuildChange, GuildView, ServerMessage};
use arbiter_testing::databases::{runtime, sqlite_shards};
use arbiter_testing::items::assert_store_clean;
use arbiter_testing::net::TestServer;
use arbiter_testing::persisted_app::all_durable;
use std::time::Duration;

const NAME: &str = "Iron Wolves";
const PRICE: u64 = 50;
/// The starter kit's coins (assets/config/rewards.toml).
const STARTER_COINS: u64 = 200;

/// Three players online: what each has heard so far.
struct Table {
    server: TestServer,
    clients: Vec<ArbiterClient>,
    heard: Vec<Vec<ServerMessage>>,
}

impl Table {
    fn open(shards: &[String], ids: [u64; 3]) -> Self {
        let shards = shards.to_vec();
        let server = TestServer::start_persistent(move |config| {
            config.persistence.shards = shards;
            config.guilds.price = PRICE;
        });
        let clients = ids
            .iter()
            .map(|id| {
                let link = LinkConditioner::new(
                    Duration::from_millis(20),
                    Duration::from_millis(5),
                    0.02,
                    *id,
                );
                ArbiterClient::connect(server.token(*id), Some(link)).expect("socket")
            })
            .collect();
        let mut table = Self {
            server,
            clients,
            heard: vec![Vec::new(); 3],
        };
        table.until("everyone is welcomed", |heard| {
            heard.iter().all(|messages| {
                messages
                    .iter()
                    .any(|message| matches!(message, ServerMessage::Welcome { .. }))
            })
        });
        table
    }

    fn send(&mut self, who: usize, request: GuildRequest) {
        self.clients[who].send(&ClientMessage::Guild(request));
    }

    /// Steps until `done` holds for what was heard (at most 3,000 steps).
    fn until(&mut self, what: &str, done: impl Fn(&[Vec<ServerMessage>]) -> bool) {
        self.server
            .hear_until(&mut self.clients, &mut self.heard, what, done);
    }

    /// Steps `steps` times, hearing what comes.
    fn wait(&mut self, steps: usize) {
        for _ in 0..steps {
            self.server.step_hearing(&mut self.clients, &mut self.heard);
        }
    }

    /// Steps until every player's and guild's changes are stored.
    fn until_stored(&mut self) {
        for _ in 0..3000 {
            if all_durable(self.server.app.world_mut()) {
                return;
            }
            self.server.step(&mut self.clients);
            std::thread::sleep(Duration::from_millis(1));
        }
        panic!("changes were never stored");
    }

    fn coins(&mut self, id: u64) -> u64 {
        let world = self.server.app.world_mut();
        world
            .query::<(&PlayerId, &Wallet)>()
            .iter(world)
            .find(|(player, _)| player.0 == id)
            .map(|(_, wallet)| wallet.balance("coins"))
            .expect("the player is in the world")
    }
}

fn view(heard: &[ServerMessage]) -> Option<&GuildView> {
    heard.iter().rev().find_map(|message| match message {
        ServerMessage::Guild(view) => Some(view.as_ref()),
        _ => None,
    })
}

fn chat_lines(heard: &[ServerMessage]) -> Vec<String> {
    heard
        .iter()
        .filter_map(|message| match message {
            ServerMessage::GuildChat { lines, .. } => Some(lines.iter().map(|l| l.text.clone())),
            _ => None,
        })
        .flatten()
        .collect()
}

fn refusals(heard: &[ServerMessage]) -> Vec<GuildRefusal> {
    heard
        .iter()
        .filter_map(|message| match message {
            ServerMessage::GuildRefused { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

/// Three player ids on the shard the guild is not on.
fn members_off_the_guilds_shard(store: &Store) -> [u64; 3] {
    let guild_shard = store.shard_of(guild_id_of(NAME));
    let ids: Vec<u64> = (1..)
        .filter(|id| store.shard_of(*id) != guild_shard)
        .take(3)
        .collect();
    [ids[0], ids[1], ids[2]]
}

#[test]
fn a_guild_founded_joined_chatted_in_and_kicked_from_over_a_lossy_link_is_stored_whole() {
    let dir = tempfile::tempdir().expect("temp dir");
    let shards = sqlite_shards(&dir, 2);
    let store = Store::open(&shards).expect("opens");
    let ids = members_off_the_guilds_shard(&store);
    let [leader, member, _outsider] = ids;
    let guild = guild_id_of(NAME);

    let mut table = Table::open(&shards, ids);
    // A member cannot kick anyone before it is in a guild.
    table.send(1, GuildRequest::Kick { player_id: leader });
    table.until("a refusal", |heard| !refusals(&heard[1]).is_empty());
    assert_eq!(refusals(&table.heard[1]), vec![GuildRefusal::NotInGuild]);

    table.send(
        0,
        GuildRequest::Create {
            name: NAME.into(),
            tag: "IW".into(),
        },
    );
    table.until("the founder hears its guild", |heard| {
        view(&heard[0]).is_some()
    });
    assert_eq!(table.coins(leader), STARTER_COINS - PRICE);

    table.send(0, GuildRequest::Invite { player_id: member });
    table.until("the invitation", |heard| {
        heard[1]
            .iter()
            .any(|message| matches!(message, ServerMessage::GuildInvited { .. }))
    });
    table.send(
        1,
        GuildRequest::AnswerInvite {
            guild,
            accept: true,
        },
    );
    table.until("the member hears its guild", |heard| {
        view(&heard[1]).is_some()
    });
    let joined = view(&table.heard[1]).expect("a view").clone();
    assert_eq!((joined.guild, joined.name.as_str()), (guild, NAME));
    assert_eq!(joined.members.len(), 2);

    table.send(
        0,
        GuildRequest::Chat {
            text: "welcome".into(),
        },
    );
    table.until("the member hears the chat", |heard| {
        chat_lines(&heard[1]).contains(&"welcome".to_owned())
    });
    assert!(
        chat_lines(&table.heard[2]).is_empty(),
        "an outsider hears nothing"
    );

    table.send(0, GuildRequest::Kick { player_id: member });
    table.until("the member hears its kick", |heard| {
        heard[1].iter().any(|message| {
            matches!(
                message,
                ServerMessage::GuildChanged {
                    change: GuildChange::Kicked { .. },
                    ..
                }
            )
        })
    });
    table.send(
        0,
        GuildRequest::Chat {
            text: "gone?".into(),
        },
    );
    table.until("the leader hears its own line", |heard| {
        chat_lines(&heard[0]).contains(&"gone?".to_owned())
    });
    table.wait(30);
    assert!(
        !chat_lines(&table.heard[1]).contains(&"gone?".to_owned()),
        "a kicked member stops hearing the guild at once"
    );
    table.until_stored();
    drop(table);

    // The store holds the guild, on its own shard, and both sides of every join.
    let runtime = runtime();
    let store = Store::open(&shards)
        .expect("opens")
        .with_parts(arbiter::guild::guild_player_parts(
            arbiter::economy::economy_parts(),
        ))
        .with_objects(arbiter::guild::guild_objects());
    let key = ObjectKey::new(GUILD_KIND, guild);
    let keys = runtime.block_on(store.object_keys()).expect("keys");
    assert_eq!(keys, vec![key.clone()]);
    let mismatches = runtime
        .block_on(verify_objects(&store, &keys))
        .expect("verifies");
    assert_eq!(mismatches, vec![]);
    runtime.block_on(assert_store_clean(&store, &ids));

    // A restart: the leader comes back into its guild, told it whole; the kicked member does not.
    let mut table = Table::open(&shards, ids);
    table.until("the leader hears its guild again", |heard| {
        view(&heard[0]).is_some()
    });
    let back = view(&table.heard[0]).expect("a view");
    let roles: Vec<(u64, GuildRole)> = back
        .members
        .iter()
        .map(|member| (member.player_id, member.role))
        .collect();
    assert_eq!(roles, vec![(leader, GuildRole::Leader)]);
    table.wait(30);
    assert!(view(&table.heard[1]).is_none() && view(&table.heard[2]).is_none());
    assert_eq!(table.coins(leader), STARTER_COINS - PRICE);
}
