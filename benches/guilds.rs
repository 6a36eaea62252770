//! Guild chat fan-out: one line from a member of a guild with 1,000 members online, through the
//! real guild rules (request, history, one `Outbound` per member), and the encoding of those 1,000
//! messages as the network layer does per recipient. Goal: ≤ 1 ms of tick time for the fan-out.
//!
//! `cargo bench --bench guilds`

use arbiter_components::config::GuildSettings;
use arbiter_components::guild::{
    Guild, GuildEvent, GuildRequest, GuildRequested, Membership, guild_id_of,
};
use arbiter_components::messages::Outbound;
use arbiter_components::player::PlayerId;
use arbiter_components::protocol::encode;
use arbiter_components::tick::ServerTick;
use arbiter_systems::guild::{
    GuildApplied, GuildDesk, GuildDirectory, GuildId, GuildMemberOf, GuildPlugin,
};
use bevy_app::{App, FixedUpdate};
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Messages;
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::{Duration, Instant};

const MEMBERS: u64 = 1_000;

/// A guild of 1,000 members, all online and linked to it.
fn app() -> (App, Vec<Entity>) {
    let mut app = App::new();
    app.add_plugins(GuildPlugin).insert_resource(GuildSettings {
        max_members: 10_000,
        chat_per_minute: 600,
        ..GuildSettings::default()
    });
    let name = "Fan Out";
    let id = guild_id_of(name);
    let mut guild = Guild::default();
    guild.apply(&GuildEvent::GuildFounded {
        name: name.into(),
        tag: "FO".into(),
        leader: 1,
    });
    for player in 2..=MEMBERS {
        guild.apply(&GuildEvent::GuildJoined { player, by: 1 });
    }
    let world = app.world_mut();
    let entity = world.spawn((GuildId(id), guild, GuildDesk::default())).id();
    world.resource_mut::<GuildDirectory>().0.insert(id, entity);
    let members = (1..=MEMBERS)
        .map(|player| {
            world
                .spawn((
                    PlayerId(player),
                    Membership::in_guild(id),
                    GuildMemberOf(entity),
                ))
                .id()
        })
        .collect();
    (app, members)
}

fn fan_out(criterion: &mut Criterion) {
    let (mut app, members) = app();
    // Settle the schedule (first-run work) before measuring.
    app.world_mut().run_schedule(FixedUpdate);
    let mut sender = 0;
    criterion.bench_function("guild_chat_fan_out_1000_online", |bencher| {
        bencher.iter_custom(|iterations| {
            let mut spent = Duration::ZERO;
            for _ in 0..iterations {
                let world = app.world_mut();
                world.write_message(GuildRequested {
                    player: members[sender % members.len()],
                    request: GuildRequest::Chat {
                        text: "the raid starts in five minutes, bring potions".into(),
                    },
                });
                sender += 1;
                let started = Instant::now();
                world.run_schedule(FixedUpdate);
                spent += started.elapsed();
                let told = world.resource_mut::<Messages<Outbound>>().drain().count();
                assert_eq!(told as u64, MEMBERS, "every member online hears it");
                world
                    .resource_mut::<Messages<GuildRequested>>()
                    .drain()
                    .count();
                // The line as the guild's event, for the shell to record (not run here).
                let recorded = world
                    .resource_mut::<Messages<GuildApplied>>()
                    .drain()
                    .count();
                assert_eq!(recorded, 1, "the line is a guild event");
                world.resource_mut::<ServerTick>().advance();
            }
            spent
        });
    });
    // What the network layer then does per recipient: encode the message.
    let world = app.world_mut();
    world.write_message(GuildRequested {
        player: members[0],
        request: GuildRequest::Chat {
            text: "the raid starts in five minutes, bring potions".into(),
        },
    });
    world.run_schedule(FixedUpdate);
    let told: Vec<Outbound> = world.resource_mut::<Messages<Outbound>>().drain().collect();
    criterion.bench_function("guild_chat_encode_1000_recipients", |bencher| {
        bencher.iter(|| {
            for outbound in &told {
                black_box(encode(&outbound.message));
            }
        });
    });
}

criterion_group!(benches, fan_out);
criterion_main!(benches);
