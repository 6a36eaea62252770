//! Between the tick and the fleet's Redis: systems hand requests to a task on the async runtime and
//! read its answers on a later tick, so the tick never waits on Redis.

use super::agones::lifecycle::AgonesLifecycle;
use super::agones::{AgonesSdk, Allocator};
use super::kubernetes::lease::KubeLease;
use super::kubernetes::{KubeApi, KubeSetupError};
use super::leader::{Leadership, Standing};
use super::tls::{TlsClient, TlsSetupError};
use super::{Claim, Epoch, Fleet, FleetError, MatchRecord, ServerReport};
use crate::net::{TokenIssuer, TokenPass};
use crate::read::redis_link::RedisLink;
use crate::settings::{FleetSettings, Orchestrator};
use crate::shutdown::ShutdownStepHandle;
use crate::telemetry::metrics::FLEET_LEADING;
use arbiter_client::seat::{Requeue, Seat};
use bevy_ecs::entity::Entity;
use bevy_ecs::resource::Resource;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};

/// A match formed by this matchmaker, to put on a game server.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The [`arbiter_components::matchmaking::PlacedMatch`] entity here.
    pub local_match: Entity,
    /// Unique in this process (below 2^32); the fleet-wide id adds the leader's epoch.
    pub local_id: u64,
    pub mode: u16,
    pub map: String,
    pub teams: [Vec<u64>; 2],
    /// How long each player (by id) had queued, in ms: kept should the match not happen.
    pub waited_ms: HashMap<u64, u32>,
    pub formed_at: Instant,
}

/// A match running (or gathering its players) on this game server.
#[derive(Debug, Clone)]
pub struct RunningMatch {
    pub match_id: u64,
    pub players: Vec<u64>,
}

/// What the tick asks of the fleet.
#[derive(Debug)]
pub enum ToFleet {
    Place(Placement),
    /// A game server's heartbeat: its matches, whose players' claims it keeps alive.
    Report(Vec<RunningMatch>),
    /// The match is over (or never started): its players may be matched again.
    Release {
        match_id: u64,
        players: Vec<u64>,
    },
    /// A game server asked to stop: no new matches for it while the ones it has play out.
    Drain,
    /// The server stops: no new matches for it; `done` when the fleet knows.
    Shutdown(ShutdownStepHandle),
    /// A player connected to the matchmaker: is a match holding it? `requeue` when its token
    /// says its match did not happen (it came back from a game server).
    Connected {
        player: Entity,
        player_id: u64,
        requeue: Option<Requeue>,
    },
}

/// What the fleet answers.
#[derive(Debug)]
pub enum FromFleet {
    /// Every player of the match is claimed for it on `server`; a token per player, in roster order.
    Placed {
        local_match: Entity,
        match_id: u64,
        tokens: Vec<(u64, Vec<u8>)>,
        formed_at: Instant,
    },
    /// No game server took the match, or its players could not be claimed; nothing is held.
    NotPlaced { local_match: Entity, reason: String },
    /// These players' claims lapsed: another match may hold them now.
    ClaimsLost { match_id: u64, players: Vec<u64> },
    /// A connecting player's match still runs: a token back to it.
    Rejoin {
        player: Entity,
        match_id: u64,
        mode: u16,
        /// What the player had queued for the match, in ms.
        waited_ms: u32,
        token: Vec<u8>,
    },
    /// A returning player's match is gone: queue it again.
    Requeue { player: Entity, requeue: Requeue },
}

/// The tick's end of the bridge.
#[derive(Resource, Debug)]
pub struct FleetLink {
    requests: UnboundedSender<ToFleet>,
    answers: UnboundedReceiver<FromFleet>,
    leadership: Leadership,
}

impl FleetLink {
    /// A matchmaker's standing in the fleet (a game server's is always unknown).
    pub fn standing(&self) -> Standing {
        self.leadership.standing()
    }

    pub fn send(&self, request: ToFleet) {
        if self.requests.send(request).is_err() {
            tracing::error!("the fleet task is gone; fleet requests are dropped");
        }
    }

    /// The next answer, if one arrived.
    pub fn answer(&mut self) -> Option<FromFleet> {
        self.answers.try_recv().ok()
    }
}

/// How this process takes part in the fleet.
#[derive(Debug, Clone)]
pub struct FleetTaskSetup {
    pub fleet: Fleet,
    /// Seals the tokens for the fleet's other servers (they share its key).
    pub issuer: TokenIssuer,
    /// This process's name in the fleet (leadership, registry): unique per run.
    pub node: String,
    /// A game server's entry: where players reach it (the first address its tokens name), its
    /// region and capacity.
    pub address: SocketAddr,
    pub region: String,
    pub capacity: u32,
    /// The regions a matchmaker places matches in, most preferred first.
    pub regions: Vec<String>,
    pub arrival_deadline: Duration,
    pub heartbeat: Duration,
    pub missed_heartbeats: u32,
    /// With Agones: the SDK sidecar (game servers) and the allocator (matchmakers) replace the
    /// registry; claims and leadership stay in Redis.
    pub agones: Option<AgonesSetup>,
    /// The Kubernetes Lease (and the API holding it) that decides which matchmaker leads;
    /// `None`: the lease in Redis.
    pub kubernetes_lease: Option<(KubeApi, String)>,
}

/// The Agones side of a fleet.
#[derive(Debug, Clone)]
pub struct AgonesSetup {
    pub sdk: AgonesSdk,
    pub allocator: Allocator,
}

impl FleetTaskSetup {
    /// The fleet of `settings`, for the server whose tokens `issuer` seals.
    pub fn new(settings: &FleetSettings, issuer: TokenIssuer) -> Result<Self, FleetSetupError> {
        let link = RedisLink::lazy(&settings.redis_url)?;
        let address = issuer
            .server_addresses()
            .first()
            .copied()
            .unwrap_or(SocketAddr::from(([127, 0, 0, 1], 0)));
        let run = u64::from_le_bytes(arbiter_client::netcode::random_bytes());
        Ok(Self {
            fleet: Fleet::new(link, &settings.name),
            node: format!("{}/{address}/{run:016x}", settings.region),
            issuer,
            address,
            region: settings.region.clone(),
            capacity: settings.capacity,
            regions: settings
                .placement_regions()
                .into_iter()
                .map(str::to_owned)
                .collect(),
            arrival_deadline: Duration::from_secs(u64::from(settings.arrival_deadline_secs)),
            heartbeat: Duration::from_millis(u64::from(settings.heartbeat_ms)),
            missed_heartbeats: settings.missed_heartbeats,
            kubernetes_lease: None,
            agones: (settings.orchestrator == Orchestrator::Agones).then(|| AgonesSetup {
                sdk: AgonesSdk::on_port(settings.agones_sdk_port),
                allocator: Allocator {
                    endpoint: settings.allocator_endpoint.clone(),
                    namespace: settings.allocator_namespace.clone(),
                    fleet: settings.allocator_fleet.clone(),
                    counter: settings.agones_counter.clone(),
                    tls: None,
                },
            }),
        })
    }

    /// Adds what only a matchmaker uses, read from its files: the Kubernetes Lease's API and the
    /// allocator's TLS (a game server given the same settings reads none of them).
    pub fn for_matchmaker(mut self, settings: &FleetSettings) -> Result<Self, FleetSetupError> {
        if !settings.kubernetes_lease.is_empty() {
            let credentials = Path::new(&settings.kubernetes_credentials);
            let api = KubeApi::in_cluster(&settings.kubernetes_api, credentials)?;
            self.kubernetes_lease = Some((api, settings.kubernetes_lease.clone()));
        }
        if let (Some(agones), Some([ca, cert, key])) =
            (&mut self.agones, settings.allocator_tls_files())
        {
            let endpoint = &settings.allocator_endpoint;
            agones.allocator.tls = Some(TlsClient::mutual(ca, cert, key, endpoint)?);
        }
        Ok(self)
    }

    /// How long a report, a lease or a held claim lives without renewal.
    fn lapse(&self) -> Duration {
        self.heartbeat * self.missed_heartbeats
    }
}

/// Why a fleet role cannot start.
#[derive(Debug, thiserror::Error)]
pub enum FleetSetupError {
    #[error("fleet.redis_url: {0}")]
    Redis(#[from] redis::RedisError),
    #[error("fleet.allocator_tls_*: {0}")]
    AllocatorTls(#[from] TlsSetupError),
    #[error("fleet.kubernetes_lease: {0}")]
    Kubernetes(#[from] KubeSetupError),
}

/// Starts the fleet task for a matchmaker (leading when it can) on `runtime`.
pub fn start_matchmaker(
    setup: FleetTaskSetup,
    runtime: &crate::runtime::AsyncRuntime,
) -> FleetLink {
    let (link, requests, answers) = channels();
    let leadership = link.leadership.clone();
    let (stop, stopping) = tokio::sync::oneshot::channel();
    runtime.spawn(keep_leading(setup.clone(), leadership.clone(), stopping));
    runtime.spawn(serve_matchmaker(setup, leadership, requests, answers, stop));
    link
}

/// Starts the fleet task for a game server on `runtime`.
pub fn start_game_server(
    setup: FleetTaskSetup,
    runtime: &crate::runtime::AsyncRuntime,
) -> FleetLink {
    let (link, requests, answers) = channels();
    runtime.spawn(serve_game_server(setup, requests, answers));
    link
}

fn channels() -> (
    FleetLink,
    UnboundedReceiver<ToFleet>,
    UnboundedSender<FromFleet>,
) {
    let (requests, requests_out) = tokio::sync::mpsc::unbounded_channel();
    let (answers_in, answers) = tokio::sync::mpsc::unbounded_channel();
    let link = FleetLink {
        requests,
        answers,
        leadership: Leadership::default(),
    };
    (link, requests_out, answers_in)
}

/// Takes the lease when free and renews it every third of its life, recording where this
/// matchmaker stands in `leadership`.
async fn keep_leading(
    setup: FleetTaskSetup,
    leadership: Leadership,
    mut stopping: tokio::sync::oneshot::Receiver<ShutdownStepHandle>,
) {
    let lease = setup.lapse();
    let mut kubernetes = setup
        .kubernetes_lease
        .clone()
        .map(|(api, name)| KubeLease::new(api, &name, &setup.node, lease));
    loop {
        let standing = match &mut kubernetes {
            None => standing_in_redis(setup.fleet.lead(&setup.node, lease).await),
            Some(kubernetes) => stand_by_kubernetes_lease(&setup, kubernetes, lease).await,
        };
        let before = leadership.set(standing);
        if before != standing {
            tracing::info!(?standing, node = setup.node, "matchmaker standing changed");
            metrics::gauge!(FLEET_LEADING).set(f64::from(u8::from(matches!(
                standing,
                Standing::Leading(_)
            ))));
        }
        tokio::select! {
            () = tokio::time::sleep(lease / 3) => {}
            stop = &mut stopping => {
                // Stopping: give the lease up at once, so another matchmaker leads without
                // waiting for it to lapse.
                leadership.set(Standing::Unknown);
                let resigned = match standing {
                    Standing::Leading(epoch) => setup.fleet.resign(&setup.node, epoch).await,
                    Standing::Following | Standing::Unknown => Ok(false),
                };
                let released = match &mut kubernetes {
                    Some(kubernetes) => kubernetes.release().await.map_err(|error| error.to_string()),
                    None => Ok(()),
                };
                if let Ok(done) = stop {
                    done.complete(
                        resigned
                            .map_err(|error| error.to_string())
                            .and(released)
                            .map(|_| ()),
                    );
                }
                return;
            }
        }
    }
}

/// Where this matchmaker stands by the Kubernetes Lease: it leads when it holds the Lease and
/// Redis records it as the leader of that term (which gives the epoch that fences its claims).
async fn stand_by_kubernetes_lease(
    setup: &FleetTaskSetup,
    kubernetes: &mut KubeLease,
    lease: Duration,
) -> Standing {
    let term = match kubernetes.try_hold().await {
        Ok(Some(term)) => term,
        Ok(None) => return Standing::Following,
        Err(error) => {
            tracing::warn!(%error, "cannot reach the Kubernetes API to lead");
            return Standing::Unknown;
        }
    };
    standing_in_redis(setup.fleet.lead_as(&setup.node, lease, term).await)
}

/// The standing Redis gave: leading in an epoch, following another node, or unknown when Redis
/// does not answer.
fn standing_in_redis(led: Result<Option<Epoch>, FleetError>) -> Standing {
    match led {
        Ok(Some(epoch)) => Standing::Leading(epoch),
        Ok(None) => Standing::Following,
        Err(error) => {
            tracing::warn!(%error, "cannot reach the fleet's Redis to lead");
            Standing::Unknown
        }
    }
}

/// Places each match in a task of its own: a burst of matches formed in one tick is placed
/// concurrently over the multiplexed Redis connection (every step is one atomic script, so
/// concurrency cannot over-fill a server or claim a player twice).
async fn serve_matchmaker(
    setup: FleetTaskSetup,
    leadership: Leadership,
    mut requests: UnboundedReceiver<ToFleet>,
    answers: UnboundedSender<FromFleet>,
    stop: tokio::sync::oneshot::Sender<ShutdownStepHandle>,
) {
    let setup = Arc::new(setup);
    let mut stop = Some(stop);
    while let Some(request) = requests.recv().await {
        let placement = match request {
            ToFleet::Place(placement) => placement,
            ToFleet::Connected {
                player,
                player_id,
                requeue,
            } => {
                let (setup, answers) = (setup.clone(), answers.clone());
                tokio::spawn(async move {
                    if let Some(answer) =
                        where_player_belongs(&setup, player, player_id, requeue).await
                    {
                        let _ = answers.send(answer);
                    }
                });
                continue;
            }
            ToFleet::Shutdown(done) => {
                if let Some(stop) = stop.take() {
                    let _ = stop.send(done);
                }
                continue;
            }
            ToFleet::Report(_) | ToFleet::Release { .. } | ToFleet::Drain => continue,
        };
        let (setup, answers) = (setup.clone(), answers.clone());
        let epoch = leadership.epoch();
        tokio::spawn(async move {
            let local_match = placement.local_match;
            let answer = match place(&setup, epoch, placement).await {
                Ok(placed) => placed,
                Err(reason) => FromFleet::NotPlaced {
                    local_match,
                    reason,
                },
            };
            // The tick's end is gone only when the server is stopping.
            let _ = answers.send(answer);
        });
    }
}

/// Reserves a slot, claims every player (fenced by the epoch), and seals a token per player.
async fn place(
    setup: &FleetTaskSetup,
    epoch: Option<Epoch>,
    placement: Placement,
) -> Result<FromFleet, String> {
    let Some(epoch) = epoch else {
        return Err("this matchmaker does not lead".into());
    };
    let match_id = epoch.0 << 32 | placement.local_id;
    let regions: Vec<&str> = setup.regions.iter().map(String::as_str).collect();
    let server = match &setup.agones {
        None => setup
            .fleet
            .allocate(match_id, &regions, setup.arrival_deadline)
            .await
            .map_err(|error| error.to_string())?
            .map(|allocation| allocation.address),
        Some(agones) => agones
            .allocator
            .allocate(match_id, &regions, setup.arrival_deadline)
            .await
            .map_err(|error| {
                // Not a full fleet: the allocator is unreachable or refuses (e.g. its TLS).
                tracing::warn!(%error, match_id, "agones-allocator gave no answer");
                error.to_string()
            })?
            .map(|allocated| allocated.address),
    }
    .ok_or("no game server has room")?;
    let players: Vec<u64> = placement.teams.iter().flatten().copied().collect();
    let record = MatchRecord {
        address: server,
        mode: placement.mode,
        map: placement.map.clone(),
        teams: placement.teams.clone(),
        waited_ms: placement.waited_ms,
    };
    let claim = setup
        .fleet
        .claim(
            epoch,
            match_id,
            &players,
            Some(&record),
            setup.arrival_deadline,
        )
        .await
        .map_err(|error| error.to_string())?;
    if claim != Claim::Claimed {
        return Err(format!("players not claimed: {claim:?}"));
    }
    let mut tokens = Vec::with_capacity(players.len());
    for player in &players {
        tokens.push((*player, seat_token(setup, match_id, &record, *player)?));
    }
    Ok(FromFleet::Placed {
        local_match: placement.local_match,
        match_id,
        tokens,
        formed_at: placement.formed_at,
    })
}

/// A token for `player`'s seat in the match of `record` (its team from the roster).
fn seat_token(
    setup: &FleetTaskSetup,
    match_id: u64,
    record: &MatchRecord,
    player: u64,
) -> Result<Vec<u8>, String> {
    let team = u8::from(record.teams[1].contains(&player));
    let seat = Seat {
        match_id,
        team,
        team_sizes: record.teams.each_ref().map(|team| team.len() as u8),
        mode: record.mode,
        waited_ms: record.waited_ms_of(player),
        map: record.map.clone(),
    };
    setup
        .issuer
        .issue_for(
            player,
            &[record.address],
            TokenPass::Seat(&seat),
            setup.arrival_deadline.as_secs(),
        )
        .map(|token| token.to_bytes())
        .map_err(|error| error.to_string())
}

/// Where a player who connected belongs: in the match that holds its claim (it dropped from its
/// game server, which lives; or the matchmaker that placed it died before sending it there) — a
/// token there — or, with `requeue`, queued again; otherwise nothing to do.
async fn where_player_belongs(
    setup: &FleetTaskSetup,
    player: Entity,
    player_id: u64,
    requeue: Option<Requeue>,
) -> Option<FromFleet> {
    if let Some(requeue) = requeue.filter(|requeue| requeue.called_off) {
        // Its game server called the match off and releases the claims; released here too (only if
        // it still names that match), so that the player, queued at once, is neither sent back to
        // the match nor refused a new one while the old claim still shows.
        if let Err(error) = setup.fleet.release(requeue.match_id, &[player_id]).await {
            tracing::warn!(%error, "cannot release the claim of a called-off match");
        }
        return Some(FromFleet::Requeue { player, requeue });
    }
    let held = async {
        let Some(match_id) = setup.fleet.claim_of(player_id).await? else {
            return Ok(None);
        };
        let record = setup.fleet.match_record(match_id).await?;
        Ok::<_, FleetError>(record.map(|record| (match_id, record)))
    };
    let requeue = requeue.map(|requeue| FromFleet::Requeue { player, requeue });
    match held.await {
        Ok(Some((match_id, record))) => match seat_token(setup, match_id, &record, player_id) {
            Ok(token) => Some(FromFleet::Rejoin {
                player,
                match_id,
                mode: record.mode,
                waited_ms: record.waited_ms_of(player_id),
                token,
            }),
            Err(error) => {
                tracing::error!(%error, "cannot issue a seat token");
                requeue
            }
        },
        Ok(None) => requeue,
        Err(error) => {
            tracing::warn!(%error, "cannot look up a connecting player's match");
            requeue
        }
    }
}

async fn serve_game_server(
    setup: FleetTaskSetup,
    mut requests: UnboundedReceiver<ToFleet>,
    answers: UnboundedSender<FromFleet>,
) {
    let mut lifecycle = setup.agones.clone().map(AgonesLifecycle::new);
    let mut draining = false;
    // The matches of the last heartbeat, for a report between heartbeats.
    let mut last_running = Vec::new();
    while let Some(request) = requests.recv().await {
        let outcome = match request {
            ToFleet::Report(running) => {
                if let Some(lifecycle) = &mut lifecycle {
                    lifecycle.heartbeat(&setup, &running).await;
                } else if let Err(error) = report(&setup, &running, draining).await {
                    tracing::warn!(%error, "cannot report to the fleet's registry");
                }
                let held = hold(&setup, &running, &answers).await;
                last_running = running;
                held
            }
            ToFleet::Drain => {
                draining = true;
                match &mut lifecycle {
                    Some(lifecycle) => {
                        lifecycle.drain().await;
                        Ok(())
                    }
                    None => report(&setup, &last_running, true).await.map(|_| ()),
                }
            }
            ToFleet::Release { match_id, players } => {
                if let Some(lifecycle) = &mut lifecycle {
                    lifecycle.settle(match_id).await;
                }
                setup.fleet.release(match_id, &players).await.map(|_| ())
            }
            ToFleet::Shutdown(done) => {
                let left = match &lifecycle {
                    Some(lifecycle) => lifecycle
                        .shutdown()
                        .await
                        .map_err(|error| error.to_string()),
                    None => report(&setup, &[], true)
                        .await
                        .map(|_| ())
                        .map_err(|error| error.to_string()),
                };
                done.complete(left);
                Ok(())
            }
            ToFleet::Place(_) | ToFleet::Connected { .. } => Ok(()),
        };
        if let Err(error) = outcome {
            tracing::warn!(%error, "fleet request failed");
        }
    }
}

/// Refreshes this server's registry entry (or takes it out of the offers while draining).
async fn report(
    setup: &FleetTaskSetup,
    running: &[RunningMatch],
    draining: bool,
) -> Result<i64, FleetError> {
    let ids: Vec<u64> = running.iter().map(|found| found.match_id).collect();
    setup
        .fleet
        .report(&ServerReport {
            id: &setup.node,
            address: setup.address,
            region: &setup.region,
            capacity: setup.capacity,
            running: &ids,
            draining,
            ttl: setup.lapse(),
        })
        .await
}

/// Keeps this server's players' claims alive; tells the tick of lapsed ones.
async fn hold(
    setup: &FleetTaskSetup,
    running: &[RunningMatch],
    answers: &UnboundedSender<FromFleet>,
) -> Result<(), FleetError> {
    for found in running {
        let lost = setup
            .fleet
            .hold(found.match_id, &found.players, setup.lapse())
            .await?;
        if !lost.is_empty() {
            let _ = answers.send(FromFleet::ClaimsLost {
                match_id: found.match_id,
                players: lost,
            });
        }
    }
    Ok(())
}

/// Starts a matchmaker's fleet task on the app's runtime and returns the tick's end.
pub fn start_in_app_matchmaker(app: &mut bevy_app::App, settings: &FleetSettings) -> FleetLink {
    let (setup, runtime) = setup_in_app(app, settings);
    let setup = setup
        .for_matchmaker(settings)
        .unwrap_or_else(|error| panic!("{error}"));
    start_matchmaker(setup, &runtime)
}

/// Starts a game server's fleet task on the app's runtime and returns the tick's end.
pub fn start_in_app_game_server(app: &mut bevy_app::App, settings: &FleetSettings) -> FleetLink {
    let (setup, runtime) = setup_in_app(app, settings);
    start_game_server(setup, &runtime)
}

/// The setup from the app's token issuer (the network plugin's), made inside the app's runtime.
fn setup_in_app(
    app: &mut bevy_app::App,
    settings: &FleetSettings,
) -> (FleetTaskSetup, crate::runtime::AsyncRuntime) {
    let world = app.world_mut();
    let runtime = world
        .get_resource_or_init::<crate::runtime::AsyncRuntime>()
        .clone();
    let Some(issuer) = world.get_resource::<TokenIssuer>().cloned() else {
        panic!("a fleet role needs the network (its token issuer) installed first");
    };
    let _inside = runtime.enter();
    let setup = FleetTaskSetup::new(settings, issuer).unwrap_or_else(|error| panic!("{error}"));
    (setup, runtime)
}

/// On shutdown: a game server is offered no more matches (Agones: `Shutdown`); a matchmaker gives
/// up its lease. Shutdown waits until the fleet knows.
pub fn leave_the_fleet(
    link: bevy_ecs::system::Res<FleetLink>,
    mut waits: bevy_ecs::system::ResMut<crate::shutdown::ShutdownWaits>,
) {
    link.send(ToFleet::Shutdown(waits.register("leave the fleet")));
}
