//! The store thread: one thread owns the node's SQLite connection, its cached spaces and
//! the sync service, and runs jobs sent from the async side, so blocking database,
//! Automerge and signature work never runs on the reactor. Jobs come in lanes, one per
//! peer and one for the node itself, served in turns (see [`crate::lanes`]).

use std::sync::mpsc;
use std::thread;

use tokio::sync::oneshot;

use crate::engine::Engine;
use crate::lanes;
use margin_core::Timestamp;
use margin_core::id::SpaceId;
use margin_net::PeerId;
use margin_node::error::NodeError;
use margin_node::node::Node;

type Job = Box<dyn FnOnce(&mut Engine) + Send>;

/// Whose work a job is: a peer's (its frames, its gossip, its connection's events), or the
/// node's own (ticks, web pages, the CLI's requests).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Lane {
    Node,
    Peer(PeerId),
}

/// A handle to the store thread; cheap to clone.
#[derive(Clone)]
pub struct Worker {
    jobs: mpsc::Sender<(Lane, Job)>,
}

impl Worker {
    /// Starts the thread with the engine `make` builds there (the node's database is
    /// opened on the thread that uses it).
    pub(crate) fn start(
        make: impl FnOnce() -> Result<Engine, NodeError> + Send + 'static,
    ) -> Result<Worker, NodeError> {
        let (jobs, queue) = mpsc::channel::<(Lane, Job)>();
        let (ready_tx, ready_rx) = mpsc::channel();
        thread::Builder::new()
            .name("margin-store".into())
            .spawn(move || {
                let mut engine = match make() {
                    Ok(engine) => {
                        let _ = ready_tx.send(Ok(()));
                        engine
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                lanes::run_in_turns(&queue, |job: Job| job(&mut engine));
            })
            .map_err(|e| NodeError::Invalid(format!("cannot start the store thread: {e}")))?;
        ready_rx
            .recv()
            .map_err(|_| NodeError::Invalid("the store thread stopped while opening".into()))??;
        Ok(Worker { jobs })
    }

    /// Runs `f` on the node and returns its result.
    pub async fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Node) -> T + Send + 'static,
    ) -> Result<T, NodeError> {
        self.call_engine(move |engine| f(&mut engine.node)).await
    }

    /// Reconciles `space` with every connected peer now; returns when it was asked.
    pub async fn reconcile_now(&self, space: SpaceId) -> Result<Timestamp, NodeError> {
        self.call_engine(move |engine| engine.reconcile_now(&space))
            .await
    }

    /// Runs `f` on the engine and returns its result.
    pub(crate) async fn call_engine<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Engine) -> T + Send + 'static,
    ) -> Result<T, NodeError> {
        let (tx, rx) = oneshot::channel();
        self.submit(move |engine| {
            let _ = tx.send(f(engine));
        })?;
        rx.await
            .map_err(|_| NodeError::Invalid("the store thread dropped a job".into()))
    }

    /// Queues `f` to run on the engine, in the node's own lane, without waiting for it.
    pub(crate) fn submit(
        &self,
        f: impl FnOnce(&mut Engine) + Send + 'static,
    ) -> Result<(), NodeError> {
        self.send(Lane::Node, Box::new(f))
    }

    /// Queues `f`, work that `peer` gave the node, in that peer's lane.
    pub(crate) fn submit_from(
        &self,
        peer: PeerId,
        f: impl FnOnce(&mut Engine) + Send + 'static,
    ) -> Result<(), NodeError> {
        self.send(Lane::Peer(peer), Box::new(f))
    }

    fn send(&self, lane: Lane, job: Job) -> Result<(), NodeError> {
        self.jobs
            .send((lane, job))
            .map_err(|_| NodeError::Invalid("the store thread has stopped".into()))
    }
}
