//! Totals over ledger rows: all of them ([`totals`]) or grouped by model, provider, agent, day
//! or conversation ([`aggregate`]), and the `--since` window. A group's `cost_usd` sums the
//! known costs; requests without a known price are counted in `unknown_cost_requests`, and a
//! group where no cost is known has `cost_usd = null`, never 0.

use super::UsageRecord;
use chrono::{DateTime, Datelike, Days, FixedOffset, Local, NaiveDate, TimeZone};
use serde::Serialize;
use std::collections::BTreeMap;

/// `--by`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Model,
    Provider,
    Agent,
    Day,
    Conversation,
}

impl std::str::FromStr for GroupBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "model" => GroupBy::Model,
            "provider" => GroupBy::Provider,
            "agent" => GroupBy::Agent,
            "day" => GroupBy::Day,
            "conversation" => GroupBy::Conversation,
            other => {
                return Err(format!(
                    "cannot group usage by `{other}`: use model, provider, agent, day or conversation"
                ));
            }
        })
    }
}

/// `--since`: the last N days (today counts as one) or from a date, in local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    Days(u32),
    Date(NaiveDate),
}

impl std::str::FromStr for Since {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad = || {
            format!(
                "`{s}` is not a --since value: use a number of days like 7d, or a date like 2026-01-31"
            )
        };
        if let Some(n) = s.strip_suffix('d') {
            return match n.parse::<u32>() {
                Ok(n) if n > 0 => Ok(Since::Days(n)),
                _ => Err(bad()),
            };
        }
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(Since::Date)
            .map_err(|_| bad())
    }
}

impl Since {
    /// The first date of the window, given today's date.
    pub fn first_day(self, today: NaiveDate) -> NaiveDate {
        match self {
            Since::Days(n) => today
                .checked_sub_days(Days::new(u64::from(n.saturating_sub(1))))
                .unwrap_or(NaiveDate::MIN),
            Since::Date(d) => d,
        }
    }

    /// The start of the window in Unix milliseconds, in the local time zone.
    pub fn start_ms(self, now: DateTime<Local>) -> i64 {
        local_midnight_ms(self.first_day(now.date_naive()))
    }
}

/// Unix milliseconds of local midnight starting `day`.
pub fn local_midnight_ms(day: NaiveDate) -> i64 {
    let naive = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    Local.from_local_datetime(&naive).earliest().map_or_else(
        || naive.and_utc().timestamp_millis(),
        |t| t.timestamp_millis(),
    )
}

/// The first day of `day`'s month.
pub fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Counts and cost of a set of requests (the protocol's shape, so `/cost` sends it as is).
pub type Totals = crate::protocol::CostTotals;

impl Totals {
    pub fn add(&mut self, r: &UsageRecord) {
        self.requests += 1;
        self.input_tokens += r.input_tokens;
        self.output_tokens += r.output_tokens;
        self.cached_input_tokens += r.cached_input_tokens + r.cache_write_input_tokens;
        match r.cost_usd {
            Some(c) => self.cost_usd = Some(self.cost_usd.unwrap_or(0.0) + c),
            None => self.unknown_cost_requests += 1,
        }
    }
}

/// One row of `harness usage`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageRow {
    pub key: String,
    #[serde(flatten)]
    pub totals: Totals,
}

/// Totals of all `records`.
pub fn totals<'a>(records: impl IntoIterator<Item = &'a UsageRecord>) -> Totals {
    let mut t = Totals::default();
    for r in records {
        t.add(r);
    }
    t
}

/// `records` grouped `by`; days in `offset`'s time zone. Days come in date order, other
/// groups most expensive first (unknown costs last), then by key.
pub fn aggregate(records: &[UsageRecord], by: GroupBy, offset: FixedOffset) -> Vec<UsageRow> {
    let mut groups: BTreeMap<String, Totals> = BTreeMap::new();
    for r in records {
        let key = match by {
            GroupBy::Model => r.model.clone(),
            GroupBy::Provider => r.provider.clone(),
            GroupBy::Agent => r.agent.clone().unwrap_or_else(|| "(none)".to_string()),
            GroupBy::Conversation => r
                .conversation_id
                .map_or_else(|| "(none)".to_string(), |c| c.to_string()),
            GroupBy::Day => DateTime::from_timestamp_millis(r.created_at)
                .unwrap_or_default()
                .with_timezone(&offset)
                .format("%Y-%m-%d")
                .to_string(),
        };
        groups.entry(key).or_default().add(r);
    }
    let mut rows: Vec<UsageRow> = groups
        .into_iter()
        .map(|(key, totals)| UsageRow { key, totals })
        .collect();
    if by != GroupBy::Day {
        rows.sort_by(|a, b| {
            let cost = |r: &UsageRow| r.totals.cost_usd.unwrap_or(-1.0);
            cost(b).total_cmp(&cost(a)).then_with(|| a.key.cmp(&b.key))
        });
    }
    rows
}

#[cfg(test)]
#[path = "aggregate_tests.rs"]
mod tests;
