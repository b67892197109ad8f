//! The App's first-run help: with no provider, a message is not sent and the guidance is shown
//! again; when a tool call fails because the default sandbox image is not built, the App offers
//! `/sandbox build` once, and that command starts the host-supplied [`ImageBuilder`], whose
//! progress arrives as notices.

use super::App;
use crate::tui::history_cell::HistoryCell;
use std::sync::Arc;

/// Starts building the default sandbox image in the background. Progress and the outcome come
/// back to the App as `Event::Notice`s on its event channel.
#[derive(Clone)]
pub struct ImageBuilder(Arc<dyn Fn() + Send + Sync>);

impl ImageBuilder {
    pub fn new(start: impl Fn() + Send + Sync + 'static) -> Self {
        Self(Arc::new(start))
    }
}

impl std::fmt::Debug for ImageBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ImageBuilder")
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum ImageOffer {
    #[default]
    NotYet,
    Offered,
    Building,
}

/// The text every "image not built" tool error carries (`config::sandbox::missing_image_message`).
const MISSING_IMAGE_MARK: &str = "is not built yet: run `harness sandbox build`";

impl App {
    /// With no provider, say so instead of sending; true when the message was held back.
    pub(super) fn refuse_without_provider(&mut self) -> bool {
        let Some(guidance) = &self.config.setup_guidance else {
            return false;
        };
        let text = format!(
            "not sent: {}\nQuit (Ctrl+C twice), set a provider up, and start harness again.",
            guidance.join("\n")
        );
        self.transcript.cells.push(HistoryCell::error(&text));
        self.transcript.cells.scroll_to_bottom();
        true
    }

    /// After a tool result: offer the image build once when the default image is missing.
    pub(super) fn offer_image_build(&mut self, output: &str, is_error: bool) {
        if !is_error
            || self.image_offer != ImageOffer::NotYet
            || self.config.image_builder.is_none()
            || !output.contains(MISSING_IMAGE_MARK)
        {
            return;
        }
        self.image_offer = ImageOffer::Offered;
        self.transcript.cells.push(HistoryCell::notice(
            "The sandbox image is not built yet. Type /sandbox build to build it now (a few \
             minutes, once per harness version); tool calls use it as soon as it is ready.",
        ));
    }

    /// `/sandbox build`.
    pub(super) fn build_sandbox_image(&mut self) -> Result<(), String> {
        let Some(builder) = self.config.image_builder.clone() else {
            return Err(
                "the sandbox here is not the default Docker image: run `harness sandbox build` in a shell if you need it"
                    .into(),
            );
        };
        if self.image_offer == ImageOffer::Building {
            self.status.say("the sandbox image is already being built");
            return Ok(());
        }
        self.image_offer = ImageOffer::Building;
        (builder.0)();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::protocol::Event;
    use crate::tui::app::{App, AppConfig};
    use crate::tui::history_cell::HistoryCell;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn app(config: AppConfig) -> (App, tokio::sync::mpsc::Receiver<crate::protocol::Op>) {
        let (ops, ops_rx) = tokio::sync::mpsc::channel(16);
        let (_events_tx, events) = tokio::sync::mpsc::channel(16);
        (App::new(ops, events, config), ops_rx)
    }

    fn type_line(app: &mut App, text: &str) {
        use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
        app.set_draft(text);
        app.handle_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    }

    fn texts(app: &App) -> Vec<String> {
        app.transcript
            .cells
            .cells()
            .map(|c| match c {
                HistoryCell::Notice { text } => text.clone(),
                HistoryCell::Error { message } => message.clone(),
                _ => String::new(),
            })
            .collect()
    }

    #[test]
    fn without_a_provider_a_message_is_held_back_with_the_guidance() {
        let (mut app, mut ops) = app(AppConfig {
            setup_guidance: Some(vec!["No model provider is set up yet.".into()]),
            ..AppConfig::default()
        });
        while ops.try_recv().is_ok() {}
        type_line(&mut app, "hello");
        assert!(ops.try_recv().is_err(), "nothing sent");
        assert!(!app.is_busy());
        let all = texts(&app).join("\n");
        assert!(
            all.contains("not sent: No model provider is set up yet."),
            "{all}"
        );
    }

    #[test]
    fn a_missing_default_image_is_offered_once_and_built_on_command() {
        let started = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&started);
        let (mut app, _ops) = app(AppConfig {
            image_builder: Some(super::ImageBuilder::new(move || {
                counter.fetch_add(1, Ordering::SeqCst);
            })),
            ..AppConfig::default()
        });
        let missing = crate::config::sandbox::missing_image_message();
        for _ in 0..2 {
            app.handle_event(Event::ToolCallEnd {
                id: "c1".into(),
                output: missing.clone(),
                is_error: true,
            });
        }
        let offers = texts(&app)
            .iter()
            .filter(|t| t.contains("Type /sandbox build"))
            .count();
        assert_eq!(offers, 1);
        type_line(&mut app, "/sandbox build");
        type_line(&mut app, "/sandbox build");
        assert_eq!(started.load(Ordering::SeqCst), 1, "one build at a time");
    }

    #[test]
    fn other_tool_errors_offer_nothing() {
        let (mut app, _ops) = app(AppConfig {
            image_builder: Some(super::ImageBuilder::new(|| {})),
            ..AppConfig::default()
        });
        app.handle_event(Event::ToolCallEnd {
            id: "c1".into(),
            output: "exit code 1".into(),
            is_error: true,
        });
        assert!(texts(&app).iter().all(|t| !t.contains("/sandbox build")));
    }
}
