//! A gate for concurrent requests: requests whose body contains the marker wait until `count`
//! of them have arrived, which proves they were in flight at the same time (a client that sent
//! them one after the other would never get past it). Waiting is bounded: after `LIMIT` the
//! waiting requests are failed with a message naming how many came, so a broken client fails
//! its test instead of hanging it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use tokio::sync::Notify;

const LIMIT: Duration = Duration::from_secs(20);

#[derive(Clone)]
pub struct Gate {
    marker: String,
    count: usize,
    arrived: Arc<AtomicUsize>,
    opened: Arc<Notify>,
}

impl Gate {
    pub fn new(marker: &str, count: usize) -> Self {
        Self {
            marker: marker.to_string(),
            count,
            arrived: Arc::default(),
            opened: Arc::default(),
        }
    }

    /// Wait at the gate if `body` is one of the requests it holds.
    pub async fn pass(&self, body: &str) -> Result<(), String> {
        if !body.contains(&self.marker) {
            return Ok(());
        }
        let opened = self.opened.notified();
        tokio::pin!(opened);
        opened.as_mut().enable();
        let arrived = self.arrived.fetch_add(1, Ordering::SeqCst) + 1;
        if arrived >= self.count {
            self.opened.notify_waiters();
            return Ok(());
        }
        match tokio::time::timeout(LIMIT, opened).await {
            Ok(()) => Ok(()),
            Err(_) => Err(format!(
                "fake provider gate: only {} of {} requests with `{}` were in flight together",
                self.arrived.load(Ordering::SeqCst),
                self.count,
                self.marker
            )),
        }
    }
}
