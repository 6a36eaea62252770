//! Leadership through a Kubernetes Lease, against a stand-in for the API's Leases over TLS and a
//! real Redis: one node holds the Lease at a time; another takes it only once it has lapsed by its
//! own clock, in a later term; the new term's epoch fences the claims of the leader before, and a
//! stale term is refused in Redis; of two nodes that saw the same lapse only one takes it; a
//! released Lease is taken at once; a wrong token is an error, not leadership.

use arbiter::fleet::Fleet;
use arbiter::fleet::claims::Claim;
use arbiter::fleet::kubernetes::KubeApi;
use arbiter::fleet::kubernetes::lease::KubeLease;
use arbiter::fleet::leader::Epoch;
use arbiter::read::redis_link::RedisLink;
use arbiter_testing::kubernetes::KubernetesStandIn;
use arbiter_testing::redis_server;
use arbiter_testing::tls::Authority;
use std::time::Duration;

const LEASE: &str = "arbiter-matchmaker";
/// How long a holder's renewal lasts.
const DURATION: Duration = Duration::from_millis(1_500);
/// The lease in Redis lasts as long.
const TTL: Duration = DURATION;

#[test]
fn a_kubernetes_lease_elects_one_leader_at_a_time_and_each_new_term_fences_the_one_before() {
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let Some(redis) = runtime.block_on(redis_server::fresh_database(15)) else {
        return;
    };
    let credentials = tempfile::tempdir().expect("a temp dir");
    let stand_in = KubernetesStandIn::start(&runtime, &Authority::new(), credentials.path());
    let api = KubeApi::in_cluster(&stand_in.endpoint(), credentials.path()).expect("in cluster");
    let link = {
        let _inside = runtime.enter();
        RedisLink::lazy(&redis).expect("a Redis URL")
    };
    let fleet = Fleet::new(link, "lease");
    let lease = |node: &str| KubeLease::new(api.clone(), LEASE, node, DURATION);
    let (mut a, mut b, mut c) = (lease("a"), lease("b"), lease("c"));
    let hold = |lease: &mut KubeLease| runtime.block_on(lease.try_hold()).expect("the API answers");
    let lead_as = |node: &str, term: u32| {
        runtime
            .block_on(fleet.lead_as(node, TTL, term))
            .expect("Redis answers")
    };
    let claim = |epoch: Epoch, match_id: u64, players: &[u64]| {
        runtime
            .block_on(fleet.claim(epoch, match_id, players, None, Duration::from_secs(60)))
            .expect("Redis answers")
    };

    // No Lease yet: `a` creates it and holds it in term 0; `b` and `c` find it held.
    assert_eq!(hold(&mut a), Some(0));
    assert_eq!(hold(&mut b), None);
    assert_eq!(hold(&mut c), None);
    let first = lead_as("a", 0).expect("a leads in Redis");
    assert_eq!(claim(first, 100, &[1, 2]), Claim::Claimed);
    // Renewed: the same term and epoch; the others still follow.
    assert_eq!(hold(&mut a), Some(0));
    assert_eq!(lead_as("a", 0), Some(first));
    assert_eq!(hold(&mut b), None);
    assert_eq!(hold(&mut c), None);

    // `a` stops renewing (paused). Once the Lease is unchanged for its duration by their own
    // clocks, `b` and `c` both see it lapsed and try at once: exactly one takes it, in term 1.
    std::thread::sleep(DURATION + Duration::from_millis(200));
    let (by_b, by_c) = runtime.block_on(async { tokio::join!(b.try_hold(), c.try_hold()) });
    let (by_b, by_c) = (
        by_b.expect("the API answers"),
        by_c.expect("the API answers"),
    );
    let (leader, mut other, other_name) = match (by_b, by_c) {
        (Some(1), None) => ("b", c, "c"),
        (None, Some(1)) => ("c", b, "b"),
        outcome => panic!("exactly one takes the lapsed Lease, in term 1: {outcome:?}"),
    };
    assert_eq!(
        stand_in.leases().holder(LEASE),
        Some((leader.to_owned(), 1))
    );
    let second = lead_as(leader, 1).expect("the new holder leads in Redis");
    assert!(second > first, "a new term gets a later epoch");

    // `a` wakes: its claims are fenced, the Lease is another's, and Redis refuses its old term.
    assert_eq!(claim(first, 101, &[3, 4]), Claim::Fenced);
    assert_eq!(hold(&mut a), None);
    assert_eq!(lead_as("a", 0), None);
    assert_eq!(hold(&mut other), None, "{other_name} follows");
    // The new leader claims; a player `a` claimed before stays in that match alone.
    assert_eq!(
        claim(second, 102, &[1, 5]),
        Claim::Taken {
            player: 1,
            match_id: 100
        }
    );
    assert_eq!(claim(second, 103, &[5, 6]), Claim::Claimed);

    // A clean stop gives the Lease up: `a` takes it at once, in term 2, without waiting.
    let mut holder = lease(leader);
    assert_eq!(hold(&mut holder), Some(1), "{leader} renews");
    runtime.block_on(holder.release()).expect("released");
    assert_eq!(hold(&mut a), Some(2));
    let third = lead_as("a", 2).expect("a leads again");
    assert!(third > second);
    assert_eq!(claim(second, 104, &[7, 8]), Claim::Fenced);

    // Terms only grew, and each holder change was one write of a new term.
    let terms: Vec<u64> = stand_in
        .leases()
        .writes
        .iter()
        .map(|write| write.2)
        .collect();
    assert!(terms.is_sorted(), "{terms:?}");

    // A service account whose token the API refuses: an error, never leadership.
    std::fs::write(credentials.path().join("token"), "stolen\n").expect("written");
    let refused = runtime.block_on(lease("d").try_hold());
    assert!(refused.is_err(), "{refused:?}");
    assert!(stand_in.leases().unauthorized > 0);
}
