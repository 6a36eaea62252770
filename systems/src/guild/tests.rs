//! Guild rules in a minimal app: every operation and its refusals, chat, and memberships checked
//! at login. The shell's two parts are stood in for by the simplest of themselves: a guild loads
//! at once (stored nowhere), and a join moves both sides at once (no database to wait for).

use super::*;
use arbiter_components::guild::GuildEvent;
use arbiter_components::guild::{CalendarDay, Guild, GuildRole, guild_id_of};
use arbiter_components::inventory::InventoryError;
use arbiter_components::inventory::{Inventory, TradedItems, Wallet, WalletEvent};
use arbiter_components::items::{ItemKind, ItemSpec};
use arbiter_components::protocol::{GuildChange, ServerMessage};
use bevy_app::{App, PostUpdate};
use bevy_ecs::message::{MessageReader, MessageWriter, Messages};
use bevy_ecs::query::{With, Without};
use bevy_ecs::system::Res;
use bevy_ecs::system::{Commands, Query};
use std::sync::Arc;

/// Guilds spawned for loading arrive at once, in their default (never founded) state.
fn load_at_once(mut commands: Commands, loading: Query<Entity, (With<GuildId>, Without<Guild>)>) {
    for guild in &loading {
        commands.entity(guild).insert(Guild::default());
    }
}

/// Carries out transfers at once: the guild's event, and the player's share of it (membership
/// and price, or what goes into or out of the bank).
fn transfer_at_once(
    mut transfers: MessageReader<GuildTransfer>,
    mut guilds: Query<&mut Guild>,
    mut players: Query<(&mut Membership, &mut Wallet, &mut Inventory)>,
    catalog: Res<Catalog>,
    mut done: MessageWriter<GuildTransferred>,
) {
    for due in transfers.read() {
        let (mut membership, mut wallet, mut inventory) =
            players.get_mut(due.player).expect("a player");
        let none = Arc::<TradedItems>::default();
        let (moved, sign) = match &due.event {
            GuildEvent::GuildBankDeposited { moved, .. } => (Some(moved), -1),
            GuildEvent::GuildBankWithdrawn { moved, .. } => (Some(moved), 1),
            _ => (None, 0),
        };
        if let Some(moved) = moved {
            let moved_items = Arc::new(moved.items.clone());
            let (gave, got) = match sign {
                -1 => (&moved_items, &none),
                _ => (&none, &moved_items),
            };
            let traded = inventory
                .trade(&catalog, "bank", gave, got, 40)
                .expect("checked");
            inventory.apply(&traded);
            for (currency, amount) in &moved.currencies {
                wallet.apply(&WalletEvent::CurrencyChanged {
                    currency: currency.clone(),
                    delta: sign * *amount as i64,
                    reason: "bank".into(),
                });
            }
        } else {
            membership.apply(&MembershipEvent::MembershipBegan { guild: due.id });
        }
        guilds
            .get_mut(due.guild)
            .expect("a guild")
            .apply(&due.event);
        if let Some((currency, price)) = &due.price {
            wallet.apply(&WalletEvent::CurrencyChanged {
                currency: currency.clone().into(),
                delta: -(*price as i64),
                reason: "guild".into(),
            });
        }
        done.write(GuildTransferred {
            player: due.player,
            guild: due.guild,
            id: due.id,
            event: due.event.clone(),
        });
    }
}

fn app(settings: GuildSettings) -> App {
    let mut app = App::new();
    let wood = ItemSpec {
        tradable: true,
        ..ItemSpec::new("wood", ItemKind::Material, 100)
    };
    app.add_plugins(GuildPlugin)
        .insert_resource(settings)
        .insert_resource(Catalog::with_coins(vec![wood]))
        .insert_resource(TickRate::new(10))
        .add_systems(FixedUpdate, load_at_once.after(serve_waiting_requests))
        .add_systems(PostUpdate, transfer_at_once.before(GuildAnswers));
    app
}

fn settings() -> GuildSettings {
    GuildSettings {
        price: 100,
        max_members: 4,
        chat_per_minute: 3,
        chat_history: 2,
        ..GuildSettings::default()
    }
}

/// A player with `coins` and 10 wood.
fn player(app: &mut App, id: u64, coins: i64) -> Entity {
    let catalog = app.world().resource::<Catalog>().clone();
    let mut inventory = Inventory::default();
    let wood = inventory
        .grant(&catalog, "wood", 10, 40, id, "test")
        .expect("fits");
    inventory.apply(&wood);
    let mut wallet = Wallet::default();
    wallet.apply(&WalletEvent::CurrencyChanged {
        currency: "coins".into(),
        delta: coins,
        reason: "test".into(),
    });
    app.world_mut()
        .spawn((PlayerId(id), wallet, inventory))
        .id()
}

/// Runs one tick with `requests`; returns what each player was sent.
fn tick(app: &mut App, requests: &[(Entity, GuildRequest)]) -> Vec<(Entity, ServerMessage)> {
    for (player, request) in requests {
        app.world_mut().write_message(GuildRequested {
            player: *player,
            request: request.clone(),
        });
    }
    app.world_mut().run_schedule(FixedUpdate);
    app.world_mut().run_schedule(PostUpdate);
    app.world_mut().resource_mut::<ServerTick>().advance();
    let world = app.world_mut();
    world
        .resource_mut::<Messages<GuildRequested>>()
        .drain()
        .count();
    world
        .resource_mut::<Messages<GuildTransfer>>()
        .drain()
        .count();
    world
        .resource_mut::<Messages<GuildApplied>>()
        .drain()
        .count();
    world
        .resource_mut::<Messages<MembershipApplied>>()
        .drain()
        .count();
    world
        .resource_mut::<Messages<Outbound>>()
        .drain()
        .map(|outbound| (outbound.player, outbound.message))
        .collect()
}

/// Ticks until nothing more is said (a join takes two), gathering what was said.
fn settle(app: &mut App, requests: &[(Entity, GuildRequest)]) -> Vec<(Entity, ServerMessage)> {
    let mut said = tick(app, requests);
    for _ in 0..3 {
        said.extend(tick(app, &[]));
    }
    said
}

fn refusals(said: &[(Entity, ServerMessage)], to: Entity) -> Vec<GuildRefusal> {
    said.iter()
        .filter(|(player, _)| *player == to)
        .filter_map(|(_, message)| match message {
            ServerMessage::GuildRefused { reason, .. } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

fn changes(said: &[(Entity, ServerMessage)], to: Entity) -> Vec<GuildChange> {
    said.iter()
        .filter(|(player, _)| *player == to)
        .filter_map(|(_, message)| match message {
            ServerMessage::GuildChanged { change, .. } => Some(change.clone()),
            _ => None,
        })
        .collect()
}

fn coins(app: &App, player: Entity) -> u64 {
    app.world()
        .get::<Wallet>(player)
        .expect("wallet")
        .balance("coins")
}

fn guild_of(app: &mut App, player: Entity) -> Option<u64> {
    app.world()
        .get::<Membership>(player)
        .and_then(Membership::guild)
}

fn state(app: &mut App, name: &str) -> Guild {
    let entity = app.world().resource::<GuildDirectory>().0[&guild_id_of(name)];
    app.world().get::<Guild>(entity).expect("loaded").clone()
}

fn create(name: &str) -> GuildRequest {
    GuildRequest::Create {
        name: name.into(),
        tag: "IW".into(),
    }
}

/// `leader` founds "Iron Wolves" and invites `others`, who accept.
fn founded(app: &mut App, leader: Entity, others: &[(Entity, u64)]) -> u64 {
    let said = settle(app, &[(leader, create("Iron Wolves"))]);
    assert!(refusals(&said, leader).is_empty(), "{said:?}");
    let guild = guild_id_of("Iron Wolves");
    for (other, id) in others {
        settle(app, &[(leader, GuildRequest::Invite { player_id: *id })]);
        let answer = GuildRequest::AnswerInvite {
            guild,
            accept: true,
        };
        let said = settle(app, &[(*other, answer)]);
        assert!(refusals(&said, *other).is_empty(), "{said:?}");
    }
    guild
}

#[test]
fn a_founder_pays_the_price_leads_the_guild_and_is_told_it_whole() {
    let mut app = app(settings());
    let a = player(&mut app, 1, 150);
    let said = settle(&mut app, &[(a, create("Iron Wolves"))]);
    let guild = guild_id_of("Iron Wolves");
    assert_eq!(guild_of(&mut app, a), Some(guild));
    assert_eq!(coins(&app, a), 50);
    let view = said.iter().find_map(|(to, message)| match message {
        ServerMessage::Guild(view) if *to == a => Some(view.clone()),
        _ => None,
    });
    let view = view.expect("told the guild whole");
    assert_eq!(
        (view.guild, view.name.as_str(), view.tag.as_str()),
        (guild, "Iron Wolves", "IW")
    );
    assert_eq!(view.members.len(), 1);
    assert_eq!(view.members[0].role, GuildRole::Leader);
    assert!(view.members[0].online);
}

#[test]
fn a_taken_name_in_any_case_a_bad_name_and_an_empty_purse_are_refused() {
    let mut app = app(settings());
    let a = player(&mut app, 1, 150);
    let b = player(&mut app, 2, 150);
    let poor = player(&mut app, 3, 99);
    founded(&mut app, a, &[]);
    let said = settle(
        &mut app,
        &[(b, create("IRON wolves")), (poor, create("Poor Guild"))],
    );
    assert_eq!(refusals(&said, b), vec![GuildRefusal::NameTaken]);
    let cannot = GuildRefusal::CannotAfford {
        currency: "coins".into(),
        price: 100,
    };
    assert_eq!(refusals(&said, poor), vec![cannot]);
    let bad = GuildRequest::Create {
        name: "x".into(),
        tag: "IW".into(),
    };
    let bad_tag = GuildRequest::Create {
        name: "Fine Name".into(),
        tag: "TOOLONG".into(),
    };
    let said = settle(&mut app, &[(b, bad), (b, bad_tag)]);
    assert_eq!(
        refusals(&said, b),
        vec![GuildRefusal::InvalidName, GuildRefusal::InvalidTag]
    );
    let again = settle(&mut app, &[(a, create("Second Guild"))]);
    assert_eq!(refusals(&again, a), vec![GuildRefusal::AlreadyInGuild]);
    assert_eq!(coins(&app, b), 150);
}

#[test]
fn two_foundings_of_one_name_in_one_tick_found_one_guild() {
    let mut app = app(settings());
    let a = player(&mut app, 1, 150);
    let b = player(&mut app, 2, 150);
    let said = settle(&mut app, &[(a, create("Twins")), (b, create("twins"))]);
    assert_eq!(refusals(&said, b), vec![GuildRefusal::NameTaken]);
    assert_eq!(state(&mut app, "Twins").members().len(), 1);
    assert_eq!(coins(&app, b), 150);
}

#[test]
fn an_invited_player_joins_and_every_member_online_is_told() {
    let mut app = app(settings());
    let a = player(&mut app, 1, 150);
    let b = player(&mut app, 2, 0);
    let guild = founded(&mut app, a, &[]);
    let said = settle(&mut app, &[(a, GuildRequest::Invite { player_id: 2 })]);
    assert!(
        said.iter().any(|(to, message)| *to == b
            && matches!(message, ServerMessage::GuildInvited { by: 1, .. }))
    );
    let accept = GuildRequest::AnswerInvite {
        guild,
        accept: true,
    };
    let said = settle(&mut app, &[(b, accept.clone())]);
    assert_eq!(guild_of(&mut app, b), Some(guild));
    let joined = GuildChange::Joined {
        player_id: 2,
        by: 1,
    };
    assert!(changes(&said, a).contains(&joined), "{said:?}");
    // The invitation is used up.
    let c = player(&mut app, 3, 0);
    let stolen = GuildRequest::AnswerInvite {
        guild,
        accept: true,
    };
    let said = settle(&mut app, &[(c, stolen)]);
    assert_eq!(refusals(&said, c), vec![GuildRefusal::NoInvitation]);
}

#[test]
fn officers_manage_members_but_not_officers_and_only_the_leader_promotes() {
    let mut app = app(settings());
    let a = player(&mut app, 1, 100);
    // Player 4 is online, to be invited.
    let [b, c, _] = [2, 3, 4].map(|id| player(&mut app, id, 0));
    founded(&mut app, a, &[(b, 2), (c, 3)]);
    let said = settle(&mut app, &[(b, GuildRequest::Kick { player_id: 3 })]);
    assert_eq!(refusals(&said, b), vec![GuildRefusal::NotAllowed]);
    let said = settle(&mut app, &[(b, GuildRequest::Promote { player_id: 3 })]);
    assert_eq!(refusals(&said, b), vec![GuildRefusal::NotAllowed]);
    settle(&mut app, &[(a, GuildRequest::Promote { player_id: 2 })]);
    assert_eq!(
        state(&mut app, "Iron Wolves").role_of(2),
        Some(GuildRole::Officer)
    );
    let said = settle(&mut app, &[(b, GuildRequest::Invite { player_id: 4 })]);
    assert!(refusals(&said, b).is_empty());
    let said = settle(&mut app, &[(b, GuildRequest::Kick { player_id: 1 })]);
    assert_eq!(refusals(&said, b), vec![GuildRefusal::NotAllowed]);
    let said = settle(&mut app, &[(b, GuildRequest::Kick { player_id: 3 })]);
    assert!(refusals(&said, b).is_empty());
    assert_eq!(
        guild_of(&mut app, c),
        None,
        "a kicked member's membership ends"
    );
    assert!(changes(&said, c).contains(&GuildChange::Kicked {
        player_id: 3,
        by: 2
    }));
    let said = settle(&mut app, &[(a, GuildRequest::Demote { player_id: 3 })]);
    assert_eq!(refusals(&said, a), vec![GuildRefusal::NoSuchPlayer]);
}

#[test]
fn a_leader_hands_over_before_leaving_and_a_lone_leader_leaving_disbands() {
    let mut app = app(settings());
    let a = player(&mut app, 1, 200);
    let b = player(&mut app, 2, 0);
    founded(&mut app, a, &[(b, 2)]);
    let said = settle(&mut app, &[(a, GuildRequest::Leave)]);
    assert_eq!(refusals(&said, a), vec![GuildRefusal::LeaderMustTransfer]);
    settle(
        &mut app,
        &[(a, GuildRequest::TransferLeadership { player_id: 2 })],
    );
    let guild = state(&mut app, "Iron Wolves");
    assert_eq!(guild.leader(), Some(2));
    assert_eq!(guild.role_of(1), Some(GuildRole::Officer));
    let said = settle(&mut app, &[(a, GuildRequest::Disband)]);
    assert_eq!(refusals(&said, a), vec![GuildRefusal::NotAllowed]);
    settle(&mut app, &[(a, GuildRequest::Leave)]);
    assert_eq!(guild_of(&mut app, a), None);
    settle(&mut app, &[(b, GuildRequest::Leave)]);
    assert_eq!(guild_of(&mut app, b), None);
    assert!(
        !state(&mut app, "Iron Wolves").exists(),
        "disbanded: the name is free"
    );
    let said = settle(&mut app, &[(a, create("iron wolves"))]);
    assert!(refusals(&said, a).is_empty(), "{said:?}");
}

#[test]
fn disbanding_ends_every_online_membership_and_tells_everyone() {
    let mut app = app(settings());
    let a = player(&mut app, 1, 100);
    let [b, c] = [2, 3].map(|id| player(&mut app, id, 0));
    founded(&mut app, a, &[(b, 2), (c, 3)]);
    let said = settle(&mut app, &[(a, GuildRequest::Disband)]);
    for member in [a, b, c] {
        assert_eq!(guild_of(&mut app, member), None);
        assert_eq!(
            changes(&said, member),
            vec![GuildChange::Disbanded { by: 1 }]
        );
        assert!(app.world().get::<GuildMemberOf>(member).is_none());
    }
}

#[test]
fn a_banned_player_cannot_join_until_unbanned_and_a_full_guild_takes_nobody() {
    let mut app = app(GuildSettings {
        max_members: 2,
        ..settings()
    });
    let a = player(&mut app, 1, 100);
    let [b, c] = [2, 3].map(|id| player(&mut app, id, 0));
    let guild = founded(&mut app, a, &[]);
    settle(&mut app, &[(a, GuildRequest::Ban { player_id: 2 })]);
    let said = settle(&mut app, &[(a, GuildRequest::Invite { player_id: 2 })]);
    assert_eq!(refusals(&said, a), vec![GuildRefusal::Banned]);
    let said = settle(&mut app, &[(b, GuildRequest::Apply { guild })]);
    assert_eq!(refusals(&said, b), vec![GuildRefusal::Banned]);
    settle(&mut app, &[(a, GuildRequest::Unban { player_id: 2 })]);
    let said = settle(&mut app, &[(b, GuildRequest::Apply { guild })]);
    assert!(said.iter().any(|(to, message)| *to == a
        && matches!(message, ServerMessage::GuildApplied { player_id: 2, .. })));
    let answer = GuildRequest::AnswerApplication {
        player_id: 2,
        accept: true,
    };
    settle(&mut app, &[(a, answer)]);
    assert_eq!(guild_of(&mut app, b), Some(guild));
    let said = settle(&mut app, &[(a, GuildRequest::Invite { player_id: 3 })]);
    assert_eq!(refusals(&said, a), vec![GuildRefusal::Full]);
    let said = settle(&mut app, &[(c, GuildRequest::Apply { guild: 99 })]);
    assert_eq!(refusals(&said, c), vec![GuildRefusal::NoSuchGuild]);
}

#[test]
fn chat_reaches_members_online_is_limited_and_stops_for_a_kicked_member() {
    let mut app = app(settings());
    let a = player(&mut app, 1, 100);
    let [b, c] = [2, 3].map(|id| player(&mut app, id, 0));
    founded(&mut app, a, &[(b, 2)]);
    let chat = |text: &str| GuildRequest::Chat { text: text.into() };
    let said = settle(&mut app, &[(a, chat("hello"))]);
    let heard = |said: &[(Entity, ServerMessage)], who: Entity| {
        said.iter()
            .filter(|(to, message)| {
                *to == who && matches!(message, ServerMessage::GuildChat { .. })
            })
            .count()
    };
    assert_eq!(
        (heard(&said, a), heard(&said, b), heard(&said, c)),
        (1, 1, 0)
    );
    let said = settle(&mut app, &[(a, chat("")), (a, chat(&"x".repeat(257)))]);
    assert_eq!(
        refusals(&said, a),
        vec![GuildRefusal::ChatTooLong, GuildRefusal::ChatTooLong]
    );
    let said = settle(&mut app, &[(a, chat("2")), (a, chat("3")), (a, chat("4"))]);
    assert_eq!(refusals(&said, a), vec![GuildRefusal::ChatTooFast]);
    settle(&mut app, &[(a, GuildRequest::Kick { player_id: 2 })]);
    let said = settle(&mut app, &[(a, GuildRequest::Chat { text: "bye".into() })]);
    assert_eq!(refusals(&said, a), vec![GuildRefusal::ChatTooFast]);
    // A member who joins hears the kept history: the last two lines.
    settle(&mut app, &[(a, GuildRequest::Invite { player_id: 3 })]);
    let guild = guild_id_of("Iron Wolves");
    let said = settle(
        &mut app,
        &[(
            c,
            GuildRequest::AnswerInvite {
                guild,
                accept: true,
            },
        )],
    );
    let history = said.iter().find_map(|(to, message)| match message {
        ServerMessage::GuildChat { lines, .. } if *to == c => Some(lines.clone()),
        _ => None,
    });
    let texts: Vec<String> = history
        .expect("history")
        .into_iter()
        .map(|line| line.text)
        .collect();
    assert_eq!(texts, vec!["2", "3"]);
    let said = tick(&mut app, &[(b, chat("still here?"))]);
    assert_eq!(refusals(&said, b), vec![GuildRefusal::NotInGuild]);
}

#[test]
fn a_membership_the_guild_no_longer_holds_is_ended_when_its_player_comes_online() {
    let mut app = app(settings());
    let a = player(&mut app, 1, 100);
    let guild = founded(&mut app, a, &[]);
    // Player 5 was kicked while away: its stored membership still names the guild.
    let away = app
        .world_mut()
        .spawn((PlayerId(5), Membership::in_guild(guild)))
        .id();
    let said = settle(&mut app, &[]);
    assert_eq!(guild_of(&mut app, away), None);
    assert!(app.world().get::<GuildMemberOf>(away).is_none());
    assert!(said.iter().all(|(to, _)| *to != away));
    // A member coming online is linked, told the guild, and its guild hears it.
    let back = app
        .world_mut()
        .spawn((PlayerId(1), Membership::in_guild(guild)))
        .id();
    app.world_mut().despawn(a);
    let said = settle(&mut app, &[]);
    assert!(app.world().get::<GuildMemberOf>(back).is_some());
    assert!(
        said.iter()
            .any(|(to, message)| *to == back && matches!(message, ServerMessage::Guild(_)))
    );
}

fn deposit(wood: u32, coins: u64) -> GuildRequest {
    GuildRequest::Deposit {
        stacks: vec![("wood".into(), wood)],
        instances: Vec::new(),
        currencies: vec![("coins".into(), coins)],
    }
}

fn withdraw(wood: u32, coins: u64) -> GuildRequest {
    GuildRequest::Withdraw {
        stacks: (wood > 0)
            .then(|| ("wood".to_owned(), wood))
            .into_iter()
            .collect(),
        instances: Vec::new(),
        currencies: (coins > 0)
            .then(|| ("coins".to_owned(), coins))
            .into_iter()
            .collect(),
    }
}

#[test]
fn members_deposit_and_withdraw_up_to_their_role_s_daily_limit() {
    let mut app = app(GuildSettings {
        bank_daily_limit_member: 10,
        bank_daily_limit_officer: 30,
        ..settings()
    });
    app.insert_resource(CalendarDay(100));
    let a = player(&mut app, 1, 200);
    let [b, c] = [2, 3].map(|id| player(&mut app, id, 50));
    founded(&mut app, a, &[(b, 2), (c, 3)]);
    let said = settle(&mut app, &[(b, deposit(5, 40))]);
    assert!(refusals(&said, b).is_empty(), "{said:?}");
    let bank = state(&mut app, "Iron Wolves").bank().clone();
    assert_eq!((bank.stacks["wood"], bank.currencies["coins"]), (5, 40));
    assert_eq!(coins(&app, b), 10);
    let told = GuildChange::BankDeposited {
        player_id: 2,
        moved: arbiter_components::protocol::BankView {
            stacks: vec![("wood".into(), 5)],
            instances: Vec::new(),
            currencies: vec![("coins".into(), 40)],
        },
    };
    assert!(
        changes(&said, a).contains(&told),
        "every member online hears it"
    );
    // What it does not hold, it cannot deposit.
    let said = settle(&mut app, &[(b, deposit(1, 11))]);
    assert_eq!(
        refusals(&said, b),
        vec![GuildRefusal::Items(InventoryError::InsufficientFunds)]
    );
    // A member may take 10 units a day: 6 now, then 4, then nothing more today.
    settle(&mut app, &[(c, withdraw(1, 5))]);
    settle(&mut app, &[(c, withdraw(0, 4))]);
    let said = settle(&mut app, &[(c, withdraw(0, 1))]);
    assert_eq!(
        refusals(&said, c),
        vec![GuildRefusal::OverDailyLimit { left: 0 }]
    );
    assert_eq!(coins(&app, c), 59);
    // A new day, a new limit; an officer's is higher; the bank cannot give what it lacks.
    app.insert_resource(CalendarDay(101));
    settle(&mut app, &[(c, withdraw(0, 10))]);
    settle(&mut app, &[(a, GuildRequest::Promote { player_id: 2 })]);
    let said = settle(&mut app, &[(b, withdraw(0, 25))]);
    assert_eq!(refusals(&said, b), vec![GuildRefusal::BankShort]);
    let said = settle(&mut app, &[(b, withdraw(4, 21))]);
    assert!(refusals(&said, b).is_empty(), "{said:?}");
    assert!(state(&mut app, "Iron Wolves").bank().is_empty());
}

#[test]
fn a_guild_with_anything_in_its_bank_is_not_disbanded() {
    let mut app = app(settings());
    let a = player(&mut app, 1, 200);
    founded(&mut app, a, &[]);
    settle(&mut app, &[(a, deposit(1, 1))]);
    let said = settle(
        &mut app,
        &[(a, GuildRequest::Disband), (a, GuildRequest::Leave)],
    );
    assert_eq!(
        refusals(&said, a),
        vec![GuildRefusal::BankNotEmpty, GuildRefusal::BankNotEmpty]
    );
    settle(&mut app, &[(a, withdraw(1, 1))]);
    let said = settle(&mut app, &[(a, GuildRequest::Disband)]);
    assert!(refusals(&said, a).is_empty());
    assert!(!state(&mut app, "Iron Wolves").exists());
}

#[test]
fn a_member_whose_entity_leaves_is_told_to_the_others_as_gone_offline() {
    let mut app = app(settings());
    let a = player(&mut app, 1, 100);
    let b = player(&mut app, 2, 0);
    founded(&mut app, a, &[(b, 2)]);
    app.world_mut().despawn(b);
    let said = settle(&mut app, &[]);
    let offline = GuildChange::Online {
        player_id: 2,
        online: false,
    };
    assert_eq!(changes(&said, a), vec![offline]);
    // A kick is told as a kick, not as going offline.
    let c = player(&mut app, 3, 0);
    settle(&mut app, &[(a, GuildRequest::Invite { player_id: 3 })]);
    let guild = guild_id_of("Iron Wolves");
    let accept = GuildRequest::AnswerInvite {
        guild,
        accept: true,
    };
    settle(&mut app, &[(c, accept)]);
    let said = settle(&mut app, &[(a, GuildRequest::Kick { player_id: 3 })]);
    let kicked = GuildChange::Kicked {
        player_id: 3,
        by: 1,
    };
    assert_eq!(changes(&said, a), vec![kicked]);
}
