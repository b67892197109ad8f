//! Driver behaviour shared by every flavour, tested once on one flavour each: timeouts with
//! their own messages, retry limits, transport failures, bodies that are not a stream, the
//! circuit breaker, and lazy/cancellable streams.

use super::providers::{client, client_for, collect, fast_retry, request, text_of};
use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
use harness::providers::health::{BreakerPolicy, HealthRegistry};
use harness::providers::{ProviderError, RetryPolicy, TimeoutPhase, build_provider_with};
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn gives_up_after_max_retries() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    for _ in 0..5 {
        server.push(Reply::status(500));
    }
    let (_, err) = collect(&client(&server), request("hi")).await;
    assert!(
        matches!(err, Some(ProviderError::Server { status: 500, .. })),
        "{err:?}"
    );
    assert_eq!(server.chat_requests().len(), 4, "1 attempt + 3 retries");
}

#[tokio::test]
async fn html_and_invalid_json_bodies_are_typed_errors() {
    let no_retry = RetryPolicy {
        max_retries: 0,
        ..fast_retry()
    };
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let p = client_for(&server.provider_config("fake"), no_retry);
    server
        .push(Reply::status(502).body("<html><head><title>502 Bad Gateway</title></head></html>"));
    let (_, err) = collect(&p, request("hi")).await;
    let err = err.unwrap();
    assert!(
        matches!(err, ProviderError::Server { status: 502, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("HTML"), "{err}");

    // A 200 that is an HTML page (a captive portal, a wrong base_url).
    server.push(Reply::status(200).body("<html>login page</html>"));
    let (_, err) = collect(&p, request("hi")).await;
    let err = err.unwrap();
    assert!(
        matches!(err, ProviderError::InvalidResponse { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("HTML"), "{err}");

    // A 200 with a plain JSON error instead of a stream.
    server.push(Reply::status(200).body(
        r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#,
    ));
    let (_, err) = collect(&p, request("hi")).await;
    assert!(matches!(err, Some(ProviderError::Quota { .. })), "{err:?}");

    // A 200 with JSON that is neither an error nor a stream.
    server.push(Reply::status(200).body(r#"{"unexpected": true}"#));
    let (_, err) = collect(&p, request("hi")).await;
    assert!(
        matches!(err, Some(ProviderError::InvalidResponse { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn first_byte_and_idle_timeouts_have_their_own_errors() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let mut cfg = server.provider_config("fake");
    cfg.first_byte_timeout_secs = 1;
    cfg.idle_timeout_secs = 1;
    let p = client_for(
        &cfg,
        RetryPolicy {
            max_retries: 0,
            ..fast_retry()
        },
    );

    server.push(Reply::text("late").delay_first_byte(Duration::from_secs(3)));
    let (_, err) = collect(&p, request("hi")).await;
    assert_eq!(
        err,
        Some(ProviderError::Timeout {
            provider: "fake".into(),
            phase: TimeoutPhase::FirstByte
        })
    );

    server.push(Reply::text("late body").delay_body(Duration::from_secs(3)));
    let (_, err) = collect(&p, request("hi")).await;
    assert_eq!(
        err,
        Some(ProviderError::Timeout {
            provider: "fake".into(),
            phase: TimeoutPhase::FirstByte
        })
    );

    server.push(Reply::text_chunks(["one ", "two ", "three"]).stall_after(3));
    let (events, err) = collect(&p, request("hi")).await;
    assert_eq!(text_of(&events), "one two ");
    let err = err.unwrap();
    assert_eq!(
        err,
        ProviderError::Timeout {
            provider: "fake".into(),
            phase: TimeoutPhase::BetweenChunks
        }
    );
    assert!(err.to_string().contains("next chunk"), "{err}");
}

#[tokio::test]
async fn timeout_before_content_is_retried() {
    let server = FakeProvider::start(Flavor::Anthropic).await;
    let mut cfg = server.provider_config("fake");
    cfg.first_byte_timeout_secs = 1;
    let p = client_for(&cfg, fast_retry());
    server.push(Reply::text("slow").delay_first_byte(Duration::from_secs(3)));
    server.push(Reply::text("fast"));
    let (events, err) = collect(&p, request("hi")).await;
    assert!(err.is_none(), "{err:?}");
    assert_eq!(text_of(&events), "fast");
}

#[tokio::test]
async fn connection_refused_is_a_transport_error() {
    // Bind then drop to get a port that nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let mut cfg = server.provider_config("fake");
    cfg.base_url = format!("http://127.0.0.1:{port}/v1");
    let p = client_for(
        &cfg,
        RetryPolicy {
            max_retries: 1,
            ..fast_retry()
        },
    );
    let (_, err) = collect(&p, request("hi")).await;
    let err = err.unwrap();
    assert!(matches!(err, ProviderError::Transport { .. }), "{err:?}");
    assert!(
        err.to_string().contains("base_url"),
        "says what to check: {err}"
    );
    let err = p.list_models().await.unwrap_err();
    assert!(matches!(err, ProviderError::Transport { .. }), "{err:?}");
}

#[tokio::test]
async fn circuit_opens_after_consecutive_failures_and_fails_fast() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let health = Arc::new(HealthRegistry::new(BreakerPolicy {
        failure_threshold: 2,
        cooldown: Duration::from_secs(60),
    }));
    let cfg = server.provider_config("fake");
    let p = build_provider_with(
        &cfg,
        Arc::clone(&health),
        RetryPolicy {
            max_retries: 1,
            ..fast_retry()
        },
    )
    .unwrap();
    for _ in 0..4 {
        server.push(Reply::status(503));
    }
    for _ in 0..2 {
        let (_, err) = collect(&p, request("hi")).await;
        assert!(matches!(err, Some(ProviderError::Server { .. })), "{err:?}");
    }
    assert_eq!(server.chat_requests().len(), 4);
    assert!(!health.is_available("fake"));
    server.push(Reply::text("not reached"));
    let (_, err) = collect(&p, request("hi")).await;
    assert!(
        matches!(err, Some(ProviderError::CircuitOpen { .. })),
        "{err:?}"
    );
    assert_eq!(
        server.chat_requests().len(),
        4,
        "failed fast without a request"
    );
}

#[tokio::test]
async fn success_and_client_errors_keep_the_circuit_closed() {
    let server = FakeProvider::start(Flavor::Zai).await;
    let health = Arc::new(HealthRegistry::new(BreakerPolicy {
        failure_threshold: 1,
        cooldown: Duration::from_secs(60),
    }));
    let p = build_provider_with(
        &server.provider_config("fake"),
        Arc::clone(&health),
        fast_retry(),
    )
    .unwrap();
    server.push(Reply::status(400));
    let _ = collect(&p, request("hi")).await;
    assert!(health.is_available("fake"));
    server.push(Reply::text("ok"));
    let (_, err) = collect(&p, request("hi")).await;
    assert!(err.is_none());
    assert!(health.is_available("fake"));
}

#[tokio::test]
async fn dropping_the_stream_cancels_and_nothing_is_sent_before_polling() {
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let p = client(&server);
    let stream = p.stream(request("hi"));
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(
        server.chat_requests().is_empty(),
        "nothing sent before the first poll"
    );
    drop(stream);
}

#[tokio::test]
async fn connect_timeout_has_its_own_error() {
    // A listener with a full accept queue: the kernel drops further SYNs, so connecting hangs.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let addr = listener.local_addr().unwrap();
    let mut fillers = Vec::new();
    let mut queue_full = false;
    for _ in 0..64 {
        match std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => fillers.push(s),
            Err(_) => {
                queue_full = true;
                break;
            }
        }
    }
    assert!(
        queue_full,
        "could not fill the accept queue; the test cannot run here"
    );
    let server = FakeProvider::start(Flavor::OpenAi).await;
    let mut cfg = server.provider_config("fake");
    cfg.base_url = format!("http://{addr}/v1");
    cfg.connect_timeout_secs = 1;
    let p = client_for(
        &cfg,
        RetryPolicy {
            max_retries: 0,
            ..fast_retry()
        },
    );
    let (_, err) = collect(&p, request("hi")).await;
    let err = err.unwrap();
    assert_eq!(
        err,
        ProviderError::Timeout {
            provider: "fake".into(),
            phase: TimeoutPhase::Connect
        }
    );
    assert!(err.to_string().contains("while connecting"), "{err}");
    drop(listener);
}
