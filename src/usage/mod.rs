//! The cost ledger's vocabulary and its pure logic: what one ledger row says ([`UsageRecord`]),
//! what a request cost and how that is known (`pricing.rs`, with the shipped `prices.toml`),
//! totals by model/provider/agent/day/conversation (`aggregate.rs`) and what a budget does at
//! a given spend (`budget.rs`). No I/O here: the store keeps the rows (`store/usage.rs`), the
//! core records them (`core/ledger.rs`), the router and the core act on the budget.

pub mod aggregate;
pub mod budget;
pub mod pricing;

pub use aggregate::{GroupBy, Since, Totals, UsageRow, aggregate, totals};
pub use budget::{BudgetLevel, BudgetState, Spend};
pub use pricing::{CostSource, Priced, price};

use crate::message::ConversationId;
use serde::{Deserialize, Serialize};

/// The process's profile (`--profile` / `HARNESS_PROFILE`); a session records usage under its
/// store's profile instead, which `serve` narrows to the token's.
pub fn current_profile() -> &'static str {
    crate::profile::current()
}

/// What a ledger row paid for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageKind {
    /// A model request whose reply was used (complete, or cut short and kept).
    Reply,
    /// A request that reported usage (so was billed) but failed: the turn retried or fell back.
    Retry,
    /// A compaction summary.
    Compaction,
}

impl UsageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            UsageKind::Reply => "reply",
            UsageKind::Retry => "retry",
            UsageKind::Compaction => "compaction",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "reply" => UsageKind::Reply,
            "retry" => UsageKind::Retry,
            "compaction" => UsageKind::Compaction,
            _ => return None,
        })
    }
}

/// One model request in the ledger.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageRecord {
    pub profile: String,
    pub kind: UsageKind,
    pub conversation_id: Option<ConversationId>,
    pub agent: Option<String>,
    pub provider: String,
    /// `provider/model-id`.
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cached_input_tokens: u64,
    pub cache_write_input_tokens: u64,
    /// `None` when no price is known: never shown or summed as zero.
    pub cost_usd: Option<f64>,
    pub cost_source: CostSource,
    /// Unix milliseconds.
    pub created_at: i64,
}
