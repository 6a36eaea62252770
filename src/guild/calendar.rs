//! The day the bank's daily limits count in: the rules have no clock, so the server tells them
//! the UTC day, days since the Unix epoch, every tick.

use arbiter_components::guild::CalendarDay;
use bevy_ecs::system::ResMut;

const SECONDS_PER_DAY: u64 = 86_400;

pub(super) fn track_calendar_day(mut day: ResMut<CalendarDay>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs() / SECONDS_PER_DAY);
    let today = CalendarDay(u32::try_from(now).unwrap_or(u32::MAX));
    if *day != today {
        *day = today;
    }
}
