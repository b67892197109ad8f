//! A fake LLM provider on 127.0.0.1 that speaks each real wire format byte for byte, answers
//! chat requests from a FIFO script, injects faults, and records every request.
//!
//! ```ignore
//! use crate::support::fake_provider::{FakeProvider, Flavor, Reply};
//! let server = FakeProvider::start(Flavor::OpenAi).await;   // random port
//! server.base_url()                 // value for base_url in [providers.X]
//! server.config_toml("name")        // a ready [providers.name] block (kind, base_url, api_key)
//! server.provider_config("name")    // the same as a harness::config::ProviderConfig
//! server.push(Reply::text("Hello"));
//! server.push(Reply::text_chunks(["He", "llo"]));
//! server.push(Reply::tool_call("call_1", "bash", json!({"command": "ls"})));   // args in many chunks
//! server.push(Reply::tool_call("a", "read", json!({})).then_tool_call("b", "glob", json!({})));
//! server.push(Reply::reasoning("thinking...").then_text("answer"));
//! server.push(Reply::status(429).header("retry-after", "1"));          // flavour's error JSON
//! server.push(Reply::status(502).body("<html>bad gateway</html>"));   // any body
//! server.push(Reply::text("x").truncated());                           // no terminal marker
//! server.push(Reply::in_band_error("overloaded"));                     // error inside a 200 stream
//! server.push(Reply::text("partial").then_error("boom"));              // content, then error
//! server.push(Reply::text("x").keep_alive());                          // comments / pings between events
//! server.push(Reply::text("x").usage(100, 20));                        // usage numbers reported
//! server.push(Reply::text("x").cache(80, 10));    // prompt-cache reads and writes reported
//! server.simulate_prompt_cache()   // usage computed from each body's cache_control (cache.rs)
//! server.push(Reply::text("x").delay_first_byte(d));  // or .delay_body(d) / .frame_delay(d) / .stall_after(n)
//! server.push(Reply::many_deltas(20_000));                             // benchmarks
//! server.requests()        // Vec<RecordedRequest { method, path, headers (lowercase), body: Value }>
//! server.chat_requests()   // only the chat calls
//! server.set_models(&["m1", "m2"]) / set_model_list(vec![FakeModel{..}]) / fail_models(500)
//! server.set_default_reply(Some(Reply::text("hi")))   // used when the script is empty
//! server.push_for("CHILD-A", Reply::text("a"))  // for the request whose body has the marker
//! server.gate("You are a worker", 2)  // hold such requests until 2 are in flight together
//! server.embed_requests()     // POST /api/embed (Ollama) or {base}/embeddings: hashed bag-of-words vectors (embed.rs)
//! server.fail_embeddings(Some(500))   // the embedding endpoint answers this status
//! ```
//!
//! With an empty script (and no default reply) a chat request gets HTTP 500 "fake provider:
//! no scripted reply", so a test that forgot to script fails loudly. Requests without the right
//! key ([`FakeProvider::API_KEY`], as `x-api-key` for Anthropic and a Bearer token otherwise;
//! Ollama needs none) get the flavour's 401. `wire::render(flavor, &reply)` gives the raw bytes
//! of a stream without any server, for parser benchmarks.

#![allow(dead_code)]

mod cache;
pub mod embed;
mod gate;
mod server;
pub mod wire;

#[allow(unused_imports)]
pub use server::{FakeModel, FakeProvider, RecordedRequest};
#[allow(unused_imports)]
pub use wire::{Flavor, Part, Reply, many_deltas_text, render};
