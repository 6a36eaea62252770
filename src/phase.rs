//! The phases of one tick as system sets: the one module every plugin orders itself by, so plugins
//! never name each other's systems.

use bevy_ecs::schedule::SystemSet;

/// The phases of one tick, in order. See the crate docs for the contract each phase keeps.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TickSystems {
    /// `First`, before time advances: apply a reloaded config.
    Config,
    /// `PreUpdate`: drain the transport.
    Receive,
    /// `PreUpdate`, after Receive: take in finished async work (loaded players, committed flushes).
    Load,
    /// `FixedUpdate`: the rules, one fixed step per tick.
    Simulate,
    /// `PostUpdate`, first: record the tick's changes on their owners and carry out the
    /// transfers they allow, so that what was settled is told in this tick's Send.
    Settle,
    /// `PostUpdate`, after Settle: snapshots and events to clients.
    Send,
    /// `PostUpdate`, after Send: tell the read side what changed (sessions, live matches).
    Publish,
    /// `PostUpdate`, after Publish: hand changed state to the async writer.
    Persist,
    /// `PostUpdate`, last: record metrics and the status board.
    Metrics,
    /// `Last`: hand the tick's datagrams to the send thread, once nothing else of the tick is
    /// left to run, so that its system calls never compete with the tick for the core.
    Dispatch,
}

/// The two steps of [`TickSystems::Config`], in order.
#[derive(SystemSet, Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ConfigSystems {
    /// Install the sections of a reloaded config as resources.
    Apply,
    /// Bring what lives outside the world in line with the sections that changed (the fixed
    /// timestep, the log filter), in the same tick.
    Sync,
}
