//! Spend in the TUI: `/cost` asks the core (`Op::Cost`) and shows its answer, unknown costs read
//! "unknown"; the status line shows today's spend against the daily budget when one is set.

use super::tui_harness::Harness;
use harness::protocol::{CostTotals, Event, Op};

#[test]
fn cost_asks_the_core_and_shows_the_three_totals() {
    let mut h = Harness::new(120, 30);
    h.keys("/cost<Enter>");
    assert_eq!(h.take_ops(), [Op::Cost]);
    h.event(Event::Cost {
        conversation: CostTotals {
            requests: 2,
            input_tokens: 1200,
            output_tokens: 80,
            cost_usd: None,
            unknown_cost_requests: 2,
            ..CostTotals::default()
        },
        today: CostTotals {
            requests: 5,
            cost_usd: Some(1.25),
            ..CostTotals::default()
        },
        month: CostTotals {
            requests: 9,
            cost_usd: Some(3.5),
            ..CostTotals::default()
        },
        daily_budget_usd: Some(5.0),
        monthly_budget_usd: None,
    });
    assert!(
        h.screen_contains("conversation  unknown"),
        "{:?}",
        h.screen()
    );
    assert!(
        h.screen_contains("today         $1.2500 of $5.00"),
        "{:?}",
        h.screen()
    );
    assert!(
        h.screen_contains("this month    $3.5000 · 9 request(s)"),
        "{:?}",
        h.screen()
    );
}

#[test]
fn the_status_line_shows_todays_spend_only_with_a_budget() {
    let stats = |today_usd, daily_budget_usd| Event::SessionStats {
        context_tokens: 100,
        context_window: Some(200_000),
        cost_usd: Some(0.5),
        sandbox: "host".into(),
        today_usd,
        daily_budget_usd,
    };
    let mut h = Harness::new(140, 20);
    h.event(stats(None, None));
    assert!(!h.screen_contains("today $"), "{:?}", h.screen());
    h.event(stats(Some(1.2), Some(5.0)));
    assert!(h.screen_contains("today $1.20/$5.00"), "{:?}", h.screen());
}
