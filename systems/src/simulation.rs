//! Every rule, as one plugin group.

use crate::anticheat::AntiCheatPlugin;
use crate::damage::DamagePlugin;
use crate::economy::EconomyPlugin;
use crate::guild::GuildPlugin;
use crate::input::InputPlugin;
use crate::lifecycle::MatchesPlugin;
use crate::matchmaking::MatchmakingPlugin;
use crate::movement::MovementPlugin;
use crate::party::PartyPlugin;
use crate::phases::PhasesPlugin;
use crate::shots::ShotsPlugin;
use crate::trade::TradePlugin;
use bevy_app::{PluginGroup, PluginGroupBuilder};

/// The rules: one plugin per rule module, each in its phase of [`crate::SimulationSystems`]. An
/// embedder can leave one out (`SimulationPlugins.build().disable::<AntiCheatPlugin>()`) or add its
/// own next to them.
#[derive(Debug, Default)]
pub struct SimulationPlugins;

impl PluginGroup for SimulationPlugins {
    fn build(self) -> PluginGroupBuilder {
        PluginGroupBuilder::start::<Self>()
            .add(PhasesPlugin)
            .add(InputPlugin)
            .add(MovementPlugin)
            .add(MatchmakingPlugin)
            .add(PartyPlugin)
            .add(EconomyPlugin)
            .add(TradePlugin)
            .add(GuildPlugin)
            .add(ShotsPlugin)
            .add(DamagePlugin)
            .add(AntiCheatPlugin)
            .add(MatchesPlugin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anticheat::Suspicion;
    use crate::shots::FireState;
    use arbiter_components::history::PositionHistory;
    use arbiter_components::input::{InputBuffer, InputCadenceAnomalies};
    use arbiter_components::kinematics::{MoveIntent, Position, Velocity};
    use arbiter_components::matchmaking::Rating;
    use arbiter_components::player::{Aim, Health, PlayerId, Stats};
    use bevy_app::App;

    #[test]
    fn a_player_id_alone_brings_every_rule_s_components() {
        let mut app = App::new();
        app.add_plugins(SimulationPlugins);
        let player = app.world_mut().spawn(PlayerId(5)).id();
        let entity = app.world().entity(player);
        assert!(entity.contains::<InputBuffer>() && entity.contains::<InputCadenceAnomalies>());
        assert!(entity.contains::<MoveIntent>() && entity.contains::<Aim>());
        assert!(entity.contains::<Position>() && entity.contains::<Velocity>());
        assert!(entity.contains::<PositionHistory>() && entity.contains::<Health>());
        assert!(entity.contains::<Rating>() && entity.contains::<Stats>());
        assert!(entity.contains::<FireState>() && entity.contains::<Suspicion>());
        assert_eq!(entity.get::<Health>(), Some(&Health::FULL));
    }

    #[test]
    fn no_two_rules_touch_the_same_data_without_an_order() {
        let mut app = App::new();
        app.add_plugins(SimulationPlugins);
        assert_eq!(
            crate::ambiguity::check_ambiguities(&mut app, bevy_app::FixedUpdate),
            Ok(())
        );
    }
}
