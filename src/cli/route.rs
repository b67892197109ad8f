//! `harness route [--json] [-a AGENT] PROMPT`: explains which model the router would pick for
//! a prompt, without calling any model: the category and its signals, the rule that matched,
//! the rules skipped and why, and the fallback chain. Every provider counts as healthy here
//! (circuit breakers live inside a running session).

use super::agents::load_agent_set;
use super::args::RouteArgs;
use super::{CliContext, CliError, CliResult, print_json, print_out};
use crate::config::Overrides;
use crate::router::{self, Outcome, RouteDecision, RouteInput};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Read;

/// Read the prompt: the words joined by spaces, or stdin for a lone `-`.
pub fn read_prompt(words: &[String]) -> Result<String, CliError> {
    if words.len() == 1 && words[0] == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::usage(format!("cannot read the prompt from stdin: {e}")))?;
        return Ok(text);
    }
    Ok(words.join(" "))
}

#[derive(Serialize)]
struct RouteReport<'a> {
    model: &'a str,
    reason: &'a str,
    agent: &'a str,
    /// Each provider and where it came from (`from config.toml`, `from ANTHROPIC_API_KEY`, ...).
    providers: BTreeMap<&'a str, String>,
    #[serde(flatten)]
    decision: &'a RouteDecision,
}

pub async fn run(ctx: &CliContext, args: RouteArgs) -> CliResult {
    let text = read_prompt(&args.prompt)?;
    let config = ctx.load_config(&Overrides::default())?;
    if config.providers.is_empty() {
        return Err(CliError::usage(
            crate::config::env_providers::no_provider_message(&ctx.paths.config_file),
        ));
    }
    let agents = load_agent_set(ctx, &config)?;
    let problems = router::validate(&config, &agents);
    if !problems.is_empty() {
        return Err(CliError::usage(router::render_problems(&config, &problems)));
    }
    let agent_name = args.agent.as_deref().unwrap_or(&config.default_agent);
    let agent = agents
        .resolve(agent_name)
        .map_err(|e| CliError::usage(e.to_string()))?;
    let all_available = |_: &str| true;
    let decision = router::route(&RouteInput {
        text: &text,
        agent,
        pinned: None,
        previous: None,
        config: &config,
        available: &all_available,
        budget: None,
    })
    .map_err(|e| CliError::usage(e.to_string()))?;
    let Some(chosen) = decision.chosen() else {
        return Err(CliError::failed(
            "the router returned no model: this is a bug, please report it",
        ));
    };
    let providers: BTreeMap<&str, String> = config
        .providers
        .iter()
        .map(|(name, p)| (name.as_str(), p.origin.describe()))
        .collect();
    if args.json {
        return print_json(&RouteReport {
            model: &chosen.model,
            reason: &chosen.reason,
            agent: &agent.name,
            providers,
            decision: &decision,
        });
    }
    let mut text = render(&decision, &agent.name);
    let list: Vec<String> = providers
        .iter()
        .map(|(name, origin)| format!("{name} ({origin})"))
        .collect();
    text.push_str(&format!("{:<10}{}\n", "providers", list.join(", ")));
    print_out(&text);
    Ok(())
}

fn render(d: &RouteDecision, agent: &str) -> String {
    let mut out = String::new();
    let mut line = |label: &str, value: &str| out.push_str(&format!("{label:<10}{value}\n"));
    if let Some(chosen) = d.chosen() {
        line("model", &chosen.model);
        line("reason", &chosen.reason);
    }
    line("agent", agent);
    line(
        "category",
        &format!(
            "{} (coding score {}, complexity {})",
            d.category, d.classification.coding_score, d.classification.complexity
        ),
    );
    let signals: Vec<String> = d
        .classification
        .signals
        .iter()
        .map(ToString::to_string)
        .collect();
    line(
        "signals",
        &if signals.is_empty() {
            "none".to_string()
        } else {
            signals.join(", ")
        },
    );
    for (i, c) in d.candidates.iter().enumerate() {
        let label = if i == 0 { "chain" } else { "" };
        let alias = c
            .alias
            .as_ref()
            .map(|a| format!(" (alias {a})"))
            .unwrap_or_default();
        line(label, &format!("{}. {}{alias}", i + 1, c.model));
    }
    if !d.trace.is_empty() {
        out.push_str("rules\n");
        for t in &d.trace {
            let outcome = match t.outcome {
                Outcome::Pinned => "pinned",
                Outcome::Matched => "matched",
                Outcome::Skipped => "skipped",
                Outcome::ModelSkipped => "model skipped",
                Outcome::NoUsableModel => "no usable model",
                Outcome::NotReached => "not reached",
            };
            let priority = t
                .priority
                .map(|p| format!(" (priority {p})"))
                .unwrap_or_default();
            out.push_str(&format!("  {outcome:<16}{}{priority}: {}\n", t.step, t.why));
        }
    }
    out
}
