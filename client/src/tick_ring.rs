//! Values kept by tick for a span of ticks behind the newest, in slots: the value of tick `t` in
//! slot `t % span`. Finding a tick reads one slot, where a walk along a queue reads several; a
//! client's snapshots are looked up this way every frame, and a bot process does it for thousands
//! of clients, each one's memory cold by then.

#[derive(Debug)]
pub struct TickRing<T> {
    /// Each slot with the tick it holds, if any. Empty until the first value.
    slots: Vec<(Option<u64>, T)>,
    newest: Option<u64>,
    span: u64,
}

impl<T: Default> TickRing<T> {
    /// A ring that keeps the values of the `span` ticks up to the newest (at least one).
    pub fn new(span: u64) -> Self {
        Self {
            slots: Vec::new(),
            newest: None,
            span: span.max(1),
        }
    }

    /// The newest tick a value was kept for.
    pub fn newest(&self) -> Option<u64> {
        self.newest
    }

    /// Keeps `value` as the value of `tick` (replacing one kept for the same tick), unless it is a
    /// whole span or more behind the newest. Returns what it replaced in its slot (the value of a
    /// tick a span older, whose memory the caller may reuse), or `value` itself when it is not
    /// kept.
    pub fn insert(&mut self, tick: u64, value: T) -> T {
        let newest = self.newest.map_or(tick, |newest| newest.max(tick));
        self.newest = Some(newest);
        if !within(tick, newest, self.span) {
            return value;
        }
        if self.slots.is_empty() {
            self.slots = (0..self.span).map(|_| (None, T::default())).collect();
        }
        let slot = (tick % self.span) as usize;
        std::mem::replace(&mut self.slots[slot], (Some(tick), value)).1
    }

    /// The value of `tick`, if it is kept.
    pub fn get(&self, tick: u64) -> Option<&T> {
        let newest = self.newest?;
        let (held, value) = self.slots.get((tick % self.span) as usize)?;
        (*held == Some(tick) && within(tick, newest, self.span)).then_some(value)
    }

    /// The value of the newest kept tick at or before `tick`, with that tick. The first slot looked
    /// at holds it unless that tick's value never came.
    pub fn at_or_before(&self, tick: u64) -> Option<(u64, &T)> {
        let newest = self.newest?;
        let oldest = newest.saturating_sub(self.span - 1);
        (oldest..=tick.min(newest))
            .rev()
            .find_map(|held| self.get(held).map(|value| (held, value)))
    }

    /// Forgets every value and the newest tick (another server counts its own ticks).
    pub fn clear(&mut self) {
        self.slots.clear();
        self.newest = None;
    }

    /// The ticks kept, oldest first (what the tests check).
    #[cfg(test)]
    fn ticks(&self) -> Vec<u64> {
        let mut ticks: Vec<u64> = self
            .slots
            .iter()
            .filter_map(|(held, _)| held.filter(|tick| self.get(*tick).is_some()))
            .collect();
        ticks.sort_unstable();
        ticks
    }
}

/// Whether `tick` (at most `newest`) is less than a span behind `newest`.
fn within(tick: u64, newest: u64, span: u64) -> bool {
    tick <= newest && tick.saturating_add(span) > newest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_keeps_the_last_span_of_ticks_whatever_order_they_arrive_in() {
        let mut ring = TickRing::new(64);
        for tick in [3, 1, 2, 70, 66, 5, 200] {
            ring.insert(tick, tick);
            let newest = ring.newest().expect("a tick");
            let kept = ring.ticks();
            assert!(kept.iter().all(|kept| *kept + 64 > newest), "{kept:?}");
        }
        assert_eq!(ring.newest(), Some(200));
        assert_eq!(ring.ticks(), [200]);
        ring.insert(150, 150);
        ring.insert(199, 199);
        assert_eq!(ring.at_or_before(198), Some((150, &150)));
        assert_eq!(ring.at_or_before(100), None);
        // The same tick again replaces its value.
        assert_eq!(ring.insert(199, 7), 199);
        assert_eq!(ring.ticks(), [150, 199, 200]);
        assert_eq!(ring.get(199), Some(&7));
        ring.clear();
        assert_eq!((ring.newest(), ring.get(200)), (None, None));
    }

    #[test]
    fn a_missing_tick_is_passed_over_and_a_slot_a_lap_old_is_not_taken_for_it() {
        let mut ring = TickRing::new(64);
        for tick in [10, 70, 72] {
            ring.insert(tick, tick);
        }
        // 71 never came: the newest at or before it is 70.
        assert_eq!(ring.at_or_before(71), Some((70, &70)));
        // 74 shares 10's slot and hands back its value; 10 is no longer kept.
        assert_eq!(ring.insert(74, 74), 10);
        assert_eq!(ring.at_or_before(73), Some((72, &72)));
        assert_eq!(ring.at_or_before(11), None, "10 went a lap ago");
        // Too old to keep: handed back, and 102's slot (38's) untouched.
        ring.insert(102, 102);
        assert_eq!(ring.insert(38, 38), 38);
        assert_eq!(ring.ticks(), [70, 72, 74, 102]);
        // A tick at the end of time is no overflow.
        ring.insert(u64::MAX - 1, 1);
        assert_eq!(ring.ticks(), [u64::MAX - 1]);
    }
}
