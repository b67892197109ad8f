use super::*;
use std::path::Path;

fn config(text: &str) -> Config {
    let env = |k: &str| (k == "KEY").then(|| "sk-test".to_string());
    crate::config::parse(text, Path::new("/cfg/config.toml"), &env).unwrap()
}

const PROVIDERS: &str = r#"
[providers.anthropic]
kind = "anthropic"
api_key = "${KEY}"
[providers.openrouter]
kind = "openrouter"
api_key = "${KEY}"
[providers.local]
kind = "ollama"
"#;

fn usage(input: u64, cached: u64, output: u64) -> Usage {
    Usage {
        input_tokens: input,
        cached_input_tokens: cached,
        output_tokens: output,
        ..Usage::default()
    }
}

fn model(reference: &str) -> ModelRef {
    ModelRef::parse(reference).unwrap()
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-12)
}

#[test]
fn the_shipped_table_parses_and_is_dated() {
    let t = shipped_table();
    assert!(t.models.len() > 10);
    assert!(
        chrono::NaiveDate::parse_from_str(&t.as_of, "%Y-%m-%d").is_ok(),
        "{}",
        t.as_of
    );
    for (id, p) in &t.models {
        assert!(
            p.input.is_some() && p.output.is_some(),
            "{id} lacks a price"
        );
    }
}

#[test]
fn table_lookup_matches_dated_and_dotted_ids_and_prefers_the_longest_entry() {
    let t = shipped_table();
    let cases = [
        ("claude-sonnet-4-5", Some(3.0)),
        ("claude-sonnet-4-5-20250929", Some(3.0)),
        ("anthropic/claude-sonnet-4.5", Some(3.0)),
        ("gpt-4o-mini-2024-07-18", Some(0.15)),
        ("gpt-4o-2024-08-06", Some(2.5)),
        ("gpt-4o", Some(2.5)),
        ("gpt-4", None),
        ("claude-sonnet-45", None),
        ("mystery-model", None),
    ];
    for (id, input) in cases {
        assert_eq!(t.lookup(id).and_then(|p| p.input), input, "{id}");
    }
}

#[test]
fn price_edge_cases() {
    let c = config(&format!(
        r#"{PROVIDERS}
[models.cheap]
id = "anthropic/claude-sonnet-4-5"
input_price_per_mtok = 1.0
[models.mine]
id = "anthropic/my-finetune"
input_price_per_mtok = 2.0
output_price_per_mtok = 4.0
cached_input_price_per_mtok = 0.5
[models.half]
id = "anthropic/only-input"
input_price_per_mtok = 2.0
"#
    ));
    let million = 1_000_000;
    let cases: Vec<(&str, Usage, Option<f64>, CostSource)> = vec![
        // Unknown model: unknown, not zero.
        (
            "anthropic/mystery",
            usage(million, 0, million),
            None,
            CostSource::Unknown,
        ),
        // The provider's own figure wins over every price.
        (
            "openrouter/anthropic/claude-sonnet-4.5",
            Usage {
                cost_usd: Some(0.000106),
                ..usage(million, 0, million)
            },
            Some(0.000106),
            CostSource::Provider,
        ),
        // Table: 3 in, 15 out, 0.30 cached, 3.75 written.
        (
            "anthropic/claude-sonnet-4-5-20250929",
            Usage {
                cache_write_input_tokens: million,
                ..usage(million, million, million)
            },
            Some(3.0 + 0.3 + 3.75 + 15.0),
            CostSource::Table,
        ),
        // Config overrides the table field by field (input 1.0 over 3.0; output from table).
        (
            "anthropic/claude-sonnet-4-5",
            usage(million, million, million),
            Some(1.0 + 0.3 + 15.0),
            CostSource::Config,
        ),
        // Config only, cached tokens at their own price.
        (
            "anthropic/my-finetune",
            usage(million, 2 * million, million),
            Some(2.0 + 1.0 + 4.0),
            CostSource::Config,
        ),
        // Config with no output price and no table entry: unknown.
        (
            "anthropic/only-input",
            usage(10, 0, 10),
            None,
            CostSource::Unknown,
        ),
        // A local model costs nothing.
        (
            "local/llama3",
            usage(million, 0, million),
            Some(0.0),
            CostSource::Table,
        ),
    ];
    for (reference, u, cost, source) in cases {
        let p = price(&u, &model(reference), &c);
        assert_eq!(p.source, source, "{reference}");
        match cost {
            Some(cost) => assert!(close(p.cost_usd, cost), "{reference}: {p:?} != {cost}"),
            None => assert_eq!(p.cost_usd, None, "{reference}"),
        }
    }
}

#[test]
fn cached_tokens_default_to_the_input_price() {
    let p = Price {
        input: Some(2.0),
        output: Some(8.0),
        ..Price::default()
    };
    assert!(close(cost_of(&usage(0, 1_000_000, 0), &p), 2.0));
    assert_eq!(cost_of(&usage(1, 0, 1), &Price::default()), None);
}
