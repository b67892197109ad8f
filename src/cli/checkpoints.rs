//! `harness undo`, `harness checkpoints list|prune`, `harness rewind`, `harness fork`: thin
//! printers over `checkpoint::actions` and the store. Conversation and message ids accept a
//! unique prefix. JSON shapes are stable: fields may be added, none renamed or removed.

use super::args::{CheckpointsCommand, ForkArgs, RewindArgs, UndoArgs};
use super::{CliContext, CliError, CliResult, eprint_line, print_json, print_out};
use crate::checkpoint::actions::{self, FileSummary, TurnSummary};
use crate::checkpoint::restore::RestoreReport;
use crate::checkpoint::{CheckpointError, Checkpoints, prune};
use crate::message::{ConversationId, MessageId, Role};
use crate::sanitize::strip;
use crate::store::{Store, StoredMessage};
use serde::Serialize;

impl From<CheckpointError> for CliError {
    fn from(e: CheckpointError) -> Self {
        match e {
            CheckpointError::Invalid(m) => CliError::usage(m),
            other => CliError::failed(other.to_string()),
        }
    }
}

/// The checkpoint store of this profile, after pruning what `keep_days` says (said on stderr).
fn checkpoints(ctx: &CliContext) -> Result<Checkpoints, CliError> {
    let config = ctx.load_config(&crate::config::Overrides::default())?;
    let cps = Checkpoints::beside_db(&ctx.paths.db, config.checkpoints);
    if let Some(notice) = prune::prune_once(&cps) {
        eprint_line(&notice);
    }
    Ok(cps)
}

async fn conversation(store: &Store, id: Option<&str>) -> Result<ConversationId, CliError> {
    match id {
        Some(id) => Ok(store.resolve(id).await?),
        None => store.most_recent().await?.ok_or_else(|| {
            CliError::usage("no conversations yet: there is nothing to undo or list")
        }),
    }
}

/// The active message of `conversation` whose id is `prefix` or starts with it.
fn message(
    messages: &[StoredMessage],
    conversation: ConversationId,
    prefix: &str,
) -> Result<MessageId, CliError> {
    let prefix = prefix.trim().to_ascii_lowercase();
    let found: Vec<&StoredMessage> = messages
        .iter()
        .filter(|m| !prefix.is_empty() && m.id.to_string().starts_with(&prefix))
        .collect();
    match found.as_slice() {
        [one] => Ok(one.id),
        [] => Err(CliError::usage(format!(
            "no message `{prefix}` in the active history of conversation {conversation}: see `harness checkpoints list {conversation}`"
        ))),
        _ => Err(CliError::usage(format!(
            "message id `{prefix}` is ambiguous ({} messages start with it): give more of it",
            found.len()
        ))),
    }
}

fn report_text(report: &RestoreReport) -> String {
    let mut out = String::new();
    for line in report.lines() {
        out.push_str(&format!("  {}\n", strip(&line)));
    }
    if report.restored.is_empty() && report.removed.is_empty() {
        out.push_str("  (the files were already as before)\n");
    }
    out
}

pub async fn undo(ctx: &CliContext, args: UndoArgs) -> CliResult {
    let store = ctx.open_store()?;
    let cps = checkpoints(ctx)?;
    let id = conversation(&store, args.conversation.as_deref()).await?;
    let force = args.force;
    let done = tokio::task::spawn_blocking(move || actions::undo(&cps, id, force))
        .await
        .map_err(|e| CliError::failed(format!("undo failed unexpectedly: {e}")))??;
    if args.json {
        return print_json(&done);
    }
    print_out(&format!(
        "undid the turn of message {} in {}:\n{}",
        done.message_id,
        done.report.workspace.display(),
        report_text(&done.report)
    ));
    Ok(())
}

pub async fn rewind(ctx: &CliContext, args: RewindArgs) -> CliResult {
    let store = ctx.open_store()?;
    let cps = checkpoints(ctx)?;
    let id = conversation(&store, Some(&args.id)).await?;
    let messages = store.messages(id).await?;
    let to = message(&messages, id, &args.to)?;
    let done = actions::rewind(&store, &cps, id, to, args.force).await?;
    if args.json {
        return print_json(&done);
    }
    let mut text = format!(
        "rewound conversation {id} to before message {to}: {} message(s) kept aside as a branch, {} turn(s) of file changes undone\n",
        done.messages, done.turns
    );
    if done.turns > 0 {
        text.push_str(&report_text(&done.report));
    }
    text.push_str(&format!("continue with: harness --resume {id}\n"));
    print_out(&text);
    Ok(())
}

pub async fn fork(ctx: &CliContext, args: ForkArgs) -> CliResult {
    let store = ctx.open_store()?;
    let id = conversation(&store, Some(&args.id)).await?;
    let at = match &args.at {
        Some(prefix) => Some(message(&store.messages(id).await?, id, prefix)?),
        None => None,
    };
    let fork = actions::fork(&store, id, at).await?;
    print_out(&format!("{fork}\n"));
    Ok(())
}

/// One user turn in `checkpoints list`: every turn of the active branch is listed (its id is
/// what `rewind --to` takes), with the files it changed when it has a checkpoint.
#[derive(Debug, Serialize)]
struct ListedTurn {
    message_id: MessageId,
    time: chrono::DateTime<chrono::Utc>,
    text: String,
    /// The workspace the files are in (absent: the turn changed no file).
    #[serde(skip_serializing_if = "Option::is_none")]
    workspace: Option<std::path::PathBuf>,
    files: Vec<FileSummary>,
    notes: Vec<String>,
    undone: bool,
}

pub async fn run(ctx: &CliContext, cmd: CheckpointsCommand) -> CliResult {
    match cmd {
        CheckpointsCommand::Prune => {
            let config = ctx.load_config(&crate::config::Overrides::default())?;
            let cps = Checkpoints::beside_db(&ctx.paths.db, config.checkpoints);
            let pruned = prune::prune(&cps)?;
            print_out(&format!(
                "{}\n",
                pruned
                    .message()
                    .unwrap_or_else(|| "checkpoints: nothing to prune".to_string())
            ));
            Ok(())
        }
        CheckpointsCommand::List { id, json } => {
            let store = ctx.open_store()?;
            let cps = checkpoints(ctx)?;
            let id = conversation(&store, id.as_deref()).await?;
            let messages = store.messages(id).await?;
            let mut turns = actions::list(&cps, id)?;
            let listed: Vec<ListedTurn> = messages
                .iter()
                .filter(|m| m.role == Role::User)
                .map(|m| {
                    let at = turns.iter().position(|t| t.message_id == m.id);
                    let cp: Option<TurnSummary> = at.map(|i| turns.remove(i));
                    ListedTurn {
                        message_id: m.id,
                        time: m.created_at,
                        text: first_line(&m.content),
                        workspace: cp.as_ref().map(|c| c.workspace.clone()),
                        undone: cp.as_ref().is_some_and(|c| c.undone),
                        notes: cp.as_ref().map(|c| c.notes.clone()).unwrap_or_default(),
                        files: cp.map(|c| c.files).unwrap_or_default(),
                    }
                })
                .collect();
            if json {
                return print_json(&listed);
            }
            print_out(&list_text(id, &listed));
            Ok(())
        }
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() > 60 {
        format!("{}…", line.chars().take(59).collect::<String>())
    } else {
        line.to_string()
    }
}

fn list_text(id: ConversationId, turns: &[ListedTurn]) -> String {
    if turns.is_empty() {
        return format!("conversation {id} has no turns yet\n");
    }
    let mut out = format!("conversation {id}: turns, oldest first\n");
    for t in turns {
        out.push_str(&format!(
            "{}  {}  {}\n",
            t.message_id,
            t.time.format("%Y-%m-%d %H:%M:%S"),
            strip(&t.text)
        ));
        if t.files.is_empty() && t.notes.is_empty() {
            out.push_str("    (no file changes)\n");
            continue;
        }
        if t.undone {
            out.push_str("    (undone)\n");
        }
        for f in &t.files {
            let size = |s: Option<u64>| s.map_or("-".to_string(), |b| format!("{b} B"));
            out.push_str(&format!(
                "    {:<8} {}  ({} -> {}, {})\n",
                f.change,
                strip(&f.path),
                size(f.size_before),
                size(f.size_after),
                f.tool
            ));
        }
        for note in &t.notes {
            out.push_str(&format!("    note: {}\n", strip(note)));
        }
    }
    out
}
