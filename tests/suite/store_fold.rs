//! `Store::fold_messages` with the request-history builder (how a session reads a long
//! conversation without holding its rows twice) gives exactly the history that
//! `request_history` builds from all the rows: with and without a summary, with tool calls
//! answered and unanswered, and with the figures the session keeps (cost, row count).

use harness::core::context::{HistoryBuilder, request_history};
use harness::message::{ConversationId, MessageStatus, Role, ToolCall};
use harness::store::Store;
use harness::store::messages::NewMessage;

async fn append(store: &Store, c: ConversationId, role: Role, text: &str) -> i64 {
    store
        .append_message(NewMessage::new(c, role, text))
        .await
        .unwrap()
        .ordinal
}

async fn assistant_calling(store: &Store, c: ConversationId, call: &str, cost: f64) {
    let mut m = NewMessage::new(c, Role::Assistant, "let me look");
    m.tool_calls = vec![ToolCall {
        id: call.into(),
        name: "bash".into(),
        arguments: serde_json::json!({"command": "ls"}),
    }];
    m.cost_usd = Some(cost);
    m.status = MessageStatus::Complete;
    store.append_message(m).await.unwrap();
}

async fn folded(
    store: &Store,
    c: ConversationId,
) -> (Vec<harness::providers::ChatMessage>, f64, usize) {
    let ((history, cost), count) = store
        .fold_messages(
            c,
            |summary| (HistoryBuilder::new(summary), 0.0),
            |(history, cost), m| {
                *cost += m.cost_usd.unwrap_or(0.0);
                history.push(m);
            },
        )
        .await
        .unwrap();
    (history.finish(), cost, count)
}

#[tokio::test]
async fn folding_the_rows_builds_the_same_history_as_reading_them_all() {
    let store = Store::open_in_memory().unwrap();
    let c = store
        .create_conversation("general", Some("p/m"), None)
        .await
        .unwrap()
        .id;
    append(&store, c, Role::User, "first question").await;
    assistant_calling(&store, c, "call-1", 0.25).await;
    let mut result = NewMessage::new(c, Role::Tool, "file.txt");
    result.tool_call_id = Some("call-1".into());
    store.append_message(result).await.unwrap();
    append(&store, c, Role::Assistant, "there is one file").await;
    append(&store, c, Role::User, "second question").await;
    // A call whose result was never stored (the process died mid-tool).
    assistant_calling(&store, c, "call-2", 0.5).await;

    let rows = store.messages(c).await.unwrap();
    let (history, cost, count) = folded(&store, c).await;
    assert_eq!(history, request_history(&rows), "no summary");
    assert_eq!(count, rows.len());
    assert_eq!(cost, 0.75);
    assert!(
        history
            .last()
            .unwrap()
            .content
            .contains("No result was recorded"),
        "the unanswered call is closed"
    );

    // A summary standing in for the first four messages: only what follows it is sent.
    let mut summary = NewMessage::new(c, Role::Summary, "they asked about files");
    summary.summary_through = Some(4);
    store.append_message(summary).await.unwrap();
    let last = append(&store, c, Role::User, "third question").await;
    let rows = store.messages(c).await.unwrap();
    let (history, _, count) = folded(&store, c).await;
    assert_eq!(history, request_history(&rows), "with a summary");
    assert_eq!(count, rows.len());
    assert_eq!(count as i64, last);
    assert!(history[0].content.contains("they asked about files"));
    assert!(
        !history.iter().any(|m| m.content == "first question"),
        "covered messages are left out"
    );
}
