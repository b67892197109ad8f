//! What the slash commands do to the App: run a parsed `SlashCommand` (pickers, model and theme
//! changes, history browser, export, copy, quit...) and reset the view for a new or resumed
//! conversation. Parsing and completion live in `tui/commands.rs`.

use super::{AgentInfo, App, HostAction, Modal};
use crate::message::{ConversationId, Usage};
use crate::protocol::Op;
use crate::tui::commands::{self, ModelChoice, ResumeTarget, SlashCommand};
use crate::tui::history_cell::HistoryCell;
use crate::tui::popups::history::HistoryBrowser;
use crate::tui::popups::picker::{Picker, PickerItem, PickerKind};
use crate::tui::theme::Theme;

impl App {
    pub(super) fn set_model(&mut self, choice: ModelChoice) -> Result<(), String> {
        let model = match choice {
            ModelChoice::Auto => None,
            ModelChoice::Ref(r) => Some(r),
        };
        self.send_op(Op::SetModel { model })
    }

    pub(super) fn set_theme(&mut self, name: &str) -> Result<(), String> {
        let theme = Theme::load(
            name,
            self.config.themes_dir.as_deref(),
            self.config.no_color,
        )
        .map_err(|e| e.to_string())?;
        self.theme = theme;
        self.relayout();
        Ok(())
    }

    /// Run a parsed command. `Err` is the one-line reason it could not be carried out (the
    /// caller keeps the draft and shows it).
    pub(super) fn execute(&mut self, cmd: SlashCommand) -> Result<(), String> {
        if cmd.waits_for_the_turn() && self.transcript.busy() {
            return Err(format!(
                "a turn is running: wait for it to end or interrupt it (Esc), then run /{} again",
                cmd.spec().name
            ));
        }
        match cmd {
            SlashCommand::Help => {
                let text = commands::help_text(&self.custom);
                self.transcript.cells.push(HistoryCell::notice(&text));
            }
            SlashCommand::Model(Some(choice)) => self.set_model(choice)?,
            SlashCommand::Model(None) => self.open_model_picker(),
            SlashCommand::Agent(Some(agent)) => self.send_op(Op::SetAgent { agent })?,
            SlashCommand::Agent(None) => self.open_picker(PickerKind::Agent),
            SlashCommand::History | SlashCommand::Resume(None) => {
                let browser = HistoryBrowser::new();
                self.send_op(browser.request())?;
                self.popups.modal = Some(Modal::History(browser));
            }
            SlashCommand::Resume(Some(ResumeTarget::Id(id))) => self.send_op(Op::Resume {
                conversation_id: id,
            })?,
            SlashCommand::Resume(Some(ResumeTarget::Prefix(prefix))) => {
                self.send_op(Op::ResumePrefix { prefix })?
            }
            SlashCommand::New => {
                self.send_op(Op::NewConversation)?;
                self.reset_conversation(None);
            }
            SlashCommand::Title(title) => self.send_op(Op::SetTitle { title })?,
            SlashCommand::Compact => self.send_op(Op::Compact)?,
            SlashCommand::Tools => {
                let text = self.tools_text();
                self.transcript.cells.push(HistoryCell::notice(&text));
            }
            SlashCommand::Permissions => self.send_op(Op::ListPermissions)?,
            SlashCommand::Mcp => self.send_op(Op::ListMcpServers)?,
            SlashCommand::Cost => self.send_op(Op::Cost)?,
            SlashCommand::Undo { force } => self.send_op(Op::Undo { force })?,
            SlashCommand::Diff => self.send_op(Op::Diff)?,
            SlashCommand::Rewind { to, force } => self.send_op(Op::Rewind { to, force })?,
            SlashCommand::Fork(at) => self.send_op(Op::Fork { at })?,
            SlashCommand::Status => self.popups.modal = Some(Modal::Status),
            SlashCommand::Export { format, path } => self.send_op(Op::Export { format, path })?,
            SlashCommand::Copy(n) => self.copy(n)?,
            SlashCommand::Theme(Some(name)) => self.set_theme(&name)?,
            SlashCommand::Theme(None) => self.open_picker(PickerKind::Theme),
            SlashCommand::SandboxBuild => self.build_sandbox_image()?,
            SlashCommand::Jobs => self.list_jobs()?,
            SlashCommand::Memory(query) => self.send_op(Op::SearchMemory { query })?,
            SlashCommand::Remember(text) => self.send_op(Op::Remember { text })?,
            SlashCommand::Quit => self.request_quit(),
        }
        self.transcript.cells.scroll_to_bottom();
        Ok(())
    }

    /// `/model`, `/agent` or `/theme` without an argument: pick from a list, the current one
    /// marked.
    fn open_picker(&mut self, kind: PickerKind) {
        let item = |value: &str, description: &str, current: bool| PickerItem {
            value: value.to_string(),
            description: description.to_string(),
            current,
        };
        let items: Vec<PickerItem> = match kind {
            PickerKind::Model => self.model_picker_items(),
            PickerKind::Agent => self
                .config
                .agents
                .iter()
                .map(|a| item(&a.name, &a.description, a.name == self.session.agent))
                .collect(),
            PickerKind::Theme => {
                crate::tui::theme::available_names(self.config.themes_dir.as_deref())
                    .iter()
                    .map(|t| item(t, "", *t == self.theme.name))
                    .collect()
            }
        };
        self.popups.modal = Some(Modal::Picker(Picker::new(kind, items)));
    }

    /// The answer to `/tools`.
    fn tools_text(&self) -> String {
        let agent = &self.session.agent;
        match self.config.agents.iter().find(|a| &a.name == agent) {
            Some(AgentInfo {
                tools: Some(tools), ..
            }) if tools.is_empty() => format!("agent {agent} has no tools"),
            Some(AgentInfo {
                tools: Some(tools), ..
            }) => format!("tools of agent {agent}: {}", tools.join(", ")),
            _ => format!(
                "tools of agent {agent}: bash, read, write, edit, glob, grep (all built-in tools)"
            ),
        }
    }

    pub(super) fn copy(&mut self, block: Option<usize>) -> Result<(), String> {
        let last = self.transcript.cells.cells().rev().find_map(|c| match c {
            HistoryCell::Assistant(a) if !a.text.is_empty() => Some(a.text.clone()),
            _ => None,
        });
        let reply = last.ok_or("nothing to copy yet: /copy copies the last reply")?;
        let text = match block {
            None => reply,
            Some(n) => {
                let blocks = crate::tui::markdown::code_blocks(&reply);
                let Some(b) = blocks.get(n - 1) else {
                    return Err(format!(
                        "the last reply has {} code block{}: use /copy 1..{}",
                        blocks.len(),
                        if blocks.len() == 1 { "" } else { "s" },
                        blocks.len().max(1)
                    ));
                };
                b.clone()
            }
        };
        self.status
            .say(format!("copied {} characters", text.chars().count()));
        self.actions.push(HostAction::Copy(text));
        Ok(())
    }

    pub(super) fn reset_conversation(&mut self, id: Option<ConversationId>) {
        self.transcript.reset(0);
        self.session.conversation = id;
        self.session.usage = Usage::default();
        self.approvals.dialogs.clear();
    }
}
