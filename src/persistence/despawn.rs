//! A player leaves the world only once everything it did is in the database.

use super::progress::Progress;
use crate::net::DespawnBlocker;
use arbiter_components::session::AwaitingReconnect;
use bevy_ecs::entity::Entity;
use bevy_ecs::query::{Has, With};
use bevy_ecs::system::{Commands, Query};

/// Disconnected players whose progress is loaded, and whether they are blocked now.
type Disconnected<'a> = (Entity, &'a Progress, Has<DespawnBlocker>);

/// Keeps a [`DespawnBlocker`] on exactly the disconnected players whose progress is not durable yet,
/// so that the network's reconnect grace period never despawns one before its progress is written.
/// Runs after the network has seen this tick's disconnects and before it expires anyone.
pub(super) fn block_despawn_until_durable(
    mut commands: Commands,
    disconnected: Query<Disconnected, With<AwaitingReconnect>>,
) {
    for (entity, progress, blocked) in &disconnected {
        match (progress.is_durable(), blocked) {
            (false, false) => {
                commands.entity(entity).insert(DespawnBlocker);
            }
            (true, true) => {
                commands.entity(entity).remove::<DespawnBlocker>();
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy_ecs::system::RunSystemOnce;
    use bevy_ecs::world::World;

    fn blocked(world: &World, entity: Entity) -> bool {
        world.get::<DespawnBlocker>(entity).is_some()
    }

    #[test]
    fn a_disconnected_player_is_blocked_until_its_progress_is_durable() {
        let mut world = World::new();
        let waiting = AwaitingReconnect { since_tick: 0 };
        let unsaved = world
            .spawn((Progress::registered(1, "one".into(), 0), waiting))
            .id();
        let connected = world.spawn(Progress::registered(2, "two".into(), 0)).id();
        let not_loaded = world.spawn(waiting).id();

        world
            .run_system_once(block_despawn_until_durable)
            .expect("runs");
        assert!(blocked(&world, unsaved));
        assert!(!blocked(&world, connected), "only disconnected players");
        assert!(!blocked(&world, not_loaded), "nothing to wait for");

        let version = world
            .get::<Progress>(unsaved)
            .expect("progress")
            .record()
            .version;
        world
            .get_mut::<Progress>(unsaved)
            .expect("progress")
            .confirm_durable(version);
        world
            .run_system_once(block_despawn_until_durable)
            .expect("runs");
        assert!(!blocked(&world, unsaved), "durable: free to go");
    }
}
