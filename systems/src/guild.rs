//! Guilds in the world. A guild is an entity named by [`GuildId`]; it is ready once its stored
//! [`Guild`](arbiter_components::guild::Guild) has arrived (the shell loads it: an entity
//! spawned with only its id is loading).
//! Online members are linked to it by [`GuildMemberOf`]; invitations and applications live on its
//! [`GuildDesk`] while it is in the world; its chat history is part of the stored guild.
//!
//! Most operations change only the guild: the rules apply them here and announce them as
//! [`GuildApplied`] (the shell records them in the guild's log). Founding, joining and the bank
//! change the guild and the player together — the guild on one shard, the player's
//! [`Membership`], payment or items on another — so the rules hand them to the shell as
//! [`GuildTransfer`], which moves both sides as one transfer and answers with
//! [`GuildTransferred`] or [`GuildTransferFailed`] before [`GuildAnswers`], where the rules
//! tell it in the same tick.

mod bank;
mod chat;
mod joining;
mod presence;
mod requests;
mod tell;

pub use chat::ChatWindow;
pub use joining::{finish_transfers, serve_waiting_requests};
pub use presence::{link_online_members, tell_member_offline};
pub use requests::handle_guild_requests;
pub use tell::{GuildNews, tell_guild_members};

use crate::phases::SimulationSystems;
use arbiter_components::config::GuildSettings;
use arbiter_components::guild::{
    CalendarDay, GuildEvent, GuildRefusal, GuildRequest, GuildRequested, Membership,
    MembershipEvent,
};
use arbiter_components::inventory::{Inventory, Wallet};
use arbiter_components::items::Catalog;
use arbiter_components::messages::Outbound;
use arbiter_components::player::PlayerId;
use arbiter_components::tick::{ServerTick, TickRate};
use bevy_app::{App, FixedUpdate, Plugin, PostUpdate};
use bevy_ecs::component::Component;
use bevy_ecs::entity::Entity;
use bevy_ecs::message::Message;
use bevy_ecs::resource::Resource;
use bevy_ecs::schedule::{IntoScheduleConfigs, SystemSet};
use std::collections::HashMap;

/// Where the rules end the transfers the shell answered and tell the tick's guild news: in
/// `PostUpdate`, after the rules' step, so that the shell can carry out the tick's transfers
/// (once their changes are recorded) before it and their answers leave in the same tick.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GuildAnswers;

/// A guild entity's id (its stored object's id).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GuildId(pub u64);

/// An online player's link to its guild's entity (its membership checked against the guild).
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
#[component(storage = "SparseSet")]
#[relationship(relationship_target = OnlineMembers)]
pub struct GuildMemberOf(pub Entity);

/// On a guild entity: its members in the world, kept in step with their [`GuildMemberOf`] by bevy.
#[derive(Component, Debug, Default, PartialEq, Eq)]
#[relationship_target(relationship = GuildMemberOf)]
pub struct OnlineMembers(Vec<Entity>);

impl OnlineMembers {
    pub fn iter(&self) -> impl Iterator<Item = Entity> + '_ {
        self.0.iter().copied()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// On a player whose founding or joining is with the shell: it cannot start another.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq)]
#[component(storage = "SparseSet")]
pub struct JoiningGuild;

/// What a guild keeps in the world only: waiting invitations and applications, the joins under
/// way, and when it was last used (the shell unloads idle guilds). Its chat is stored with it.
#[derive(Component, Debug, Default, Clone, PartialEq, Eq)]
pub struct GuildDesk {
    /// `(invited player, inviter, expiry tick)`.
    pub invitations: Vec<(u64, u64, u64)>,
    /// `(applicant, expiry tick)`.
    pub applications: Vec<(u64, u64)>,
    /// Foundings and joins handed to the shell and not answered yet: they count as members
    /// against the size limit, and a founding under way makes the name taken.
    pub joins_under_way: u32,
    pub last_used_tick: u64,
}

/// Every guild entity in the world (ready or loading), by id.
#[derive(Resource, Debug, Default)]
pub struct GuildDirectory(pub HashMap<u64, Entity>);

impl GuildDirectory {
    /// The entity of guild `id`, spawned (loading, used at tick `now`) if it is not in the world.
    pub fn entity_of(
        &mut self,
        commands: &mut bevy_ecs::system::Commands,
        id: u64,
        now: u64,
    ) -> Entity {
        *self.0.entry(id).or_insert_with(|| {
            let desk = GuildDesk {
                last_used_tick: now,
                ..GuildDesk::default()
            };
            commands.spawn((GuildId(id), desk)).id()
        })
    }
}

/// A guild request refused, for the player's client.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct GuildRefused {
    pub player: Entity,
    pub request: GuildRequest,
    pub reason: GuildRefusal,
}

/// The rules applied `event` to guild `id`'s stored guild this tick.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct GuildApplied {
    pub guild: Entity,
    pub id: u64,
    pub event: GuildEvent,
}

/// The rules applied `event` to the player's [`Membership`] this tick.
#[derive(Message, Debug, Clone, Copy, PartialEq, Eq)]
pub struct MembershipApplied {
    pub player: Entity,
    pub event: MembershipEvent,
}

/// For the shell: `event` of guild `guild` (id `id`) and its share for `player` — a founding or
/// a join (the player's membership, and `price` paid), a deposit (the player gives what the
/// guild gets) or a withdrawal (the other way) — both sides together or not at all.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct GuildTransfer {
    pub player: Entity,
    pub guild: Entity,
    pub id: u64,
    pub event: GuildEvent,
    /// `(currency, amount)` the player pays (a founding).
    pub price: Option<(String, u64)>,
    /// What the player asked, to refuse it by if the transfer fails.
    pub request: GuildRequest,
}

impl GuildTransfer {
    /// Whether it adds the player to the guild (a founding or a join), rather than moving bank
    /// contents.
    pub fn is_join(&self) -> bool {
        is_join(&self.event)
    }
}

/// Whether `event` adds a member (a founding or a join).
pub fn is_join(event: &GuildEvent) -> bool {
    matches!(
        event,
        GuildEvent::GuildFounded { .. } | GuildEvent::GuildJoined { .. }
    )
}

/// From the shell: the transfer happened; both sides hold it.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct GuildTransferred {
    pub player: Entity,
    pub guild: Entity,
    pub id: u64,
    pub event: GuildEvent,
}

/// From the shell: the transfer did not happen; nothing moved.
#[derive(Message, Debug, Clone, PartialEq, Eq)]
pub struct GuildTransferFailed {
    pub player: Entity,
    pub guild: Entity,
    pub event: GuildEvent,
    pub request: GuildRequest,
    pub reason: GuildRefusal,
}

/// Requests, then joins waiting for their guild, then the transfers the shell finished, then the news
/// to clients, in the Economy phase; every player carries its membership and its chat window.
#[derive(Debug, Default)]
pub struct GuildPlugin;

impl Plugin for GuildPlugin {
    fn build(&self, app: &mut App) {
        // The bank reads what players hold; the economy's plugin may have required these already.
        let _ = app.try_register_required_components::<PlayerId, Inventory>();
        let _ = app.try_register_required_components::<PlayerId, Wallet>();
        app.register_required_components::<PlayerId, Membership>()
            .register_required_components::<PlayerId, ChatWindow>()
            .init_resource::<GuildSettings>()
            .init_resource::<Catalog>()
            .init_resource::<CalendarDay>()
            .init_resource::<GuildDirectory>()
            .init_resource::<joining::WaitingForGuilds>()
            .init_resource::<ServerTick>()
            .init_resource::<TickRate>()
            .add_message::<GuildRequested>()
            .add_message::<GuildRefused>()
            .add_message::<GuildApplied>()
            .add_message::<MembershipApplied>()
            .add_message::<GuildTransfer>()
            .add_message::<GuildTransferred>()
            .add_message::<GuildTransferFailed>()
            .add_message::<GuildNews>()
            .add_message::<Outbound>()
            .add_observer(tell_member_offline)
            .add_systems(
                FixedUpdate,
                (
                    link_online_members,
                    handle_guild_requests,
                    serve_waiting_requests,
                )
                    .chain()
                    .in_set(SimulationSystems::Economy)
                    .after(crate::trade::tell_traders),
            )
            .add_systems(
                PostUpdate,
                (finish_transfers, tell_guild_members)
                    .chain()
                    .in_set(GuildAnswers),
            );
    }
}

#[cfg(test)]
mod tests;
