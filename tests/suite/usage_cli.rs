//! `harness usage` over a ledger written through the store: grouping, `--since`, JSON rows with
//! unknown costs kept apart, and one-line errors for bad flags.

use crate::support::home::{TempHome, stderr, stdout};
use harness::store::Store;
use harness::usage::{CostSource, UsageKind, UsageRecord};
use serde_json::Value;

const DAY_MS: i64 = 24 * 3600 * 1000;

fn record(model: &str, agent: &str, days_ago: i64, cost: Option<f64>) -> UsageRecord {
    UsageRecord {
        profile: "default".into(),
        kind: UsageKind::Reply,
        conversation_id: None,
        agent: Some(agent.into()),
        provider: model.split('/').next().unwrap().into(),
        model: model.into(),
        input_tokens: 1000,
        output_tokens: 100,
        cached_input_tokens: 500,
        cache_write_input_tokens: 0,
        cost_usd: cost,
        cost_source: if cost.is_some() {
            CostSource::Table
        } else {
            CostSource::Unknown
        },
        created_at: chrono::Utc::now().timestamp_millis() - days_ago * DAY_MS,
    }
}

fn home_with_ledger() -> TempHome {
    let home = TempHome::new();
    home.write_config("");
    let store = Store::open(&home.db()).unwrap();
    for r in [
        record("anthropic/claude-sonnet-4-5", "coder", 0, Some(0.25)),
        record("anthropic/claude-sonnet-4-5", "coder", 0, Some(0.5)),
        record("local/llama", "general", 0, Some(0.0)),
        record("openai/mystery", "general", 0, None),
        record("anthropic/claude-sonnet-4-5", "coder", 40, Some(9.0)),
    ] {
        store
            .call_blocking(move |c| harness::store::usage::insert(c, &r))
            .unwrap();
    }
    home
}

fn rows(home: &TempHome, args: &[&str]) -> Vec<Value> {
    let out = home.run(&[&["usage", "--json"], args].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_str::<Vec<Value>>(&stdout(&out)).unwrap()
}

#[test]
fn groups_and_windows_with_unknown_costs_kept_apart() {
    let home = home_with_ledger();
    let by_model = rows(&home, &["--by", "model"]);
    let keys: Vec<&str> = by_model
        .iter()
        .map(|r| r["key"].as_str().unwrap())
        .collect();
    // The default window (30d) leaves out the row from 40 days ago.
    assert_eq!(
        keys,
        [
            "anthropic/claude-sonnet-4-5",
            "local/llama",
            "openai/mystery"
        ]
    );
    assert_eq!(by_model[0]["requests"], 2);
    assert_eq!(by_model[0]["input_tokens"], 2000);
    assert_eq!(by_model[0]["output_tokens"], 200);
    assert_eq!(by_model[0]["cost_usd"], 0.75);
    assert_eq!(by_model[1]["cost_usd"], 0.0, "a known zero stays zero");
    assert_eq!(
        by_model[2]["cost_usd"],
        Value::Null,
        "unknown is null, not 0"
    );
    assert_eq!(by_model[2]["unknown_cost_requests"], 1);

    let by_agent = rows(&home, &["--by", "agent", "--since", "60d"]);
    assert_eq!(by_agent[0]["key"], "coder");
    assert_eq!(by_agent[0]["requests"], 3);
    let general = &by_agent[1];
    assert_eq!(
        (general["requests"].as_u64(), general["cost_usd"].as_f64()),
        (Some(2), Some(0.0))
    );
    assert_eq!(general["unknown_cost_requests"], 1);

    let by_day = rows(&home, &["--by", "day", "--since", "1d"]);
    assert_eq!(by_day.len(), 1);
    assert_eq!(by_day[0]["requests"], 4);

    let text = home.run(&["usage", "--by", "provider"]);
    let text = stdout(&text);
    assert!(text.contains("PROVIDER"), "{text}");
    assert!(text.contains("$0.7500"), "{text}");
    assert!(text.contains("unknown (1)"), "{text}");
    assert!(text.contains("total"), "{text}");
}

#[test]
fn bad_flags_say_what_to_use() {
    let home = TempHome::new();
    home.write_config("");
    for (args, needle) in [
        (&["usage", "--since", "yesterday"][..], "7d"),
        (
            &["usage", "--by", "week"][..],
            "model, provider, agent, day or conversation",
        ),
    ] {
        let out = home.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(needle), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "{err}");
    }
    let out = home.run(&["usage"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("no model requests recorded"));
}
