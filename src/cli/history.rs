//! `harness history list|show|search|delete|restore|export|import`: thin printers over the
//! store. Their JSON shapes are stable: fields may be added, none renamed or removed.

use super::args::{ExportFormat, HistoryCommand};
use super::{CliContext, CliError, CliResult, print_json, print_out};
use crate::message::{ConversationSummary, Role};
use crate::store::export::to_markdown;
use crate::store::{ExportedConversation, ListQuery, Store};

/// Long by design: one arm per `history` subcommand.
pub async fn run(ctx: &CliContext, cmd: HistoryCommand) -> CliResult {
    let store = ctx.open_store()?;
    match cmd {
        HistoryCommand::List {
            json,
            limit,
            offset,
            query,
            agent,
            deleted,
            children,
        } => {
            if children {
                return super::diff::list_children(&store, limit, offset, json).await;
            }
            let rows = store
                .list_conversations(ListQuery {
                    limit: limit.clamp(1, 10_000),
                    offset,
                    query,
                    agent,
                    deleted,
                    include_deleted: false,
                })
                .await?;
            if json {
                print_json(&rows)
            } else {
                print_out(&list_text(&rows, deleted));
                Ok(())
            }
        }
        HistoryCommand::Show { id, json, markdown } => {
            let doc = load(&store, &id).await?;
            if json {
                print_json(&doc)
            } else if markdown {
                print_out(&to_markdown(&doc));
                Ok(())
            } else {
                print_out(&show_text(&doc));
                Ok(())
            }
        }
        HistoryCommand::Search { text, json, limit } => {
            let hits = store.search(&text, limit.clamp(1, 10_000)).await?;
            if json {
                return print_json(&hits);
            }
            if hits.is_empty() {
                print_out(&format!("no messages match `{text}`\n"));
            }
            let mut out = String::new();
            for h in &hits {
                out.push_str(&format!(
                    "{}  {:<9}  {}  {}\n",
                    short(&h.conversation_id.to_string()),
                    h.role.as_str(),
                    h.created_at.format("%Y-%m-%d %H:%M"),
                    one_line(&h.snippet)
                ));
            }
            print_out(&out);
            Ok(())
        }
        HistoryCommand::Delete { id } => {
            let id = store.resolve(&id).await?;
            store.delete(id).await?;
            print_out(&format!(
                "deleted {id} (undo with: harness history restore {id})\n"
            ));
            Ok(())
        }
        HistoryCommand::Restore { id } => {
            let id = store.resolve(&id).await?;
            store.restore(id).await?;
            print_out(&format!("restored {id}\n"));
            Ok(())
        }
        HistoryCommand::Export { id, format } => {
            let doc = load(&store, &id).await?;
            match format {
                ExportFormat::Json => print_json(&doc),
                ExportFormat::Markdown => {
                    print_out(&to_markdown(&doc));
                    Ok(())
                }
            }
        }
        HistoryCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::usage(format!("cannot read {}: {e}", file.display())))?;
            let doc: ExportedConversation = serde_json::from_str(&text).map_err(|e| {
                CliError::usage(format!(
                    "{} is not a harness JSON export ({e}): use a file written by `harness history export ID --format json`",
                    file.display()
                ))
            })?;
            let original = doc.id;
            let id = store.import(doc).await?;
            if id == original {
                print_out(&format!("imported {id}\n"));
            } else {
                print_out(&format!(
                    "imported {original} as {id} (the original id is taken)\n"
                ));
            }
            Ok(())
        }
    }
}

async fn load(store: &Store, id: &str) -> Result<ExportedConversation, CliError> {
    let id = store.resolve(id).await?;
    Ok(store.export(id).await?)
}

fn short(id: &str) -> &str {
    id.get(..13).unwrap_or(id)
}

fn one_line(text: &str) -> String {
    crate::sanitize::strip(text)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn list_text(rows: &[ConversationSummary], deleted: bool) -> String {
    if rows.is_empty() {
        return if deleted {
            "no deleted conversations\n".to_string()
        } else {
            "no conversations yet: start one with `harness` or `harness run PROMPT`\n".to_string()
        };
    }
    let mut out = String::new();
    for r in rows {
        let title = if r.title.is_empty() {
            "(untitled)"
        } else {
            &r.title
        };
        out.push_str(&format!(
            "{}  {}  {:>5} msgs  {:<10} {:<28} {}\n",
            r.id,
            r.updated_at.format("%Y-%m-%d %H:%M"),
            r.message_count,
            r.agent,
            r.model.as_deref().unwrap_or("auto"),
            one_line(title)
        ));
    }
    out
}

fn show_text(doc: &ExportedConversation) -> String {
    let mut out = format!(
        "{}  {}\nagent {}  model {}  created {}  updated {}\n",
        doc.id,
        if doc.title.is_empty() {
            "(untitled)".to_string()
        } else {
            one_line(&doc.title)
        },
        doc.agent,
        doc.model.as_deref().unwrap_or("auto"),
        doc.created_at.format("%Y-%m-%d %H:%M"),
        doc.updated_at.format("%Y-%m-%d %H:%M"),
    );
    for m in &doc.messages {
        let mut head = format!("\n[{}] {}", m.ordinal, m.role.as_str());
        if let Some(model) = &m.model {
            head.push_str(&format!(" · {model}"));
        }
        if let Some(reason) = &m.route_reason {
            head.push_str(&format!(" · {reason}"));
        }
        if m.status != crate::message::MessageStatus::Complete {
            head.push_str(&format!(" · {}", m.status.as_str()));
        }
        out.push_str(&head);
        out.push('\n');
        if m.role == Role::Tool {
            out.push_str(&format!(
                "(result of {})\n",
                m.tool_call_id.as_deref().unwrap_or("?")
            ));
        }
        if !m.content.is_empty() {
            // The user's own text shows its controls; model and tool text loses them.
            out.push_str(&if m.role == Role::User {
                crate::sanitize::show(&m.content)
            } else {
                crate::sanitize::strip(&m.content)
            });
            out.push('\n');
        }
        for call in &m.tool_calls {
            out.push_str(&format!("→ {} {}\n", call.name, call.arguments));
        }
    }
    out
}
