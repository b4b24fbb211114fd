//! The store worker: one thread owns the node's SQLite connection and runs jobs sent
//! from the async side, so blocking database and Automerge work never runs on the
//! reactor.

use std::sync::mpsc;
use std::thread;

use tokio::sync::oneshot;

use crate::error::NodeError;
use crate::home::Home;
use crate::node::Node;

type Job = Box<dyn FnOnce(&mut Node) + Send>;

/// A handle to the worker thread; cheap to clone.
#[derive(Clone)]
pub struct Worker {
    jobs: mpsc::Sender<Job>,
}

impl Worker {
    /// Opens the node at `home` on a new thread.
    pub fn start(home: Home) -> Result<Worker, NodeError> {
        let (jobs, queue) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel();
        thread::Builder::new()
            .name("margin-store".into())
            .spawn(move || {
                let mut node = match Node::open(home) {
                    Ok(node) => {
                        let _ = ready_tx.send(Ok(()));
                        node
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                while let Ok(job) = queue.recv() {
                    job(&mut node);
                }
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
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move |node| {
                let _ = tx.send(f(node));
            }))
            .map_err(|_| NodeError::Invalid("the store thread has stopped".into()))?;
        rx.await
            .map_err(|_| NodeError::Invalid("the store thread dropped a job".into()))
    }
}
