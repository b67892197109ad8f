//! `harness usage [--since 7d|YYYY-MM-DD] [--by model|provider|agent|day|conversation] [--json]`:
//! the ledger's totals for the current profile. JSON is an array of rows
//! `{key, requests, input_tokens, output_tokens, cached_input_tokens, cost_usd,
//! unknown_cost_requests}`: `cost_usd` sums the known costs (null when none is known) and
//! `unknown_cost_requests` counts the requests left out of it.

use super::args::UsageArgs;
use super::{CliContext, CliError, CliResult, print_json, print_out};
use crate::usage::{GroupBy, Since, Totals, UsageRow, aggregate, current_profile, totals};

pub async fn run(ctx: &CliContext, args: UsageArgs) -> CliResult {
    let since: Since = args
        .since
        .as_deref()
        .unwrap_or("30d")
        .parse()
        .map_err(CliError::usage)?;
    let by: GroupBy = args
        .by
        .as_deref()
        .unwrap_or("model")
        .parse()
        .map_err(CliError::usage)?;
    let now = chrono::Local::now();
    let store = ctx.open_store()?;
    let records = store
        .usage_since(current_profile(), since.start_ms(now))
        .await?;
    let rows = aggregate(&records, by, *now.offset());
    if args.json {
        return print_json(&rows);
    }
    let first = since.first_day(now.date_naive());
    print_out(&table(&rows, &totals(&records), by, &first.to_string()));
    Ok(())
}

fn count(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1}k", n as f64 / 1e3),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// A group's cost: known sum, and how many requests had no known price.
fn cost(t: &Totals) -> String {
    match (t.cost_usd, t.unknown_cost_requests) {
        (Some(c), 0) => format!("${c:.4}"),
        (Some(c), n) => format!("${c:.4} + {n} unknown"),
        (None, n) => format!("unknown ({n})"),
    }
}

fn table(rows: &[UsageRow], total: &Totals, by: GroupBy, since: &str) -> String {
    let by = serde_json::to_value(by)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    if rows.is_empty() {
        return format!("no model requests recorded since {since}\n");
    }
    let width = rows
        .iter()
        .map(|r| crate::sanitize::strip(&r.key).chars().count())
        .max()
        .unwrap_or(0)
        .clamp(5, 60);
    let mut out = format!(
        "usage since {since}, by {by}\n{:<width$}  {:>8}  {:>8}  {:>8}  {:>8}  COST\n",
        by.to_uppercase(),
        "REQUESTS",
        "INPUT",
        "OUTPUT",
        "CACHED"
    );
    let mut line = |key: &str, t: &Totals| {
        out.push_str(&format!(
            "{key:<width$}  {:>8}  {:>8}  {:>8}  {:>8}  {}\n",
            t.requests,
            count(t.input_tokens),
            count(t.output_tokens),
            count(t.cached_input_tokens),
            cost(t)
        ));
    };
    for r in rows {
        line(&crate::sanitize::strip(&r.key), &r.totals);
    }
    line("total", total);
    out.push_str(
        "Costs are the providers' reported figures, else config or shipped prices (as of ",
    );
    out.push_str(&crate::usage::pricing::shipped_table().as_of);
    out.push_str("); \"unknown\" requests have no known price and are not in the sums.\n");
    out
}
