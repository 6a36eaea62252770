//! Concurrent misses for one key share one load: the first caller loads, the others wait for its
//! result instead of reading the database again.

use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// Loads in flight, by key.
#[derive(Debug)]
pub(super) struct SingleFlight<K, V> {
    inflight: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K, V> Default for SingleFlight<K, V> {
    fn default() -> Self {
        Self {
            inflight: Mutex::default(),
        }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> SingleFlight<K, V> {
    /// `load`'s result for `key`, loading only if no load for `key` is in flight.
    pub(super) async fn run<F, Fut>(&self, key: K, load: F) -> V
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = V>,
    {
        let cell = self
            .lock()
            .entry(key.clone())
            .or_insert_with(|| Arc::new(OnceCell::new()))
            .clone();
        let value = cell.get_or_init(load).await.clone();
        let mut inflight = self.lock();
        if inflight
            .get(&key)
            .is_some_and(|current| Arc::ptr_eq(current, &cell))
        {
            inflight.remove(&key);
        }
        value
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Arc<OnceCell<V>>>> {
        self.inflight
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_hundred_concurrent_misses_load_once() {
        let flights: Arc<SingleFlight<u64, u64>> = Arc::default();
        let loads = Arc::new(AtomicU32::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..100 {
            let (flights, loads) = (flights.clone(), loads.clone());
            tasks.spawn(async move {
                flights
                    .run(7, || async {
                        loads.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        49
                    })
                    .await
            });
        }
        while let Some(value) = tasks.join_next().await {
            assert_eq!(value.expect("task"), 49);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        // Once done, the next miss loads again.
        assert_eq!(flights.run(7, || async { 50 }).await, 50);
    }
}
