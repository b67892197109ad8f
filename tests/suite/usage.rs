//! The cost ledger end to end against the fake provider, in process: a row per model request
//! (reply, a billed request the client retried, compaction), provider-reported cost, each
//! budget action (warn, downgrade with and without a pin, stop), `/cost`, and the saving of
//! Anthropic prompt caching on a long conversation (figures printed).

use crate::support::core::{build, errors, send, session, until_done};
use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use harness::core::{CoreDeps, SessionOptions, SessionStart};
use harness::message::MessageStatus;
use harness::protocol::{Event, Op};
use harness::usage::{CostSource, UsageKind, UsageRecord, current_profile};
use std::sync::Arc;

struct Setup {
    _home: tempfile::TempDir,
    deps: Arc<CoreDeps>,
}

/// A core whose provider `fake` is `server`; `extra` is appended to the config.
fn setup(server: &FakeProvider, extra: &str) -> Setup {
    let home = tempfile::tempdir().unwrap();
    let workspace = home.path().join("ws");
    std::fs::create_dir_all(&workspace).unwrap();
    let config = format!(
        "{}\n[sandbox]\nbackend = \"host\"\n{extra}\n",
        server.config_toml("fake")
    );
    let config = if config.contains("default_model") || config.contains("[router]") {
        config
    } else {
        format!("default_model = \"fake/claude-sonnet-4-5\"\n{config}")
    };
    let (deps, _) = build(home.path(), &workspace, &config);
    Setup { _home: home, deps }
}

async fn ledger(deps: &CoreDeps) -> Vec<UsageRecord> {
    deps.store.usage_since(current_profile(), 0).await.unwrap()
}

/// Spend recorded now, as if earlier requests had cost `usd`.
async fn spent(deps: &CoreDeps, usd: f64) {
    deps.store
        .record_usage(UsageRecord {
            profile: current_profile().into(),
            kind: UsageKind::Reply,
            conversation_id: None,
            agent: None,
            provider: "fake".into(),
            model: "fake/earlier".into(),
            input_tokens: 1,
            output_tokens: 1,
            cached_input_tokens: 0,
            cache_write_input_tokens: 0,
            cost_usd: Some(usd),
            cost_source: CostSource::Config,
            created_at: chrono::Utc::now().timestamp_millis(),
        })
        .await
        .unwrap();
}

fn close(a: Option<f64>, b: f64) -> bool {
    a.is_some_and(|a| (a - b).abs() < 1e-12)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reply_is_one_ledger_row_priced_with_its_cached_tokens() {
    let server = FakeProvider::start(Flavor::Anthropic).await;
    let s = setup(&server, "");
    let mut session = session(&s.deps).await;
    server.push(Reply::text("hi").usage(1000, 100).cache(4000, 500));
    send(&session, "hello");
    let (done, _) = until_done(&mut session).await;
    let Event::TurnComplete {
        conversation_id, ..
    } = done
    else {
        unreachable!()
    };
    let rows = ledger(&s.deps).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let r = &rows[0];
    assert_eq!(r.kind, UsageKind::Reply);
    assert_eq!(r.conversation_id, Some(conversation_id));
    assert_eq!(r.agent.as_deref(), Some("general"));
    assert_eq!(
        (r.provider.as_str(), r.model.as_str()),
        ("fake", "fake/claude-sonnet-4-5")
    );
    assert_eq!(
        (
            r.input_tokens,
            r.output_tokens,
            r.cached_input_tokens,
            r.cache_write_input_tokens
        ),
        (1000, 100, 4000, 500)
    );
    // Shipped table: 3 in, 15 out, 0.30 cache read, 3.75 cache write per million.
    let expected = (1000.0 * 3.0 + 100.0 * 15.0 + 4000.0 * 0.3 + 500.0 * 3.75) / 1e6;
    assert!(close(r.cost_usd, expected), "{r:?}");
    assert_eq!(r.cost_source, CostSource::Table);
    // The stored reply carries the same cost.
    let messages = s.deps.store.messages(conversation_id).await.unwrap();
    assert!(close(messages.last().unwrap().cost_usd, expected));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_providers_reported_cost_wins_and_unknown_models_stay_unknown() {
    let server = FakeProvider::start(Flavor::OpenRouter).await;
    let s = setup(
        &server,
        "[models.priced]\nid = \"fake/claude-sonnet-4-5\"\ninput_price_per_mtok = 100.0\noutput_price_per_mtok = 100.0\n",
    );
    let mut session = session(&s.deps).await;
    server.push(Reply::text("hi").usage(16, 18));
    send(&session, "hello");
    until_done(&mut session).await;
    session
        .ops
        .send(Op::SetModel {
            model: Some("fake/mystery-model".into()),
        })
        .unwrap();
    server.push(Reply::text("hi").usage(16, 18));
    send(&session, "again");
    until_done(&mut session).await;
    let rows = ledger(&s.deps).await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    // The fake OpenRouter reports usage.cost = 0.000106 for every request.
    assert!(close(rows[0].cost_usd, 0.000106), "{rows:?}");
    assert_eq!(rows[0].cost_source, CostSource::Provider);
    assert_eq!(rows[1].model, "fake/mystery-model");
    assert_eq!(rows[1].cost_source, CostSource::Provider);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_model_without_a_price_is_recorded_with_an_unknown_cost() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let s = setup(&server, "");
    let mut session = harness::core::spawn(
        s.deps.clone(),
        SessionOptions {
            start: SessionStart::New,
            model: Some("fake/mystery-model".into()),
            agent: None,
            approval: None,
            headless: true,
        },
    )
    .await
    .unwrap();
    server.push(Reply::text("hi").usage(10, 2));
    send(&session, "hello");
    until_done(&mut session).await;
    let rows = ledger(&s.deps).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].cost_usd, None, "unknown, not 0");
    assert_eq!(rows[0].cost_source, CostSource::Unknown);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_billed_request_the_client_retried_is_a_retry_row() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let s = setup(&server, "");
    // The first answer reports usage, then ends without [DONE]: retried by the client.
    let config = s.deps.config.providers["fake"].max_retries;
    assert!(config > 0, "the default allows retries");
    let mut session = session(&s.deps).await;
    server.push(
        Reply::text_chunks(Vec::<String>::new())
            .usage(50, 0)
            .truncated(),
    );
    server.push(Reply::text("ok").usage(60, 5));
    send(&session, "hello");
    let (done, seen) = until_done(&mut session).await;
    assert!(
        matches!(
            done,
            Event::TurnComplete {
                status: MessageStatus::Complete,
                ..
            }
        ),
        "{done:?} {seen:?}"
    );
    assert_eq!(server.chat_requests().len(), 2);
    let rows = ledger(&s.deps).await;
    let kinds: Vec<(UsageKind, u64)> = rows.iter().map(|r| (r.kind, r.input_tokens)).collect();
    assert_eq!(kinds, [(UsageKind::Retry, 50), (UsageKind::Reply, 60)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_billed_request_before_a_fallback_is_a_retry_row() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let home = tempfile::tempdir().unwrap();
    let workspace = home.path().join("ws");
    std::fs::create_dir_all(&workspace).unwrap();
    // No client retries: the broken first answer hands over to the next model of the chain.
    let config = format!(
        "{}max_retries = 0\n[sandbox]\nbackend = \"host\"\n[[router.rules]]\nname = \"all\"\nmodels = [\"fake/gpt-4o\", \"fake/gpt-4o-mini\"]\n",
        server.config_toml("fake")
    );
    let (deps, _) = build(home.path(), &workspace, &config);
    let mut session = session(&deps).await;
    server.push(
        Reply::text_chunks(Vec::<String>::new())
            .usage(40, 0)
            .truncated(),
    );
    server.push(Reply::text("ok").usage(60, 5));
    send(&session, "hello");
    let (_, seen) = until_done(&mut session).await;
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::RouteChosen { reason, .. } if reason.contains("fallback"))),
        "{seen:?}"
    );
    let rows = ledger(&deps).await;
    let got: Vec<(UsageKind, &str, u64)> = rows
        .iter()
        .map(|r| (r.kind, r.model.as_str(), r.input_tokens))
        .collect();
    assert_eq!(
        got,
        [
            (UsageKind::Retry, "fake/gpt-4o", 40),
            (UsageKind::Reply, "fake/gpt-4o-mini", 60)
        ]
    );
    // gpt-4o: 2.50 per million input tokens.
    assert!(close(rows[0].cost_usd, 40.0 * 2.5 / 1e6), "{rows:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compaction_summary_is_a_ledger_row() {
    let server = FakeProvider::start(Flavor::Anthropic).await;
    let s = setup(&server, "");
    let mut session = session(&s.deps).await;
    for i in 0..5 {
        server.push(Reply::text(format!("answer {i}")).usage(10, 2));
        send(&session, &format!("question {i}"));
        until_done(&mut session).await;
    }
    server.push(Reply::text("the summary").usage(300, 40));
    session.ops.send(Op::Compact).unwrap();
    loop {
        match session.events.recv().await.unwrap() {
            Event::Compacted { .. } => break,
            Event::Error { message, .. } => panic!("{message}"),
            _ => {}
        }
    }
    let rows = ledger(&s.deps).await;
    let kinds: Vec<UsageKind> = rows.iter().map(|r| r.kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == UsageKind::Reply).count(), 5);
    let last = rows.last().unwrap();
    assert_eq!(
        (last.kind, last.input_tokens, last.output_tokens),
        (UsageKind::Compaction, 300, 40)
    );
    assert!(last.cost_usd.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cost_answers_for_the_conversation_today_and_this_month() {
    let server = FakeProvider::start(Flavor::Anthropic).await;
    let s = setup(&server, "[budgets]\ndaily_usd = 10.0\n");
    spent(&s.deps, 1.5).await;
    let mut session = session(&s.deps).await;
    // The status line has today's spend from the start.
    let first = loop {
        if let Event::SessionStats { today_usd, .. } = session.events.recv().await.unwrap() {
            break today_usd;
        }
    };
    assert_eq!(first, Some(1.5));
    server.push(Reply::text("hi").usage(1_000_000, 0));
    send(&session, "hello");
    let (_, seen) = until_done(&mut session).await;
    // The status line's figure: today's spend, with the budget.
    let stats = seen.iter().rev().find_map(|e| match e {
        Event::SessionStats {
            today_usd,
            daily_budget_usd,
            ..
        } => Some((*today_usd, *daily_budget_usd)),
        _ => None,
    });
    assert!(
        matches!(stats, Some((Some(t), Some(b))) if (t - 4.5).abs() < 1e-9 && b == 10.0),
        "{stats:?}"
    );
    session.ops.send(Op::Cost).unwrap();
    let cost = loop {
        if let e @ Event::Cost { .. } = session.events.recv().await.unwrap() {
            break e;
        }
    };
    let Event::Cost {
        conversation,
        today,
        month,
        daily_budget_usd,
        ..
    } = cost
    else {
        unreachable!()
    };
    assert_eq!(conversation.requests, 1);
    assert!(close(conversation.cost_usd, 3.0), "{conversation:?}");
    assert_eq!(today.requests, 2);
    assert!(close(today.cost_usd, 4.5), "{today:?}");
    assert!(month.requests >= 2);
    assert_eq!(daily_budget_usd, Some(10.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_warn_shows_a_notice_once_and_still_answers() {
    let server = FakeProvider::start(Flavor::Anthropic).await;
    let s = setup(&server, "[budgets]\ndaily_usd = 1.0\nwarn_at = 0.5\n");
    spent(&s.deps, 0.6).await;
    let mut session = session(&s.deps).await;
    for _ in 0..2 {
        server.push(Reply::text("hi"));
    }
    send(&session, "hello");
    let (done, seen) = until_done(&mut session).await;
    assert!(matches!(
        done,
        Event::TurnComplete {
            status: MessageStatus::Complete,
            ..
        }
    ));
    let notices: Vec<&String> = seen
        .iter()
        .filter_map(|e| match e {
            Event::Notice { message } => Some(message),
            _ => None,
        })
        .collect();
    assert_eq!(notices.len(), 1, "{seen:?}");
    assert!(
        notices[0].contains("$0.60 of the daily budget of $1.00")
            && notices[0].contains("budgets.daily_usd"),
        "{}",
        notices[0]
    );
    send(&session, "again");
    let (_, seen) = until_done(&mut session).await;
    assert!(
        !seen.iter().any(|e| matches!(e, Event::Notice { .. })),
        "said once"
    );
    assert_eq!(server.chat_requests().len(), 2);
}

const DOWNGRADE: &str = "[router]\ndefault = \"fake/claude-sonnet-4-5\"\n[models.cheap]\nid = \"fake/claude-haiku-4-5\"\n[budgets]\ndaily_usd = 1.0\naction = \"downgrade\"\ndowngrade_to = \"cheap\"\n";

fn routes(seen: &[Event]) -> Vec<(String, String)> {
    seen.iter()
        .filter_map(|e| match e {
            Event::RouteChosen { model, reason } => Some((model.clone(), reason.clone())),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_downgrade_routes_to_downgrade_to_with_a_budget_reason() {
    let server = FakeProvider::start(Flavor::Anthropic).await;
    let s = setup(&server, DOWNGRADE);
    let mut session = session(&s.deps).await;
    // Under warn_at: the router's choice.
    server.push(Reply::text("hi"));
    send(&session, "hello");
    let (_, seen) = until_done(&mut session).await;
    assert_eq!(routes(&seen)[0].0, "fake/claude-sonnet-4-5");
    spent(&s.deps, 0.85).await;
    server.push(Reply::text("hi"));
    send(&session, "hello again");
    let (done, seen) = until_done(&mut session).await;
    assert!(matches!(
        done,
        Event::TurnComplete {
            status: MessageStatus::Complete,
            ..
        }
    ));
    let route = &routes(&seen)[0];
    assert_eq!(route.0, "fake/claude-haiku-4-5");
    assert!(route.1.starts_with("budget"), "{route:?}");
    assert_eq!(server.chat_requests()[1].body["model"], "claude-haiku-4-5");
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::Notice { message } if message.contains("cheap")))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_downgrade_keeps_a_pinned_model() {
    let server = FakeProvider::start(Flavor::Anthropic).await;
    let s = setup(&server, DOWNGRADE);
    spent(&s.deps, 2.0).await;
    let mut session = harness::core::spawn(
        s.deps.clone(),
        SessionOptions {
            start: SessionStart::New,
            model: Some("fake/claude-opus-4-1".into()),
            agent: None,
            approval: None,
            headless: true,
        },
    )
    .await
    .unwrap();
    server.push(Reply::text("hi"));
    send(&session, "hello");
    let (_, seen) = until_done(&mut session).await;
    let route = &routes(&seen)[0];
    assert_eq!(route.0, "fake/claude-opus-4-1", "{route:?}");
    assert!(route.1.contains("pinned"), "{route:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budget_stop_refuses_the_turn_before_any_request_even_when_pinned() {
    let server = FakeProvider::start(Flavor::Anthropic).await;
    let s = setup(
        &server,
        "[budgets]\nmonthly_usd = 20.0\naction = \"stop\"\n",
    );
    spent(&s.deps, 20.5).await;
    let mut session = harness::core::spawn(
        s.deps.clone(),
        SessionOptions {
            start: SessionStart::New,
            model: Some("fake/claude-sonnet-4-5".into()),
            agent: None,
            approval: None,
            headless: true,
        },
    )
    .await
    .unwrap();
    send(&session, "hello");
    let (done, seen) = until_done(&mut session).await;
    assert!(
        matches!(
            done,
            Event::TurnComplete {
                status: MessageStatus::Error,
                ..
            }
        ),
        "{done:?}"
    );
    let errs = errors(&seen);
    assert!(
        errs.iter()
            .any(|m| m.contains("budgets.monthly_usd") && m.contains("no request was sent")),
        "{errs:?}"
    );
    assert!(server.chat_requests().is_empty());
    assert_eq!(ledger(&s.deps).await.len(), 1, "only the earlier spend");
}

/// A long conversation against the fake Anthropic provider simulating prompt caching: the
/// ledger's figures with the `cache_control` breakpoints the client sends, against the same
/// prompt tokens all billed as uncached input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_caching_saves_most_of_the_input_cost_of_a_long_conversation() {
    let server = FakeProvider::start(Flavor::Anthropic).await;
    server.simulate_prompt_cache();
    let s = setup(&server, "");
    let mut session = session(&s.deps).await;
    const TURNS: usize = 30;
    let reply = "Here is a considered answer that refers back to the code. ".repeat(20);
    for i in 0..TURNS {
        server.push(Reply::text(reply.clone()).usage(0, 300));
        let prompt = format!(
            "Question {i}: {}",
            "please explain this part of the module in detail. ".repeat(40)
        );
        send(&session, &prompt);
        until_done(&mut session).await;
    }
    let rows = ledger(&s.deps).await;
    assert_eq!(rows.len(), TURNS);
    let (price_in, price_out) = (3.0, 15.0);
    let prompt: u64 = rows
        .iter()
        .map(|r| r.input_tokens + r.cached_input_tokens + r.cache_write_input_tokens)
        .sum();
    let read: u64 = rows.iter().map(|r| r.cached_input_tokens).sum();
    let written: u64 = rows.iter().map(|r| r.cache_write_input_tokens).sum();
    let output: u64 = rows.iter().map(|r| r.output_tokens).sum();
    let with_cache: f64 = rows.iter().filter_map(|r| r.cost_usd).sum();
    let without = (prompt as f64 * price_in + output as f64 * price_out) / 1e6;
    let input_with = with_cache - output as f64 * price_out / 1e6;
    let input_without = prompt as f64 * price_in / 1e6;
    println!(
        "prompt caching, {TURNS} turns on claude-sonnet-4-5 prices: {prompt} prompt tokens ({read} read from cache, {written} written); \
         cost ${with_cache:.4} with caching vs ${without:.4} without ({:.1}% saved; input alone ${input_with:.4} vs ${input_without:.4}, {:.1}% saved)",
        100.0 * (1.0 - with_cache / without),
        100.0 * (1.0 - input_with / input_without),
    );
    assert!(read > prompt / 2, "most prompt tokens come from the cache");
    assert!(with_cache < without * 0.5, "{with_cache} vs {without}");
}
