use super::*;
use crate::message::ConversationId;
use crate::usage::{CostSource, UsageKind};

const DAY_MS: i64 = 24 * 3600 * 1000;
/// 2026-03-10T12:00:00Z.
const T0: i64 = 1_773_144_000_000;

fn rec(model: &str, agent: Option<&str>, at: i64, cost: Option<f64>) -> UsageRecord {
    UsageRecord {
        profile: "default".into(),
        kind: UsageKind::Reply,
        conversation_id: None,
        agent: agent.map(str::to_string),
        provider: model.split('/').next().unwrap_or_default().to_string(),
        model: model.to_string(),
        input_tokens: 100,
        output_tokens: 10,
        cached_input_tokens: 5,
        cache_write_input_tokens: 0,
        cost_usd: cost,
        cost_source: if cost.is_some() {
            CostSource::Table
        } else {
            CostSource::Unknown
        },
        created_at: at,
    }
}

fn keys(rows: &[UsageRow]) -> Vec<&str> {
    rows.iter().map(|r| r.key.as_str()).collect()
}

#[test]
fn groups_by_each_key() {
    let conv = ConversationId::new();
    let mut with_conv = rec("a/x", Some("coder"), T0, Some(1.0));
    with_conv.conversation_id = Some(conv);
    let records = vec![
        with_conv,
        rec("a/x", Some("coder"), T0 + DAY_MS, Some(2.0)),
        rec("b/y", None, T0, Some(0.5)),
        rec("b/z", Some("general"), T0 + 2 * DAY_MS, None),
    ];
    let utc = FixedOffset::east_opt(0).unwrap();
    let cases: Vec<(GroupBy, Vec<String>)> = vec![
        (
            GroupBy::Model,
            vec!["a/x".into(), "b/y".into(), "b/z".into()],
        ),
        (GroupBy::Provider, vec!["a".into(), "b".into()]),
        (
            GroupBy::Agent,
            vec!["coder".into(), "(none)".into(), "general".into()],
        ),
        (
            GroupBy::Day,
            vec![
                "2026-03-10".into(),
                "2026-03-11".into(),
                "2026-03-12".into(),
            ],
        ),
        (
            GroupBy::Conversation,
            vec!["(none)".into(), conv.to_string()],
        ),
    ];
    for (by, expected) in cases {
        let rows = aggregate(&records, by, utc);
        assert_eq!(keys(&rows), expected, "{by:?}");
        let all: u64 = rows.iter().map(|r| r.totals.requests).sum();
        assert_eq!(all, 4, "{by:?}");
    }
}

#[test]
fn unknown_costs_are_counted_never_summed_as_zero() {
    let utc = FixedOffset::east_opt(0).unwrap();
    let records = vec![
        rec("a/x", None, T0, Some(1.25)),
        rec("a/x", None, T0, None),
        rec("b/y", None, T0, None),
    ];
    let rows = aggregate(&records, GroupBy::Model, utc);
    let x = &rows[0].totals;
    assert_eq!((rows[0].key.as_str(), x.requests), ("a/x", 2));
    assert_eq!(x.cost_usd, Some(1.25));
    assert_eq!(x.unknown_cost_requests, 1);
    assert_eq!(
        (x.input_tokens, x.output_tokens, x.cached_input_tokens),
        (200, 20, 10)
    );
    let y = &rows[1].totals;
    assert_eq!(y.cost_usd, None, "all unknown: null, not 0");
    assert_eq!(y.unknown_cost_requests, 1);
    let json = serde_json::to_value(&rows[1]).unwrap();
    assert_eq!(json["key"], "b/y");
    assert_eq!(json["cost_usd"], serde_json::Value::Null);
    assert_eq!(json["requests"], 1);
    let t = totals(&records);
    assert_eq!(
        (t.requests, t.cost_usd, t.unknown_cost_requests),
        (3, Some(1.25), 2)
    );
    assert_eq!(totals(&[]).cost_usd, None);
}

#[test]
fn days_follow_the_given_time_zone() {
    // 23:30 UTC on the 10th is the 11th in UTC+2.
    let late = T0 + 11 * 3600 * 1000 + 30 * 60 * 1000;
    let records = vec![rec("a/x", None, late, Some(1.0))];
    let east = FixedOffset::east_opt(2 * 3600).unwrap();
    assert_eq!(
        keys(&aggregate(&records, GroupBy::Day, east)),
        ["2026-03-11"]
    );
    let utc = FixedOffset::east_opt(0).unwrap();
    assert_eq!(
        keys(&aggregate(&records, GroupBy::Day, utc)),
        ["2026-03-10"]
    );
}

#[test]
fn parses_since_and_by() {
    let today = NaiveDate::from_ymd_opt(2026, 3, 10).unwrap();
    let cases = [
        ("1d", Some(today)),
        ("7d", NaiveDate::from_ymd_opt(2026, 3, 4)),
        ("2026-01-31", NaiveDate::from_ymd_opt(2026, 1, 31)),
        ("0d", None),
        ("7", None),
        ("last week", None),
        ("2026-13-01", None),
    ];
    for (text, first) in cases {
        let parsed = text.parse::<Since>();
        assert_eq!(
            parsed.as_ref().ok().map(|s| s.first_day(today)),
            first,
            "{text}"
        );
        if let Err(e) = parsed {
            assert!(e.contains("7d"), "{e}");
        }
    }
    assert_eq!("day".parse::<GroupBy>(), Ok(GroupBy::Day));
    assert!(
        "week"
            .parse::<GroupBy>()
            .unwrap_err()
            .contains("model, provider")
    );
    assert_eq!(
        month_start(today),
        NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()
    );
}
