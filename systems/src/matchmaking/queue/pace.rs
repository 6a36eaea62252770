//! How fast a bucket's tickets widen their search: by the population seen around it.
//!
//! Each bucket counts the seats that enter it, as a rate averaged over the last
//! [`RATE_WINDOW_TARGETS`] target waits (exponentially, so a quiet night and an evening burst both
//! show within minutes). A bucket's *speed* is how many buckets its tickets' radius gains per
//! expansion interval: 1 where enough players arrive nearby to fill a match within the target wait
//! at the plain pace, more where they do not — just enough that the radius reaching that population
//! is reached by the target wait. Dense skill ranges keep tight matches; sparse ones stop timing out.
//!
//! All tickets of a bucket share its speed at any moment, so an older ticket never has a smaller
//! radius than a younger one beside it — the order the queue's counts rely on.

use super::QueueParams;

/// Rates are averaged over this many target waits.
const RATE_WINDOW_TARGETS: f64 = 30.0;

/// What the queue remembers of a bucket's population, kept while the bucket is empty too.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct BucketPace {
    /// Seats entering per tick, as of `rate_tick`.
    rate: f64,
    rate_tick: u64,
    /// The speed this bucket's own neighbourhood needs ([`need`]); 0 until computed.
    need: u32,
    /// Buckets of radius per expansion interval: the largest need of a bucket whose window (the
    /// radius it reaches by the target wait) covers this one, its own included; 0 until computed.
    pub(super) speed: u32,
    speed_tick: u64,
}

impl BucketPace {
    /// Counts `seats` entering at `now`.
    pub(super) fn record(&mut self, seats: u32, now: u64, target_wait_ticks: u64) {
        let window = rate_window(target_wait_ticks);
        self.rate = self.rate_at(now, window) + f64::from(seats) / window;
        self.rate_tick = self.rate_tick.max(now);
    }

    /// Whether the speed is older than `every` ticks (or was never computed).
    pub(super) fn stale(&self, now: u64, every: u64) -> bool {
        self.speed == 0 || now.saturating_sub(self.speed_tick) >= every
    }

    pub(super) fn set_speed(&mut self, need: u32, speed: u32, now: u64) {
        self.need = need.max(1);
        self.speed = speed.max(self.need);
        self.speed_tick = now;
    }

    /// This bucket's own need, when its window at the target wait reaches `distance`.
    pub(super) fn need_reaching(&self, distance: u32, params: &QueueParams) -> u32 {
        let reach = u64::from(self.need) * intervals_in_target(params);
        if u64::from(distance) <= reach {
            self.need
        } else {
            0
        }
    }

    /// Seats entering per tick at `now`, decayed since the last arrival.
    pub(super) fn rate(&self, now: u64, target_wait_ticks: u64) -> f64 {
        self.rate_at(now, rate_window(target_wait_ticks))
    }

    fn rate_at(&self, now: u64, window: f64) -> f64 {
        let elapsed = now.saturating_sub(self.rate_tick) as f64;
        self.rate * (-elapsed / window).exp()
    }
}

fn rate_window(target_wait_ticks: u64) -> f64 {
    RATE_WINDOW_TARGETS * target_wait_ticks.max(1) as f64
}

/// What the rates are multiplied by when the queue has watched arrivals for only `observed` ticks:
/// an average over a window not yet filled would read as a population that is not there (and widen
/// every ticket of a fresh server as if it were alone). At least a target wait counts as watched.
pub(super) fn warm_up_factor(observed: u64, target_wait_ticks: u64) -> f64 {
    let watched = observed.max(target_wait_ticks.max(1)) as f64;
    1.0 / (1.0 - (-watched / rate_window(target_wait_ticks)).exp())
}

/// The speed a bucket needs under `params` whose neighbours at distance `d` (0 is itself) see
/// `rate(d)` seats per tick, summed over both sides: the smallest that reaches, by the target wait,
/// a radius within which a match's seats are expected to arrive in that time. 1 without a target.
pub(super) fn need(params: &QueueParams, rate: impl Fn(u32) -> f64) -> u32 {
    if params.target_wait_ticks == 0 || params.max_radius == 0 {
        return 1;
    }
    let target = params.target_wait_ticks as f64;
    let mut expected = 0.0;
    let needed_radius = (0..=params.max_radius)
        .find(|&distance| {
            expected += rate(distance) * target;
            expected >= f64::from(params.match_size)
        })
        .unwrap_or(params.max_radius);
    (u64::from(needed_radius).div_ceil(intervals_in_target(params)))
        .clamp(1, u64::from(params.max_radius)) as u32
}

/// Expansion intervals within the target wait (at least 1).
fn intervals_in_target(params: &QueueParams) -> u64 {
    (params.target_wait_ticks / params.expand_every_ticks.max(1)).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAMS: QueueParams = QueueParams {
        bucket_width: 100,
        match_size: 10,
        expand_every_ticks: 50,
        max_radius: 10,
        timeout_ticks: 3600,
        target_wait_ticks: 200,
    };

    #[test]
    fn a_bucket_whose_own_arrivals_fill_a_match_in_the_target_wait_keeps_the_plain_speed() {
        assert_eq!(
            need(&PARAMS, |distance| if distance == 0 { 0.1 } else { 0.0 }),
            1
        );
    }

    #[test]
    fn a_sparse_bucket_widens_fast_enough_to_reach_a_match_worth_of_arrivals_by_the_target_wait() {
        // 0.005 seats per tick per bucket: 1 seat per bucket in the target wait of 200 ticks, so
        // a match of 10 needs the bucket and its neighbours out to distance 5 on both sides (11
        // buckets); 4 intervals fit in the target wait, so 2 buckets per interval.
        let rate = |distance: u32| if distance == 0 { 0.005 } else { 0.01 };
        assert_eq!(need(&PARAMS, rate), 2);
    }

    #[test]
    fn an_empty_neighbourhood_widens_to_the_maximum_in_one_interval_at_most_within_the_target() {
        assert_eq!(need(&PARAMS, |_| 0.0), 3);
    }

    #[test]
    fn without_a_target_wait_every_bucket_widens_at_the_plain_speed() {
        let params = QueueParams {
            target_wait_ticks: 0,
            ..PARAMS
        };
        assert_eq!(need(&params, |_| 0.0), 1);
    }

    #[test]
    fn a_steady_stream_reads_as_its_rate_from_the_first_target_wait_on() {
        let mut pace = BucketPace::default();
        for tick in (10..=200).step_by(10) {
            pace.record(1, tick, 200);
        }
        let corrected = pace.rate(200, 200) * warm_up_factor(200, 200);
        assert!((corrected - 0.1).abs() < 0.01, "{corrected}");
        assert!((warm_up_factor(1_000_000, 200) - 1.0).abs() < 1e-9);
    }

    #[test]
    fn the_rate_decays_over_the_window_and_adds_each_arrival() {
        let mut pace = BucketPace::default();
        pace.record(10, 100, 20);
        let fresh = pace.rate(100, 20);
        assert!((fresh - 10.0 / 600.0).abs() < 1e-12, "{fresh}");
        let later = pace.rate(700, 20);
        assert!((later - fresh * (-1.0f64).exp()).abs() < 1e-12, "{later}");
        pace.record(1, 700, 20);
        assert!((pace.rate(700, 20) - (later + 1.0 / 600.0)).abs() < 1e-12);
    }
}
