//! What a frame costs through the C API over the same frame in Rust: a real server (in process)
//! ticks, then one client drains its datagrams, handshake and snapshot with `ArbiterClient` directly
//! and another through `arbiter_update` + `arbiter_poll` until empty, the way a C or C# game loop
//! does. The exported functions are called through function pointers, so no inlining across the
//! boundary flatters them. Only the clients' work is timed; the two alternate which goes first.
//!
//! Build with `cargo bench -p arbiter_ffi --bench frame_overhead --no-run`, then run the printed
//! executable pinned (`taskset -c 1 target/release/deps/frame_overhead-… --bench`): it prints the
//! medians.
#![expect(
    unsafe_code,
    reason = "calls the exported functions as a C caller does"
)]
#![expect(clippy::print_stdout, reason = "a measurement prints its figures")]

use arbiter_client::protocol::ServerMessage;
use arbiter_client::token::encode_token;
use arbiter_ffi::client::{arbiter_connect, arbiter_free, arbiter_poll, arbiter_update};
use arbiter_ffi::events::{ArbiterEvent, ArbiterEventKind};
use arbiter_ffi::handles::ArbiterHandle;
use arbiter_testing::net::TestServer;
use std::ffi::CString;
use std::hint::black_box;
use std::time::{Duration, Instant};

const FRAMES: usize = 4000;
const WARM_UP: usize = 200;
const TICK_SECONDS: f64 = 1.0 / 60.0;

type Update = unsafe extern "C" fn(ArbiterHandle, f64) -> i32;
type Poll = unsafe extern "C" fn(ArbiterHandle, *mut ArbiterEvent) -> i32;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn main() {
    let mut server = TestServer::start();
    let mut rust = server.connect(1);
    let token = CString::new(encode_token(&server.token(2))).expect("base64 has no NUL");
    let mut handle: ArbiterHandle = 0;
    // SAFETY: a NUL-terminated token, no link, a writable handle.
    let connected = unsafe { arbiter_connect(token.as_ptr(), std::ptr::null(), &mut handle) };
    assert_eq!(connected, 0, "arbiter_connect");
    let update: Update = black_box(arbiter_update);
    let poll: Poll = black_box(arbiter_poll);

    let mut rust_frame = || {
        let start = Instant::now();
        let _ = rust.update(Duration::from_secs_f64(TICK_SECONDS));
        let _ = rust.flush();
        let snapshots = rust
            .receive()
            .filter(|message| matches!(message, ServerMessage::Snapshot { .. }))
            .count();
        (start.elapsed(), snapshots)
    };
    let c_frame = || {
        let start = Instant::now();
        let mut event = std::mem::MaybeUninit::<ArbiterEvent>::uninit();
        let mut snapshots = 0;
        // SAFETY: a live handle from this thread; `event` is writable.
        unsafe {
            update(handle, TICK_SECONDS);
            while poll(handle, event.as_mut_ptr()) == 0 {
                snapshots +=
                    usize::from(event.assume_init_ref().kind == ArbiterEventKind::Snapshot);
            }
        }
        (start.elapsed(), snapshots)
    };

    let (mut rust_times, mut c_times) = (Vec::new(), Vec::new());
    let (mut rust_snapshots, mut c_snapshots) = (0, 0);
    for frame in 0..WARM_UP + FRAMES {
        server.step(&mut []);
        std::thread::sleep(Duration::from_micros(300));
        let (rust_result, c_result) = if frame % 2 == 0 {
            let rust_result = rust_frame();
            (rust_result, c_frame())
        } else {
            let c_result = c_frame();
            (rust_frame(), c_result)
        };
        if frame >= WARM_UP {
            rust_times.push(rust_result.0);
            c_times.push(c_result.0);
            rust_snapshots += rust_result.1;
            c_snapshots += c_result.1;
        }
    }
    assert_eq!(arbiter_free(handle), 0, "arbiter_free");
    let (rust_median, c_median) = (median(rust_times), median(c_times));
    println!(
        "frames {FRAMES}: Rust median {:.2} µs ({rust_snapshots} snapshots), C API median {:.2} µs \
         ({c_snapshots} snapshots), C API overhead {:.2} µs per frame",
        rust_median.as_secs_f64() * 1e6,
        c_median.as_secs_f64() * 1e6,
        (c_median.as_secs_f64() - rust_median.as_secs_f64()) * 1e6
    );
}
