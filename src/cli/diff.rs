//! `harness diff [ID]` (what a conversation changed in its workspace) and `history list
//! --children` (subagent conversations with their parent): thin printers over
//! `core::workspace_diff` and the store's subagent links.

use super::args::DiffArgs;
use super::{CliContext, CliError, CliResult, print_json, print_out};
use crate::store::Store;

pub async fn run(ctx: &CliContext, args: DiffArgs) -> CliResult {
    let store = ctx.open_store()?;
    let id = match args.id {
        Some(prefix) => store.resolve(&prefix).await?,
        None => store.most_recent().await?.ok_or_else(|| {
            CliError::usage("no conversation yet: run `harness run PROMPT` first")
        })?,
    };
    let config = ctx.load_config(&Default::default())?;
    let diff = crate::core::workspace_diff::conversation_diff(&store, config.checkpoints, id)
        .await
        .map_err(CliError::failed)?;
    if diff.is_empty() {
        super::eprint_line(&format!(
            "conversation {id} left no change in its workspace"
        ));
    } else {
        use std::io::IsTerminal;
        // On a terminal the files' bytes must not drive it; a pipe gets the diff as it is.
        if std::io::stdout().is_terminal() {
            print_out(&crate::sanitize::strip(&diff));
        } else {
            print_out(&diff);
        }
    }
    Ok(())
}

/// `history list --children`: newest first, each with the conversation and call it came from.
pub async fn list_children(store: &Store, limit: u32, offset: u32, json: bool) -> CliResult {
    let rows = store
        .subagent_children(None, limit.clamp(1, 10_000), offset)
        .await?;
    if json {
        return print_json(&rows);
    }
    if rows.is_empty() {
        print_out("no subagent conversations yet\n");
        return Ok(());
    }
    let mut out = String::new();
    for c in &rows {
        let id = c.conversation.id.to_string();
        let parent = c.parent_id.to_string();
        out.push_str(&format!(
            "{}  {}  {:<10}  parent {} ({})  {}\n",
            &id[..8],
            c.conversation.updated_at.format("%Y-%m-%d %H:%M"),
            c.conversation.agent,
            &parent[..8],
            c.parent_call_id,
            c.description.replace('\n', " ")
        ));
    }
    print_out(&out);
    Ok(())
}
