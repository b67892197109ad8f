//! What the slash commands do to the App: run a parsed `SlashCommand` (pickers, model and theme
//! changes, history browser, export, copy, quit...) and reset the view for a new or resumed
//! conversation. Parsing and completion live in `tui/commands.rs`.

use super::*;

impl App {
    pub(super) fn set_model(&mut self, choice: ModelChoice) {
        let model = match choice {
            ModelChoice::Auto => None,
            ModelChoice::Ref(r) => Some(r),
        };
        self.send_or_report(Op::SetModel { model });
    }

    pub(super) fn set_theme(&mut self, name: &str) {
        match Theme::load(
            name,
            self.config.themes_dir.as_deref(),
            self.config.no_color,
        ) {
            Ok(theme) => {
                self.theme = theme;
                self.relayout();
            }
            Err(e) => self.inline_error = Some(e.to_string()),
        }
    }

    pub(super) fn execute(&mut self, cmd: SlashCommand) {
        match cmd {
            SlashCommand::Help => self
                .transcript
                .push(HistoryCell::notice(&commands::help_text())),
            SlashCommand::Model(Some(choice)) => self.set_model(choice),
            SlashCommand::Model(None) => {
                let mut items = vec![PickerItem {
                    value: "auto".into(),
                    description: "let the router choose per message".into(),
                    current: self.model.is_none(),
                }];
                items.extend(self.config.models.iter().map(|m| PickerItem {
                    value: m.clone(),
                    description: String::new(),
                    current: self.model.as_deref() == Some(m.as_str()),
                }));
                self.modal = Some(Modal::Picker(Picker::new(PickerKind::Model, items)));
            }
            SlashCommand::Agent(Some(agent)) => self.send_or_report(Op::SetAgent { agent }),
            SlashCommand::Agent(None) => {
                let items = self
                    .config
                    .agents
                    .iter()
                    .map(|a| PickerItem {
                        value: a.name.clone(),
                        description: a.description.clone(),
                        current: a.name == self.agent,
                    })
                    .collect();
                self.modal = Some(Modal::Picker(Picker::new(PickerKind::Agent, items)));
            }
            SlashCommand::History | SlashCommand::Resume(None) => {
                let browser = HistoryBrowser::new();
                self.send_or_report(browser.request());
                self.modal = Some(Modal::History(browser));
            }
            SlashCommand::Resume(Some(id)) => self.send_or_report(Op::Resume {
                conversation_id: id,
            }),
            SlashCommand::New => {
                self.send_or_report(Op::NewConversation);
                self.reset_conversation(None);
            }
            SlashCommand::Title(title) => self.send_or_report(Op::SetTitle { title }),
            SlashCommand::Compact => self.send_or_report(Op::Compact),
            SlashCommand::Tools => {
                let text = match self.config.agents.iter().find(|a| a.name == self.agent) {
                    Some(AgentInfo {
                        tools: Some(tools), ..
                    }) if tools.is_empty() => format!("agent {} has no tools", self.agent),
                    Some(AgentInfo {
                        tools: Some(tools), ..
                    }) => format!("tools of agent {}: {}", self.agent, tools.join(", ")),
                    _ => format!(
                        "tools of agent {}: bash, read, write, edit, glob, grep (all built-in tools)",
                        self.agent
                    ),
                };
                self.transcript.push(HistoryCell::notice(&text));
            }
            SlashCommand::Permissions => self.send_or_report(Op::ListPermissions),
            SlashCommand::Cost => self.send_or_report(Op::Cost),
            SlashCommand::Status => self.modal = Some(Modal::Status),
            SlashCommand::Export { format, path } => {
                self.send_or_report(Op::Export { format, path })
            }
            SlashCommand::Copy(n) => self.copy(n),
            SlashCommand::Undo { force } => self.send_or_report(Op::Undo { force }),
            SlashCommand::Rewind { to, force } => self.send_or_report(Op::Rewind { to, force }),
            SlashCommand::Fork(at) => self.send_or_report(Op::Fork { at }),
            SlashCommand::Theme(Some(name)) => self.set_theme(&name),
            SlashCommand::Theme(None) => {
                let items = crate::tui::theme::available_names(self.config.themes_dir.as_deref())
                    .into_iter()
                    .map(|t| PickerItem {
                        current: t == self.theme.name,
                        value: t,
                        description: String::new(),
                    })
                    .collect();
                self.modal = Some(Modal::Picker(Picker::new(PickerKind::Theme, items)));
            }
            SlashCommand::SandboxBuild => self.build_sandbox_image(),
            SlashCommand::Quit => self.request_quit(),
        }
        self.transcript.scroll_to_bottom();
    }

    pub(super) fn copy(&mut self, block: Option<usize>) {
        let last = self.transcript.cells().rev().find_map(|c| match c {
            HistoryCell::Assistant(a) if !a.text.is_empty() => Some(a.text.clone()),
            _ => None,
        });
        let Some(reply) = last else {
            self.inline_error = Some("nothing to copy yet: /copy copies the last reply".into());
            return;
        };
        let text = match block {
            None => reply,
            Some(n) => {
                let blocks = crate::tui::markdown::code_blocks(&reply);
                match blocks.get(n - 1) {
                    Some(b) => b.clone(),
                    None => {
                        self.inline_error = Some(format!(
                            "the last reply has {} code block{}: use /copy 1..{}",
                            blocks.len(),
                            if blocks.len() == 1 { "" } else { "s" },
                            blocks.len().max(1)
                        ));
                        return;
                    }
                }
            }
        };
        self.hint = Some(format!("copied {} characters", text.chars().count()));
        self.actions.push(HostAction::Copy(text));
    }

    pub(super) fn reset_conversation(&mut self, id: Option<ConversationId>) {
        self.transcript.clear();
        self.conversation = id;
        self.history_start = 0;
        self.history_loading = false;
        self.usage = Usage::default();
        self.approvals.clear();
    }
}
