//! Finding systems of a schedule that conflict in what they access but have no order between them:
//! their order would be arbitrary, and the simulation would not be deterministic.

use bevy_app::App;
use bevy_ecs::schedule::{LogLevel, ScheduleBuildSettings, ScheduleLabel, Schedules};

/// Builds `label`'s schedule with ambiguity detection on. `Err` lists every pair of systems that
/// conflict without an order, with what they conflict on.
pub fn check_ambiguities(app: &mut App, label: impl ScheduleLabel + Clone) -> Result<(), String> {
    let world = app.world_mut();
    let Some(mut schedule) = world.resource_mut::<Schedules>().remove(label.clone()) else {
        return Err(format!("no schedule {label:?}"));
    };
    schedule.set_build_settings(ScheduleBuildSettings {
        ambiguity_detection: LogLevel::Error,
        ..ScheduleBuildSettings::default()
    });
    let result = match schedule.initialize(world) {
        Ok(_) => Ok(()),
        Err(error) => Err(error.to_string(schedule.graph(), world)),
    };
    world.resource_mut::<Schedules>().insert(schedule);
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use bevy_app::FixedUpdate;
    use bevy_ecs::resource::Resource;
    use bevy_ecs::schedule::IntoScheduleConfigs;
    use bevy_ecs::system::ResMut;

    #[derive(Resource, Default)]
    struct Counter(u32);

    fn double(mut counter: ResMut<Counter>) {
        counter.0 *= 2;
    }

    fn increment(mut counter: ResMut<Counter>) {
        counter.0 += 1;
    }

    #[test]
    fn two_writers_without_an_order_are_reported_and_ordered_ones_are_not() {
        let mut app = App::new();
        app.init_resource::<Counter>()
            .add_systems(FixedUpdate, (double, increment));
        let error = check_ambiguities(&mut app, FixedUpdate).expect_err("ambiguous");
        assert!(
            error.contains("double") && error.contains("increment"),
            "{error}"
        );

        let mut app = App::new();
        app.init_resource::<Counter>()
            .add_systems(FixedUpdate, (double, increment).chain());
        assert_eq!(check_ambiguities(&mut app, FixedUpdate), Ok(()));
    }
}
