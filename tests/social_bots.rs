//! Social bots against a persistent server over real UDP, every packet through a lossy, jittery
//! link: ten bots form two guilds of five (found, apply, accept), chat, deposit and withdraw
//! coins while playing honestly, and each founder leads a party of three from its guild that it
//! queues as one; every request is answered, the few refusals are the ones the timing allows, the
//! two parties play their match together, and the store — players and guilds, banks included —
//! verifies clean.

use arbiter::bots::{Arsenal, BotsReport, Swarm};
use arbiter::cli::Behavior;
use arbiter::guild::GUILD_KIND;
use arbiter::persistence::verify_objects;
use arbiter::store_commands::open_store;
use arbiter_client::{ArbiterClient, LinkConditioner};
use arbiter_testing::databases::runtime;
use arbiter_testing::items::assert_store_clean;
use arbiter_testing::net::{self, TestServer, test_config};
use arbiter_testing::persisted_app::all_durable;
use std::time::Duration;

const BOTS: u64 = 10;
/// Two guilds of five: two founders, eight who join.
const GUILDS: u64 = 2;
/// A party of three per guild.
const IN_PARTIES: u64 = 6;

/// Each guild's done requests: every kind at least this often over all its bots.
fn busy(report: &BotsReport) -> bool {
    report.behaviors.get("social").is_some_and(|social| {
        ["create", "joined", "accept", "chat", "deposit", "withdraw"]
            .iter()
            .all(|kind| social.guild_done.get(*kind).copied().unwrap_or(0) >= 2)
            && social.guild_done.get("create").copied().unwrap_or(0) == GUILDS
            && social.guild_done.get("joined").copied().unwrap_or(0) == BOTS - GUILDS
            && social.party_matches >= IN_PARTIES
    })
}

#[test]
fn ten_social_bots_on_a_lossy_link_form_two_guilds_chat_and_bank_and_the_store_stays_clean() {
    // The bots' frames run faster than the server's real-time ticks here: the server's per-minute
    // chat limit is raised so that it measures nothing of this test's own pace.
    let mut server = TestServer::start_persistent(|config| config.guilds.chat_per_minute = 600);
    let mut swarm = Swarm::new(Arsenal::shipped().expect("shipped assets"));
    for id in 1..=BOTS {
        let link = LinkConditioner::new(
            Duration::from_millis(20),
            Duration::from_millis(5),
            0.02,
            id,
        );
        let client = ArbiterClient::connect(server.token(id), Some(link)).expect("socket");
        swarm.add(client, Behavior::Social);
    }
    let mut step = 0u64;
    while step < 6000 && !busy(&swarm.report()) {
        server.tick();
        swarm.play_frame(net::TICK, step * net::TICK.as_micros() as u64);
        std::thread::sleep(Duration::from_micros(200));
        step += 1;
    }
    let report = swarm.report();
    assert!(busy(&report), "{report:#?}");
    let social = &report.behaviors["social"];
    assert_eq!(social.guild_unanswered, 0, "{social:#?}");
    assert_eq!(report.kicked, 0, "{report:#?}");
    // An application sent before its guild exists, a withdrawal racing another for the last
    // coins, the daily limit reached once: the only refusals an honest player meets.
    let expected = ["no_such_guild", "bank_short", "over_daily_limit"];
    assert!(
        social
            .guild_refusals
            .keys()
            .all(|reason| expected.contains(&reason.as_str())),
        "{social:#?}"
    );
    assert!(social.guild_chat_heard > 0);
    assert!(social.party_refusals.is_empty(), "{social:#?}");
    assert_eq!(social.party_queue_cancelled, 0, "{social:#?}");
    assert!(report.guild_answer_ms_p99.is_some());

    let stored = |server: &mut TestServer| all_durable(server.app.world_mut());
    for _ in 0..3000 {
        if stored(&mut server) {
            break;
        }
        server.tick();
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(stored(&mut server), "everything was stored");
    let store = open_store(&test_config(&server.data_dir)).expect("the store");
    let runtime = runtime();
    let keys = runtime.block_on(store.object_keys()).expect("keys");
    let guilds = keys.iter().filter(|key| key.kind == GUILD_KIND).count();
    assert_eq!(guilds as u64, GUILDS, "{keys:?}");
    assert_eq!(
        runtime
            .block_on(verify_objects(&store, &keys))
            .expect("verify"),
        vec![]
    );
    let ids: Vec<u64> = (1..=BOTS).collect();
    runtime.block_on(assert_store_clean(&store, &ids));
    swarm.leave();
}
