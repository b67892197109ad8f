//! A key-script harness for the TUI: an [`App`] on real channels, keys typed from a short
//! script (`"hi<Enter>"`, `"<C-c>"`, `"<S-Enter>"`), core [`Event`]s fed in, the [`Op`]s it
//! sent read back, and frames drawn on a ratatui `TestBackend`. Time stands still unless the
//! test moves it ([`Harness::wait`]), so time-dependent behaviour is deterministic.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use harness::protocol::{Event, Op};
use harness::tui::clock::{Clock, ManualClock};
use harness::tui::theme::Theme;
use harness::tui::{AgentInfo, App, AppConfig};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::sync::mpsc;

pub struct Harness {
    pub app: App,
    pub ops: mpsc::Receiver<Op>,
    /// For tests that feed events through the channel (the run loop reads it).
    #[allow(dead_code)]
    pub events: mpsc::Sender<Event>,
    pub terminal: Terminal<TestBackend>,
    pub clock: ManualClock,
}

/// A complete stored message as a history page carries it: `role`, `text`, nothing else.
pub fn history_message(
    role: harness::message::Role,
    text: impl Into<String>,
) -> harness::protocol::HistoryMessage {
    harness::protocol::HistoryMessage {
        role,
        text: text.into(),
        reasoning: None,
        tool_calls: vec![],
        tool_call_id: None,
        is_error: false,
        model: None,
        status: harness::message::MessageStatus::Complete,
        route_reason: None,
        usage: None,
    }
}

pub fn test_config() -> AppConfig {
    AppConfig {
        models: vec![
            "opus".into(),
            "sonnet".into(),
            "anthropic/claude-opus-4-6".into(),
            "openai/gpt-5".into(),
        ],
        agents: vec![
            AgentInfo {
                name: "general".into(),
                description: "the built-in general assistant".into(),
                tools: None,
            },
            AgentInfo {
                name: "coder".into(),
                description: "writes and changes code".into(),
                tools: Some(vec!["bash".into(), "read".into(), "edit".into()]),
            },
        ],
        agent: "general".into(),
        model: None,
        theme: Theme::built_in("dark").unwrap(),
        themes_dir: None,
        no_color: false,
        mouse: true,
        ..AppConfig::default()
    }
}

impl Harness {
    pub fn new(width: u16, height: u16) -> Self {
        Self::with_config(width, height, test_config())
    }

    pub fn with_config(width: u16, height: u16, config: AppConfig) -> Self {
        let (ops_tx, ops_rx) = mpsc::channel(1024);
        let (events_tx, events_rx) = mpsc::channel(1024);
        let mut app = App::new(ops_tx, events_rx, config);
        let (clock, handle) = Clock::manual();
        app.set_clock(clock);
        let mut h = Self {
            app,
            ops: ops_rx,
            events: events_tx,
            terminal: Terminal::new(TestBackend::new(width, height)).unwrap(),
            clock: handle,
        };
        assert_eq!(h.take_ops(), [Op::LoadPromptHistory { limit: 1000 }]);
        h
    }

    /// Type a key script: plain characters, or `<Name>` / `<C-x>` / `<S-Enter>` / `<A-Enter>`.
    pub fn keys(&mut self, script: &str) {
        for key in parse_script(script) {
            self.app.handle_key(key);
        }
    }

    /// Let `ms` milliseconds pass.
    pub fn wait(&mut self, ms: u64) {
        self.clock.advance(std::time::Duration::from_millis(ms));
    }

    /// Paste text (a bracketed paste: one event, never keys).
    pub fn paste(&mut self, text: &str) {
        self.app.handle_paste(text);
    }

    pub fn event(&mut self, event: Event) {
        self.app.handle_event(event);
    }

    pub fn events(&mut self, events: impl IntoIterator<Item = Event>) {
        for e in events {
            self.app.handle_event(e);
        }
    }

    /// Every Op sent since the last call.
    pub fn take_ops(&mut self) -> Vec<Op> {
        let mut out = Vec::new();
        while let Ok(op) = self.ops.try_recv() {
            out.push(op);
        }
        out
    }

    /// Draw a frame and return the backend's view (for snapshots).
    pub fn frame(&mut self) -> String {
        self.terminal.draw(|f| self.app.render(f)).unwrap();
        self.terminal.backend().to_string()
    }

    /// Draw and return the screen as plain lines.
    pub fn screen(&mut self) -> Vec<String> {
        self.terminal.draw(|f| self.app.render(f)).unwrap();
        let buf = self.terminal.backend().buffer();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
                    .trim_end()
                    .to_string()
            })
            .collect()
    }

    pub fn screen_contains(&mut self, needle: &str) -> bool {
        self.screen().join("\n").contains(needle)
    }
}

pub fn parse_script(script: &str) -> Vec<KeyEvent> {
    let mut keys = Vec::new();
    let mut chars = script.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '<' {
            keys.push(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
            continue;
        }
        let mut name = String::new();
        for n in chars.by_ref() {
            if n == '>' {
                break;
            }
            name.push(n);
        }
        let (mods, base) = match name
            .split_once('-')
            .filter(|(m, rest)| !rest.is_empty() && m.len() == 1)
        {
            Some(("C", b)) => (KeyModifiers::CONTROL, b.to_string()),
            Some(("S", b)) => (KeyModifiers::SHIFT, b.to_string()),
            Some(("A", b)) => (KeyModifiers::ALT, b.to_string()),
            _ => (KeyModifiers::NONE, name.clone()),
        };
        let code = match base.as_str() {
            "Enter" => KeyCode::Enter,
            "Esc" => KeyCode::Esc,
            "Tab" => KeyCode::Tab,
            "Up" => KeyCode::Up,
            "Down" => KeyCode::Down,
            "Left" => KeyCode::Left,
            "Right" => KeyCode::Right,
            "PgUp" => KeyCode::PageUp,
            "PgDn" => KeyCode::PageDown,
            "Home" => KeyCode::Home,
            "End" => KeyCode::End,
            "BS" => KeyCode::Backspace,
            "Del" => KeyCode::Delete,
            "lt" => KeyCode::Char('<'),
            b if b.chars().count() == 1 => KeyCode::Char(b.chars().next().unwrap()),
            other => panic!("unknown key <{other}> in script"),
        };
        keys.push(KeyEvent::new(code, mods));
    }
    keys
}
