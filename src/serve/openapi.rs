//! `GET /api/openapi.json`: the OpenAPI 3.1 description of every route, written by hand next
//! to the route table ([`ROUTES`] lists what `super::router` serves; a test checks each route
//! of the router is described and each description is served).

use axum::Json;
use serde_json::{Value, json};

/// `(method, path)` of every route the server answers.
pub const ROUTES: &[(&str, &str)] = &[
    ("get", "/health"),
    ("get", "/api/openapi.json"),
    ("post", "/api/conversations"),
    ("get", "/api/conversations"),
    ("get", "/api/conversations/{id}"),
    ("delete", "/api/conversations/{id}"),
    ("post", "/api/conversations/{id}/restore"),
    ("get", "/api/conversations/{id}/messages"),
    ("post", "/api/conversations/{id}/messages"),
    ("post", "/api/conversations/{id}/approvals/{call_id}"),
    ("delete", "/api/conversations/{id}/turn"),
    ("get", "/api/conversations/{id}/ws"),
    ("get", "/api/admin/jobs"),
    ("get", "/api/admin/jobs/{id}"),
    ("get", "/api/admin/jobs/{id}/runs"),
    ("post", "/api/admin/jobs/{id}/run"),
];

fn problem(description: &str) -> Value {
    json!({"description": description, "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}})
}

fn ok_json(description: &str, schema: Value) -> Value {
    json!({"description": description, "content": {"application/json": {"schema": schema}}})
}

fn id_param(name: &str) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}})
}

fn query(name: &str, kind: &str) -> Value {
    json!({"name": name, "in": "query", "required": false, "schema": {"type": kind}})
}

fn body(properties: Value, required: &[&str]) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": {
        "type": "object", "additionalProperties": false, "properties": properties, "required": required}}}})
}

fn conversation_ref() -> Value {
    json!({"$ref": "#/components/schemas/Conversation"})
}

/// The operation object of one route.
fn operation(method: &str, path: &str) -> Value {
    let any = json!({});
    let errors = |op: Value| -> Value {
        let mut op = op;
        if path != "/health" {
            op["security"] = json!([{"bearer": []}]);
            op["responses"]["401"] = problem("no, unknown or revoked token");
        }
        if path.contains("{id}") {
            op["responses"]["404"] = problem("no such conversation (or another profile's)");
        }
        op
    };
    let id = id_param("id");
    errors(match (method, path) {
        ("get", "/health") => {
            json!({"summary": "Health of the store and providers", "responses": {"200": ok_json("healthy", any)}})
        }
        ("get", "/api/openapi.json") => {
            json!({"summary": "This document", "responses": {"200": ok_json("OpenAPI 3.1", any)}})
        }
        ("post", "/api/conversations") => json!({"summary": "Create a conversation",
            "requestBody": body(json!({"title": {"type": "string"}, "agent": {"type": "string"}, "model": {"type": "string"}}), &[]),
            "responses": {"201": ok_json("created", conversation_ref()), "400": problem("bad body")}}),
        ("get", "/api/conversations") => {
            json!({"summary": "List conversations, most recently updated first",
            "parameters": [query("limit", "integer"), query("offset", "integer"), query("query", "string"), query("agent", "string"), query("deleted", "boolean")],
            "responses": {"200": ok_json("a page", json!({"type": "object", "properties": {"items": {"type": "array", "items": conversation_ref()}, "total": {"type": "integer"}}}))}})
        }
        ("get", "/api/conversations/{id}") => {
            json!({"summary": "A conversation with its messages (the `history show --json` shape)", "parameters": [id], "responses": {"200": ok_json("the conversation", any)}})
        }
        ("delete", "/api/conversations/{id}") => {
            json!({"summary": "Soft-delete (restore undoes it)", "parameters": [id], "responses": {"204": {"description": "deleted"}}})
        }
        ("post", "/api/conversations/{id}/restore") => {
            json!({"summary": "Undo a delete", "parameters": [id], "responses": {"200": ok_json("restored", conversation_ref())}})
        }
        ("get", "/api/conversations/{id}/messages") => {
            json!({"summary": "Messages, oldest first: the last `limit` before ordinal `before`",
            "parameters": [id, query("limit", "integer"), query("before", "integer")],
            "responses": {"200": ok_json("messages", json!({"type": "array", "items": {"$ref": "#/components/schemas/Message"}}))}})
        }
        ("post", "/api/conversations/{id}/messages") => {
            json!({"summary": "Run one user turn; `Accept: text/event-stream` streams the `run --json` events as SSE (`event:` = type)",
            "parameters": [id],
            "requestBody": body(json!({"content": {"type": "string"}, "model": {"type": "string"}, "agent": {"type": "string"}, "approve": {"enum": ["ask", "auto", "deny"]}}), &["content"]),
            "responses": {"200": {"description": "the turn's messages when it ends, or the event stream",
                "content": {"application/json": {"schema": any}, "text/event-stream": {"schema": {"type": "string"}}}},
                "400": problem("bad body"), "409": problem("a turn is already running in this conversation"), "413": problem("body too large"), "429": problem("the token has [server] max_turns_per_token turns in flight")}})
        }
        ("post", "/api/conversations/{id}/approvals/{call_id}") => {
            json!({"summary": "Answer a tool call's approval request",
            "parameters": [id, id_param("call_id")],
            "requestBody": body(json!({"decision": {"enum": ["once", "always", "deny"]}, "reason": {"type": "string"}}), &["decision"]),
            "responses": {"200": ok_json("passed to the turn", any), "400": problem("bad body")}})
        }
        ("delete", "/api/conversations/{id}/turn") => {
            json!({"summary": "Interrupt the turn running over HTTP (its partial reply is stored)",
            "parameters": [id], "responses": {"202": {"description": "interrupt sent"}}})
        }
        ("get", "/api/conversations/{id}/ws") => {
            json!({"summary": "WebSocket channel: client sends Op JSON, server sends Event JSON (docs/channel-protocol.md)",
            "parameters": [id], "responses": {"101": {"description": "switching protocols"}}})
        }
        ("get", "/api/admin/jobs") => {
            json!({"summary": "Jobs of the token's profile with their last run (as `harness jobs list --json`)",
            "responses": {"200": ok_json("jobs", json!({"type": "array", "items": {"type": "object"}}))}})
        }
        ("get", "/api/admin/jobs/{id}") => {
            json!({"summary": "One job (id, unique prefix or name) with its last run",
            "parameters": [id], "responses": {"200": ok_json("the job", json!({"type": "object"})), "404": problem("no such job")}})
        }
        ("get", "/api/admin/jobs/{id}/runs") => {
            json!({"summary": "Every attempt of a job (as `harness jobs runs --json`)",
            "parameters": [id], "responses": {"200": ok_json("runs", json!({"type": "array", "items": {"type": "object"}})), "404": problem("no such job")}})
        }
        ("post", "/api/admin/jobs/{id}/run") => {
            json!({"summary": "Run a job now, once; answers with the run record when its turn ends",
            "parameters": [id], "responses": {"200": ok_json("the run", json!({"type": "object"})), "404": problem("no such job"), "409": problem("a run of the job is going")}})
        }
        _ => json!({"responses": {}}),
    })
}

/// The whole document.
pub fn spec() -> Value {
    let mut paths = serde_json::Map::new();
    for (method, path) in ROUTES {
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = operation(method, path);
    }
    json!({
        "openapi": "3.1.0",
        "info": {"title": "harness", "version": env!("CARGO_PKG_VERSION"),
            "description": "The harness HTTP and WebSocket API (`harness serve`). Errors are RFC 7807 application/problem+json."},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {"type": "object", "properties": {"type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"}, "detail": {"type": "string"}}, "required": ["type", "title", "status", "detail"]},
                "Conversation": {"type": "object", "properties": {"id": {"type": "string"}, "title": {"type": "string"}, "agent": {"type": "string"}, "model": {"type": ["string", "null"]}, "created_at": {"type": "string"}, "updated_at": {"type": "string"}, "message_count": {"type": "integer"}}},
                "Message": {"type": "object", "properties": {"id": {"type": "string"}, "ordinal": {"type": "integer"}, "role": {"type": "string"}, "content": {"type": "string"}, "status": {"type": "string"}}}
            }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(spec())
}
