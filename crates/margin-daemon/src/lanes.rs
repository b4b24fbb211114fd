//! Fair turns on the store thread. Work reaches the store thread from each peer (its
//! frames and gossip) and from the node itself (ticks, web pages, the CLI); each source
//! has a lane, and the thread takes one job from each non-empty lane in turn. A peer that
//! keeps its lane full (thousands of small requests within its backlog) then delays an
//! honest peer's frame by one job, not by its whole backlog, and the web interface by as
//! little. Within a lane, jobs keep their order.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::mpsc;

/// Runs the jobs sent on `queue`, in turns between their lanes, until every sender is
/// gone and every job has run.
pub(crate) fn run_in_turns<K: Clone + Eq + Hash, J>(
    queue: &mpsc::Receiver<(K, J)>,
    mut run: impl FnMut(J),
) {
    let mut lanes = Lanes::default();
    loop {
        if lanes.is_empty() {
            let Ok((lane, job)) = queue.recv() else {
                return;
            };
            lanes.push(lane, job);
        }
        // Everything sent so far takes its place in its lane before the next turn is
        // chosen.
        while let Ok((lane, job)) = queue.try_recv() {
            lanes.push(lane, job);
        }
        if let Some(job) = lanes.next() {
            run(job);
        }
    }
}

/// Jobs queued by lane, taken in turns.
pub(crate) struct Lanes<K, J> {
    queued: HashMap<K, VecDeque<J>>,
    /// The lanes that hold a job, in the order of their next turn.
    turns: VecDeque<K>,
}

impl<K: Clone + Eq + Hash, J> Default for Lanes<K, J> {
    fn default() -> Self {
        Lanes {
            queued: HashMap::new(),
            turns: VecDeque::new(),
        }
    }
}

impl<K: Clone + Eq + Hash, J> Lanes<K, J> {
    /// Queues `job` at the end of `lane`.
    pub(crate) fn push(&mut self, lane: K, job: J) {
        let queue = self.queued.entry(lane.clone()).or_default();
        if queue.is_empty() {
            self.turns.push_back(lane);
        }
        queue.push_back(job);
    }

    /// The next job: the first of the lane whose turn it is.
    pub(crate) fn next(&mut self) -> Option<J> {
        let lane = self.turns.pop_front()?;
        let queue = self.queued.get_mut(&lane)?;
        let job = queue.pop_front();
        if queue.is_empty() {
            // An empty lane holds no memory: a peer's lane goes with its last job.
            self.queued.remove(&lane);
        } else {
            self.turns.push_back(lane);
        }
        job
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.turns.is_empty()
    }

    /// Jobs queued in every lane.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.queued.values().map(VecDeque::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_full_lane_delays_another_by_one_job() {
        let mut lanes = Lanes::default();
        for n in 0..1_000 {
            lanes.push("flood", n);
        }
        lanes.push("honest", -1);
        assert_eq!(lanes.next(), Some(0));
        assert_eq!(
            lanes.next(),
            Some(-1),
            "the honest job waits for one, not 1 000"
        );
        assert_eq!(lanes.next(), Some(1));
    }

    #[test]
    fn a_peer_that_sent_a_thousand_jobs_first_delays_the_next_peer_by_one() {
        let (send, queue) = mpsc::channel();
        for n in 0..1_000 {
            send.send(("flood", n)).expect("queued");
        }
        send.send(("honest", -1)).expect("queued");
        send.send(("node", -2)).expect("queued");
        let mut more = Some(send);
        let mut ran = vec![];
        run_in_turns(&queue, |job| {
            ran.push(job);
            // Sent while the thread works (by the last sender, which then goes): it
            // takes its turn like the others.
            if let Some(last) = more.take() {
                last.send(("late", -3)).expect("queued");
            }
        });
        assert_eq!(&ran[..5], &[0, -1, -2, 1, -3]);
        assert_eq!(ran.len(), 1_003, "every job ran once the senders were gone");
    }

    #[test]
    fn an_emptied_lane_is_forgotten_and_comes_back_at_the_end() {
        let mut lanes = Lanes::default();
        lanes.push("a", 1);
        lanes.push("b", 2);
        lanes.push("b", 3);
        assert_eq!(lanes.next(), Some(1));
        assert_eq!(lanes.queued.len(), 1, "lane a is gone with its last job");
        lanes.push("a", 4);
        assert_eq!(lanes.next(), Some(2));
        assert_eq!(lanes.next(), Some(4));
        assert_eq!(lanes.next(), Some(3));
        assert_eq!(lanes.next(), None);
        assert!(lanes.is_empty());
        assert!(lanes.queued.is_empty());
    }

    proptest! {
        /// Every job comes out once, each lane's jobs in the order they were pushed, and
        /// each from the lane whose turn it was (a lane goes to the back once served).
        #[test]
        fn jobs_come_out_once_in_lane_order_and_in_turns(
            pushes in proptest::collection::vec((0u8..5, any::<bool>()), 0..200)
        ) {
            let mut lanes = Lanes::default();
            let mut taken: Vec<(u8, usize)> = vec![];
            let mut pushed = [0usize; 5];
            for (lane, take) in pushes {
                lanes.push(lane, (lane, pushed[lane as usize]));
                pushed[lane as usize] += 1;
                if take {
                    let turn = lanes.turns[0];
                    let job = lanes.next().expect("a job");
                    prop_assert_eq!(job.0, turn, "the lane whose turn it was");
                    if lanes.queued.contains_key(&turn) {
                        prop_assert_eq!(lanes.turns.back(), Some(&turn), "served, it goes last");
                    }
                    taken.push(job);
                }
            }
            while let Some(job) = lanes.next() {
                taken.push(job);
            }
            prop_assert_eq!(taken.len(), pushed.iter().sum::<usize>());
            prop_assert_eq!(lanes.len(), 0);
            for lane in 0..5u8 {
                let order: Vec<usize> =
                    taken.iter().filter(|j| j.0 == lane).map(|j| j.1).collect();
                prop_assert_eq!(order, (0..pushed[lane as usize]).collect::<Vec<_>>());
            }
        }
    }
}
