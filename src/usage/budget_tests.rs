use super::*;

fn cfg(daily: Option<f64>, monthly: Option<f64>, action: BudgetAction) -> BudgetsConfig {
    BudgetsConfig {
        daily_usd: daily,
        monthly_usd: monthly,
        action,
        downgrade_to: Some("cheap".to_string()),
        warn_at: 0.8,
    }
}

fn spend(today: f64, month: f64) -> Spend {
    Spend {
        today_usd: today,
        month_usd: month,
    }
}

#[test]
fn no_limit_no_budget() {
    assert_eq!(
        evaluate(&cfg(None, None, BudgetAction::Stop), spend(1e9, 1e9)),
        None
    );
}

#[test]
fn levels_and_actions() {
    use BudgetAction::*;
    use BudgetLevel::*;
    // (config, spend, level, period, warns, downgrades to, refused)
    let cases = [
        (
            cfg(Some(5.0), None, Warn),
            spend(1.0, 1.0),
            Under,
            "daily",
            false,
            None,
            false,
        ),
        (
            cfg(Some(5.0), None, Warn),
            spend(4.0, 4.0),
            Near,
            "daily",
            true,
            None,
            false,
        ),
        (
            cfg(Some(5.0), None, Warn),
            spend(6.0, 6.0),
            Over,
            "daily",
            true,
            None,
            false,
        ),
        (
            cfg(Some(5.0), None, Downgrade),
            spend(3.9, 3.9),
            Under,
            "daily",
            false,
            None,
            false,
        ),
        (
            cfg(Some(5.0), None, Downgrade),
            spend(4.0, 4.0),
            Near,
            "daily",
            true,
            Some("cheap"),
            false,
        ),
        (
            cfg(Some(5.0), None, Downgrade),
            spend(9.0, 9.0),
            Over,
            "daily",
            true,
            Some("cheap"),
            false,
        ),
        (
            cfg(Some(5.0), None, Stop),
            spend(4.5, 4.5),
            Near,
            "daily",
            true,
            None,
            false,
        ),
        (
            cfg(Some(5.0), None, Stop),
            spend(5.0, 5.0),
            Over,
            "daily",
            false,
            None,
            true,
        ),
        // The monthly limit is the closer one.
        (
            cfg(Some(5.0), Some(100.0), Stop),
            spend(0.5, 100.0),
            Over,
            "monthly",
            false,
            None,
            true,
        ),
        (
            cfg(Some(5.0), Some(100.0), Stop),
            spend(4.9, 10.0),
            Near,
            "daily",
            true,
            None,
            false,
        ),
        // A zero budget is spent at once.
        (
            cfg(Some(0.0), None, Stop),
            spend(0.0, 0.0),
            Over,
            "daily",
            false,
            None,
            true,
        ),
    ];
    for (i, (c, s, level, period, warns, down, refused)) in cases.into_iter().enumerate() {
        let state = evaluate(&c, s).unwrap();
        assert_eq!(state.level, level, "case {i}");
        assert_eq!(state.period, period, "case {i}");
        assert_eq!(
            state.warning().is_some(),
            warns,
            "case {i}: {:?}",
            state.warning()
        );
        assert_eq!(state.downgrade(), down, "case {i}");
        assert_eq!(state.refusal().is_some(), refused, "case {i}");
    }
}

#[test]
fn the_refusal_says_how_to_raise_the_budget() {
    let state = evaluate(&cfg(None, Some(20.0), BudgetAction::Stop), spend(1.0, 20.5)).unwrap();
    let msg = state.refusal().unwrap();
    assert!(msg.contains("budgets.monthly_usd"), "{msg}");
    assert!(
        msg.contains("$20.50 of the monthly budget of $20.00"),
        "{msg}"
    );
    let state = evaluate(
        &cfg(Some(2.0), None, BudgetAction::Downgrade),
        spend(1.7, 1.7),
    )
    .unwrap();
    assert!(
        state.route_reason().starts_with("budget: "),
        "{}",
        state.route_reason()
    );
    assert!(state.warning().unwrap().contains("cheap"));
}
