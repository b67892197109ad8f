//! `harness memory add|list|search|delete|reindex` (README "Memory") and `harness profiles`:
//! thin printers over `memory::MemoryService` of the current profile. Notes about how a search
//! was done (a fallback to full text, memories embedded by another model) go to stderr, so
//! `--json` output stays clean.

use super::{CliContext, CliError, CliResult, eprint_line, print_json, print_out};
use crate::config::Overrides;
use crate::memory::{MemoryError, MemoryService};
use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum MemoryCommand {
    /// Remember a fact; prints the new id.
    Add {
        #[arg(required = true, num_args = 1.., value_name = "TEXT")]
        text: Vec<String>,
    },
    /// Memories of this profile, newest first.
    List {
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Hybrid search (meaning and words), best first.
    Search {
        #[arg(required = true, num_args = 1.., value_name = "QUERY")]
        query: Vec<String>,
        #[arg(long)]
        json: bool,
        #[arg(long, default_value_t = 10)]
        limit: u32,
    },
    /// Forget a memory (a unique prefix of its id is enough).
    Delete { id: String },
    /// Re-embed every memory with the configured embedding model.
    Reindex,
}

impl From<MemoryError> for CliError {
    fn from(e: MemoryError) -> Self {
        match e {
            MemoryError::Store(e) => e.into(),
            other => CliError::failed(other.to_string()),
        }
    }
}

async fn service(ctx: &CliContext) -> Result<MemoryService, CliError> {
    let config = ctx.load_config(&Overrides::default())?;
    let store = ctx.open_store()?;
    let health = std::sync::Arc::new(crate::providers::health::HealthRegistry::default());
    let providers = crate::providers::ProviderSet::from_config(&config, health)
        .map_err(|e| CliError::usage(format!("config error: {e}")))?;
    Ok(MemoryService::new(store, &providers, &config.memory))
}

pub async fn run(ctx: &CliContext, cmd: MemoryCommand) -> CliResult {
    let memory = service(ctx).await?;
    match cmd {
        MemoryCommand::Add { text } => {
            let (row, note) = memory.add(&text.join(" "), "cli").await?;
            if let Some(note) = note {
                eprint_line(&format!("harness: {note}"));
            }
            print_out(&format!("{}\n", row.id));
        }
        MemoryCommand::List { json, limit } => {
            let rows = memory.list(limit).await?;
            if json {
                return print_json(&rows);
            }
            if rows.is_empty() {
                print_out("no memories: add one with `harness memory add TEXT`\n");
                return Ok(());
            }
            let mut out = String::new();
            for r in &rows {
                out.push_str(&format!(
                    "{}  {}  {}\n",
                    r.id,
                    r.created_at.format("%Y-%m-%d %H:%M"),
                    crate::sanitize::strip(&crate::memory::recall::preview(&r.text, 100))
                ));
            }
            print_out(&out);
        }
        MemoryCommand::Search { query, json, limit } => {
            let found = memory.search(&query.join(" "), limit).await?;
            for note in &found.notes {
                eprint_line(&format!("harness: {note}"));
            }
            if json {
                return print_json(&found.hits);
            }
            if found.hits.is_empty() {
                print_out("no memories match\n");
                return Ok(());
            }
            let mut out = String::new();
            for h in &found.hits {
                out.push_str(&format!(
                    "{}  {:.3}  {}\n",
                    h.id,
                    h.score,
                    crate::sanitize::strip(&crate::memory::recall::preview(&h.text, 100))
                ));
            }
            print_out(&out);
        }
        MemoryCommand::Delete { id } => {
            let id = memory.delete(&id).await?;
            print_out(&format!("deleted {id}\n"));
        }
        MemoryCommand::Reindex => {
            let n = memory.reindex().await?;
            print_out(&format!(
                "re-embedded {n} memories with {}\n",
                memory.model_reference()
            ));
        }
    }
    Ok(())
}

/// `harness profiles [--json]`: every profile that owns something, with counts.
pub async fn profiles(ctx: &CliContext, json: bool) -> CliResult {
    let store = ctx.open_store()?;
    let current = store.profile().to_string();
    let mut rows = store.profiles().await?;
    if !rows.iter().any(|p| p.name == current) {
        rows.push(crate::store::profiles::ProfileSummary::empty(&current));
        rows.sort_by(|a, b| a.name.cmp(&b.name));
    }
    for row in &mut rows {
        row.current = row.name == current;
    }
    if json {
        return print_json(&rows);
    }
    let mut out = String::new();
    for p in &rows {
        out.push_str(&format!(
            "{} {:<16} {} conversations, {} memories, {} jobs, {} tokens\n",
            if p.current { "*" } else { " " },
            p.name,
            p.conversations,
            p.memories,
            p.jobs,
            p.tokens
        ));
    }
    print_out(&out);
    Ok(())
}
