//! The session's answers to front-end questions that are not part of a turn: the /history
//! browser's listing, delete and restore, paging in older messages, prompt recall, /export,
//! /permissions and the status-line figures. (A child module of `session`, so it works on the session's state.)

use super::Session;
use crate::message::ConversationId;
use crate::protocol::{Event, ExportFormat, HistoryMessage, PermissionRule};
use crate::store::{ListQuery, StoredMessage};

impl Session {
    pub(super) async fn list_conversations(
        &self,
        query: Option<String>,
        offset: usize,
        limit: usize,
        include_deleted: bool,
    ) {
        let q = ListQuery {
            limit: u32::try_from(limit.clamp(1, 1000)).unwrap_or(50),
            offset: u32::try_from(offset).unwrap_or(u32::MAX),
            query: query.clone(),
            agent: None,
            deleted: false,
            include_deleted,
        };
        match self.deps.store.list_with_total(q).await {
            Ok((conversations, total)) => self.reply(Event::ConversationList {
                query,
                offset,
                total: total as usize,
                conversations,
            }),
            Err(e) => self.error(e.to_string()),
        }
    }

    pub(super) async fn set_deleted(&self, id: ConversationId, deleted: bool) {
        let result = if deleted {
            self.deps.store.delete(id).await
        } else {
            self.deps.store.restore(id).await
        };
        match result {
            Ok(()) => self.reply(Event::ConversationDeleted {
                conversation_id: id,
                deleted,
            }),
            Err(e) => self.error(e.to_string()),
        }
    }

    /// Stored messages `[before - limit, before)` of the current conversation (0-based).
    pub(super) async fn history_page(&self, before: usize, limit: usize) {
        let Some(id) = self.conversation else {
            return;
        };
        let limit = u32::try_from(limit.clamp(1, 2000)).unwrap_or(200);
        let ordinal_bound = i64::try_from(before).unwrap_or(i64::MAX).saturating_add(1);
        match self
            .deps
            .store
            .messages_page(id, Some(ordinal_bound), limit)
            .await
        {
            Ok(rows) => {
                let start = rows
                    .first()
                    .map_or(before, |m| usize::try_from(m.ordinal - 1).unwrap_or(0));
                self.reply(Event::HistoryPage {
                    conversation_id: id,
                    start,
                    total: self.stored_count,
                    messages: rows.into_iter().map(history_message).collect(),
                });
            }
            Err(e) => self.error(e.to_string()),
        }
    }

    pub(super) async fn prompt_history(&self, limit: usize) {
        let limit = u32::try_from(limit.clamp(1, 10_000)).unwrap_or(1000);
        match self.deps.store.recent_prompts(limit).await {
            Ok(mut prompts) => {
                prompts.reverse();
                self.reply(Event::PromptHistory { prompts });
            }
            Err(e) => self.error(e.to_string()),
        }
    }

    pub(super) async fn export(&self, format: ExportFormat, path: Option<String>) {
        let Some(id) = self.conversation.filter(|_| self.stored_count > 0) else {
            return self.error("nothing to export yet: send a message first".to_string());
        };
        let doc = match self.deps.store.export(id).await {
            Ok(doc) => doc,
            Err(e) => return self.error(e.to_string()),
        };
        let (text, ext) = match format {
            ExportFormat::Markdown => (crate::store::export::to_markdown(&doc), "md"),
            ExportFormat::Json => match serde_json::to_string_pretty(&doc) {
                Ok(t) => (t, "json"),
                Err(e) => return self.error(format!("cannot encode the export: {e}")),
            },
        };
        let short: String = id.to_string().chars().take(8).collect();
        let target = match path.filter(|p| !p.trim().is_empty()) {
            Some(p) => {
                let p = std::path::PathBuf::from(p.trim());
                if p.is_absolute() {
                    p
                } else {
                    self.deps.workspace.join(p)
                }
            }
            None => self.deps.workspace.join(format!("harness-{short}.{ext}")),
        };
        let written = tokio::fs::write(&target, text).await;
        match written {
            Ok(()) => self.reply(Event::Notice {
                message: format!("exported to {}", target.display()),
            }),
            Err(e) => self.error(format!("cannot write {}: {e}", target.display())),
        }
    }

    /// `/permissions`: the rules in force, where each came from, and what always asks.
    pub(super) fn list_permissions(&self) {
        let policy = &self.permissions.policy;
        let rules = policy
            .rules_in_force()
            .map(|r| PermissionRule {
                kind: r.kind.as_str().to_string(),
                rule: r.text.clone(),
                source: match r.line {
                    Some(line) => format!("{}:{line}", r.source),
                    None => r.source.to_string(),
                },
            })
            .collect();
        let credentials: Vec<String> = crate::permissions::paths::CREDENTIAL_PATHS
            .iter()
            .map(|p| format!("~/{p}"))
            .collect();
        self.reply(Event::Permissions {
            mode: policy.mode,
            rules,
            always_ask: vec![
                "writes under .git/ and .harness/".to_string(),
                format!("any access to credentials: {}", credentials.join(", ")),
                "any access to harness's own config file, agents and database".to_string(),
            ],
            warnings: policy.rules.warnings.clone(),
        });
    }

    /// The status-line figures: context in use, window of the model in use, cost so far.
    pub(super) fn emit_stats(&self) {
        let system = self.system_prompt();
        let tools = self.tools.specs();
        let window = self
            .last_model
            .as_ref()
            .map(|m| self.deps.context_window(m));
        self.emit(Event::SessionStats {
            context_tokens: self.estimate(&system, &tools),
            context_window: window,
            cost_usd: (self.cost_total > 0.0).then_some(self.cost_total),
            sandbox: self.deps.config.sandbox.backend.as_str().to_string(),
            today_usd: self.ledger.today_usd,
            daily_budget_usd: self.deps.config.budgets.daily_usd,
        });
    }
}

fn history_message(m: StoredMessage) -> HistoryMessage {
    HistoryMessage {
        role: m.role,
        text: m.content,
        reasoning: m.reasoning,
        tool_calls: m.tool_calls,
        tool_call_id: m.tool_call_id,
        is_error: m.is_error,
        model: m.model,
        status: m.status,
        route_reason: m.route_reason,
        usage: (m.input_tokens.is_some() || m.output_tokens.is_some()).then(|| {
            crate::message::Usage {
                input_tokens: m.input_tokens.unwrap_or(0),
                output_tokens: m.output_tokens.unwrap_or(0),
                ..Default::default()
            }
        }),
    }
}
