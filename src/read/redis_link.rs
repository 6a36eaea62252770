//! One Redis connection shared by the read side: multiplexed, reconnecting by itself, with short
//! timeouts so that a Redis outage turns into a fast fallback rather than a slow request.

use crate::telemetry::metrics::REDIS_UP;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{FromRedisValue, RedisError};
use std::time::Duration;

/// How long a Redis call may take before the read side falls back.
const RESPONSE_TIMEOUT: Duration = Duration::from_millis(250);

#[derive(Clone)]
pub struct RedisLink {
    manager: ConnectionManager,
}

impl std::fmt::Debug for RedisLink {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("RedisLink")
    }
}

impl RedisLink {
    /// Prepares the connection without connecting: Redis may be down now and come up later. Call
    /// inside the runtime.
    pub fn lazy(url: &str) -> Result<Self, RedisError> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_response_timeout(Some(RESPONSE_TIMEOUT))
            .set_connection_timeout(Some(RESPONSE_TIMEOUT))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        Ok(Self {
            manager: ConnectionManager::new_lazy_with_config(client, config)?,
        })
    }

    /// Runs one command; keeps `arbiter_redis_up` current.
    pub async fn command<T: FromRedisValue>(&self, command: &redis::Cmd) -> Result<T, RedisError> {
        let mut connection = self.manager.clone();
        up(command.query_async(&mut connection).await)
    }

    /// Runs a Lua script (by its hash, loading it on first use); keeps `arbiter_redis_up` current.
    pub async fn script<T: FromRedisValue>(
        &self,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T, RedisError> {
        let mut connection = self.manager.clone();
        up(invocation.invoke_async(&mut connection).await)
    }

    /// Runs a pipeline in one round trip; keeps `arbiter_redis_up` current.
    pub async fn pipeline<T: FromRedisValue>(
        &self,
        pipeline: &redis::Pipeline,
    ) -> Result<T, RedisError> {
        let mut connection = self.manager.clone();
        up(pipeline.query_async(&mut connection).await)
    }
}

fn up<T>(result: Result<T, RedisError>) -> Result<T, RedisError> {
    metrics::gauge!(REDIS_UP).set(if result.is_ok() { 1.0 } else { 0.0 });
    result
}
