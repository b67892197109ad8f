//! Anthropic prompt caching, simulated: with `FakeProvider::simulate_prompt_cache()`, a chat
//! request's reported usage is computed from its body instead of the script. Every block (each
//! tool, system block and message content block, in that order) counts `len/4` tokens of its
//! JSON without `cache_control`. A prefix ending at a `cache_control` breakpoint is written to
//! the cache (when it has at least 1024 tokens, the API's minimum); a later request reads the
//! longest cached prefix that ends at one of its breakpoints or up to 20 blocks before one, as
//! the API does. Reported: input (uncached), cache reads, cache writes.

use serde_json::Value;
use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

const MIN_CACHEABLE: u64 = 1024;
const LOOKBACK: usize = 20;

#[derive(Debug, Default)]
pub(crate) struct CacheSim {
    cached: HashSet<u64>,
}

/// What one request reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct CacheUsage {
    pub input: u64,
    pub read: u64,
    pub write: u64,
}

fn blocks(body: &Value) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut push = |role: &str, block: &Value| {
        let marked = block.get("cache_control").is_some();
        let mut clean = block.clone();
        if let Some(o) = clean.as_object_mut() {
            o.remove("cache_control");
        }
        out.push((format!("{role}:{clean}"), marked));
    };
    for t in body["tools"].as_array().into_iter().flatten() {
        push("tool", t);
    }
    match &body["system"] {
        Value::Array(blocks) => blocks.iter().for_each(|b| push("system", b)),
        Value::Null => {}
        other => push("system", other),
    }
    for m in body["messages"].as_array().into_iter().flatten() {
        let role = m["role"].as_str().unwrap_or("?");
        match &m["content"] {
            Value::Array(blocks) => blocks.iter().for_each(|b| push(role, b)),
            other => push(role, other),
        }
    }
    out
}

impl CacheSim {
    pub fn usage(&mut self, body: &Value) -> CacheUsage {
        let blocks = blocks(body);
        let mut cum = Vec::with_capacity(blocks.len());
        let mut hashes = Vec::with_capacity(blocks.len());
        let (mut total, mut h) = (0u64, 0u64);
        for (text, _) in &blocks {
            total += (text.len() as u64 / 4).max(1);
            let mut hasher = DefaultHasher::new();
            (h, text).hash(&mut hasher);
            h = hasher.finish();
            cum.push(total);
            hashes.push(h);
        }
        let breakpoints: Vec<usize> = (0..blocks.len()).filter(|&i| blocks[i].1).collect();
        let mut read_end: Option<usize> = None;
        for &b in &breakpoints {
            if let Some(j) = (b.saturating_sub(LOOKBACK)..=b)
                .rev()
                .find(|&j| self.cached.contains(&hashes[j]))
            {
                read_end = Some(read_end.map_or(j, |r| r.max(j)));
            }
        }
        let read = read_end.map_or(0, |j| cum[j]);
        let write = match breakpoints.last() {
            Some(&last) if cum[last] >= MIN_CACHEABLE && read_end.is_none_or(|r| r < last) => {
                cum[last] - read
            }
            _ => 0,
        };
        for &b in &breakpoints {
            if cum[b] >= MIN_CACHEABLE {
                self.cached.insert(hashes[b]);
            }
        }
        CacheUsage {
            input: total - read - write,
            read,
            write,
        }
    }
}
