//! The connection's life: connect, update, poll, stats, reconnect, disconnect, free.
#![expect(
    unsafe_code,
    reason = "exported under C names; pointer arguments go through crate::raw"
)]

use crate::events::ArbiterEvent;
use crate::handles::{self, ArbiterHandle};
use crate::raw::{optional_arg, text_arg, write_out};
use crate::result::ArbiterResult;
use crate::session::Session;
use arbiter_client::token::decode_token;
use arbiter_client::{ArbiterClient, ClientError, LinkConditioner};
use std::ffi::c_char;
use std::time::Duration;

/// Base64 of a 2048-byte token is 2732 characters; a little room for whitespace around it.
const MAX_TOKEN_CHARS: usize = 4096;

/// The longest step `arbiter_update` takes, in seconds: a frame that long is a stall (a debugger,
/// a loading screen), and the connection's timers should not leap further.
const MAX_UPDATE_SECONDS: f64 = 10.0;

/// A simulated bad network for testing a game under lag: each datagram, in each direction, is
/// delayed by `latency_ms` ± `jitter_ms` and lost with probability `loss`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterLink {
    pub latency_ms: u32,
    pub jitter_ms: u32,
    /// 0 to 1.
    pub loss: f64,
    /// The same seed gives the same losses and delays.
    pub seed: u64,
}

/// Where a connection stands.
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArbiterState {
    Connecting = 0,
    Connected = 1,
    Disconnected = 2,
}

/// A connection's figures, from `arbiter_stats`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct ArbiterStats {
    pub state: ArbiterState,
    /// Round-trip time in milliseconds, as measured by the reliability layer.
    pub rtt_ms: f64,
    /// The player this connection is (0 until `WELCOME`).
    pub player_id: u64,
    /// The newest server tick heard of (`WELCOME`, snapshots).
    pub server_tick: u64,
    /// Events waiting for `arbiter_poll`.
    pub pending_events: u64,
    /// Events dropped because more than 4096 waited unpolled.
    pub dropped_events: u64,
    /// Server messages that could not be decoded (a version mismatch if ever non-zero).
    pub malformed_received: u64,
    /// Why the connection ended, when `state` is `DISCONNECTED` (see `ArbiterDisconnected`);
    /// otherwise "".
    pub disconnect_reason: *const c_char,
}

fn link_of(link: Option<ArbiterLink>) -> Result<Option<LinkConditioner>, ArbiterResult> {
    let Some(link) = link else { return Ok(None) };
    if !(0.0..=1.0).contains(&link.loss) {
        return Err(ArbiterResult::InvalidArgument);
    }
    Ok(Some(LinkConditioner::new(
        Duration::from_millis(link.latency_ms.into()),
        Duration::from_millis(link.jitter_ms.into()),
        link.loss,
        link.seed,
    )))
}

/// A new connection for `token`, through `link` when not null.
///
/// # Safety
/// `token` is a NUL-terminated string; `link` is null or points to an `ArbiterLink`.
unsafe fn client_for(
    token: *const c_char,
    link: *const ArbiterLink,
) -> Result<ArbiterClient, ArbiterResult> {
    // SAFETY: passed on under the caller's contract.
    let (token, link) = unsafe { (text_arg(token, MAX_TOKEN_CHARS)?, optional_arg(link)) };
    let token = decode_token(token.trim()).map_err(|_| ArbiterResult::BadToken)?;
    ArbiterClient::connect(token, link_of(link)?).map_err(|_| ArbiterResult::Socket)
}

/// Starts connecting with `token` (base64, from the game's login service, `POST /v1/tokens` or
/// `arbiter token`) on a fresh UDP socket, through `link` when not null, and writes the new
/// client's handle to `out`. The handle belongs to the calling thread.
///
/// # Safety
/// `token` is a NUL-terminated string; `link` is null or points to an `ArbiterLink`; `out` is null
/// or points to writable memory for a handle.
#[no_mangle]
pub unsafe extern "C" fn arbiter_connect(
    token: *const c_char,
    link: *const ArbiterLink,
    out: *mut ArbiterHandle,
) -> i32 {
    if out.is_null() {
        return ArbiterResult::NullArgument as i32;
    }
    // SAFETY: the caller guarantees `token` and `link` as `client_for` needs them.
    let result = std::panic::catch_unwind(|| unsafe { client_for(token, link) });
    match result {
        Ok(Ok(client)) => {
            let handle = handles::insert(Session::new(client));
            // SAFETY: `out` is not null, and the caller guarantees it is writable.
            unsafe { write_out(out, handle) as i32 }
        }
        Ok(Err(error)) => error as i32,
        Err(_) => ArbiterResult::Panic as i32,
    }
}

/// Advances the connection by `elapsed_seconds` (the frame's delta time): receives what arrived,
/// runs the handshake and keep-alives, queues events, and sends what the senders queued. Never
/// blocks. Call it once per frame, then `arbiter_poll` until it returns `ARBITER_RESULT_EMPTY`.
#[no_mangle]
pub extern "C" fn arbiter_update(handle: ArbiterHandle, elapsed_seconds: f64) -> i32 {
    if !(0.0..=MAX_UPDATE_SECONDS).contains(&elapsed_seconds) {
        return ArbiterResult::InvalidArgument as i32;
    }
    handles::with_session(handle, |session| {
        session.update(Duration::from_secs_f64(elapsed_seconds))
    }) as i32
}

/// Writes the next event to `out` and returns `ARBITER_RESULT_OK`, or returns
/// `ARBITER_RESULT_EMPTY` when none waits. The event's strings and arrays are valid until the next
/// call on this handle.
///
/// # Safety
/// `out` is null or points to writable memory for an `ArbiterEvent`.
#[no_mangle]
pub unsafe extern "C" fn arbiter_poll(handle: ArbiterHandle, out: *mut ArbiterEvent) -> i32 {
    if out.is_null() {
        return ArbiterResult::NullArgument as i32;
    }
    handles::with_session(handle, |session| match session.poll() {
        // SAFETY: `out` is not null, and the caller guarantees it is writable.
        Some(event) => unsafe { write_out(out, event) },
        None => ArbiterResult::Empty,
    }) as i32
}

/// Writes the connection's state and figures to `out`.
///
/// # Safety
/// `out` is null or points to writable memory for an `ArbiterStats`.
#[no_mangle]
pub unsafe extern "C" fn arbiter_stats(handle: ArbiterHandle, out: *mut ArbiterStats) -> i32 {
    if out.is_null() {
        return ArbiterResult::NullArgument as i32;
    }
    handles::with_session(handle, |session| {
        let Some(client) = session.client.as_ref() else {
            return ArbiterResult::InvalidHandle;
        };
        let reason = client.disconnect_reason();
        let state = match reason {
            Some(_) => ArbiterState::Disconnected,
            None if client.is_connected() => ArbiterState::Connected,
            None => ArbiterState::Connecting,
        };
        let stats = ArbiterStats {
            state,
            rtt_ms: client.rtt_ms(),
            player_id: session.player_id,
            server_tick: session.server_tick,
            pending_events: session.pending_events() as u64,
            dropped_events: session.dropped_events,
            malformed_received: client.malformed_received(),
            disconnect_reason: session
                .scratch
                .text(reason.map_or("", |reason| reason.as_str())),
        };
        // SAFETY: `out` is not null, and the caller guarantees it is writable.
        unsafe { write_out(out, stats) }
    }) as i32
}

/// Replaces the connection with a new one for `token`, keeping the handle and its link settings
/// (after a drop, within the server's grace period the player resumes its entity). Events not yet
/// polled and the copies of inventory, trade, guild and party are discarded; the server sends
/// them again.
///
/// # Safety
/// `token` is a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn arbiter_reconnect(handle: ArbiterHandle, token: *const c_char) -> i32 {
    handles::with_session(handle, |session| {
        // SAFETY: the caller guarantees `token` is NUL-terminated.
        let token = match unsafe { text_arg(token, MAX_TOKEN_CHARS) } {
            Ok(token) => token,
            Err(error) => return error,
        };
        let Ok(token) = decode_token(token.trim()) else {
            return ArbiterResult::BadToken;
        };
        let Some(mut client) = session.client.take() else {
            return ArbiterResult::InvalidHandle;
        };
        let reconnected = client.reconnect(token);
        *session = Session::new(client);
        match reconnected {
            Ok(()) => ArbiterResult::Ok,
            Err(ClientError::Io(_) | ClientError::Disconnected(_)) => ArbiterResult::Socket,
        }
    }) as i32
}

/// Says goodbye to the server (redundant disconnect packets, so one loss does not leave it
/// waiting). The handle stays valid for `arbiter_stats` and `arbiter_poll` (a `DISCONNECTED`
/// event follows) until freed.
#[no_mangle]
pub extern "C" fn arbiter_disconnect(handle: ArbiterHandle) -> i32 {
    handles::with_session(handle, |session| match session.client.as_mut() {
        Some(client) => {
            client.disconnect();
            ArbiterResult::Ok
        }
        None => ArbiterResult::InvalidHandle,
    }) as i32
}

/// Disconnects (if still connected) and frees the client, from any thread. The handle is invalid
/// afterwards: using or freeing it again returns `ARBITER_RESULT_INVALID_HANDLE`.
#[no_mangle]
pub extern "C" fn arbiter_free(handle: ArbiterHandle) -> i32 {
    let freed = std::panic::catch_unwind(|| match handles::remove(handle) {
        Ok(session) => {
            if let Some(mut client) = session.and_then(|session| session.client) {
                client.disconnect();
            }
            ArbiterResult::Ok
        }
        Err(error) => error,
    });
    freed.unwrap_or(ArbiterResult::Panic) as i32
}
