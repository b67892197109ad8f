//! `/jobs`: the scheduled jobs, their next run, last status and the last run's conversation
//! (`/resume ID` opens it). Job data lives in the store, which the TUI never touches: the host
//! (`cli`) supplies a [`JobsLister`] that reads it and answers with a notice on the App's event
//! channel.

use super::App;
use std::sync::Arc;

/// Starts listing the jobs in the background; the list comes back as an `Event::Notice`.
#[derive(Clone)]
pub struct JobsLister(Arc<dyn Fn() + Send + Sync>);

impl JobsLister {
    pub fn new(list: impl Fn() + Send + Sync + 'static) -> Self {
        Self(Arc::new(list))
    }
}

impl std::fmt::Debug for JobsLister {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JobsLister")
    }
}

impl App {
    pub(super) fn list_jobs(&mut self) -> Result<(), String> {
        match &self.config.jobs_lister {
            Some(lister) => {
                (lister.0)();
                Ok(())
            }
            None => Err("jobs are not available here: use `harness jobs list`".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::AppConfig;
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn slash_jobs_asks_the_host_for_the_list() {
        let asked = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&asked);
        let (ops, _ops_rx) = tokio::sync::mpsc::channel(16);
        let (_events_tx, events) = tokio::sync::mpsc::channel(16);
        let config = AppConfig {
            jobs_lister: Some(JobsLister::new(move || {
                counter.fetch_add(1, Ordering::SeqCst);
            })),
            ..AppConfig::default()
        };
        let mut app = App::new(ops, events, config);
        app.set_draft("/jobs");
        app.handle_key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Enter,
            crossterm::event::KeyModifiers::NONE,
        ));
        assert_eq!(asked.load(Ordering::SeqCst), 1);
    }
}
