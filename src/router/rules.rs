//! Picks the models for one message: a pin (`-m`, `/model`, the agent's `model`, a non-auto
//! `default_model`) wins; otherwise `[[router.rules]]` are tried by priority (higher first, file
//! order on ties) and the first rule whose conditions all hold supplies the fallback chain
//! (`models`), minus models whose provider is unavailable (circuit open). A rule left with no
//! usable model passes to the next matching rule; when nothing is left, `[router] default`.
//! Every step lands in the trace, so `harness route` and `route` events can say why.

use super::budget::apply_budget;
use super::classify::{Category, Classification, ClassifyInput, classify};
use crate::agents::Agent;
use crate::config::{Config, RouteRule, RouterConfig, resolve_model_ref};
use crate::usage::BudgetState;
use regex::Regex;
use serde::Serialize;
use std::fmt;

/// Who pinned a model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "by", content = "name", rename_all = "snake_case")]
pub enum PinSource {
    /// `-m` / `--model` on the command line.
    Flag,
    /// `/model REF` in the TUI.
    Command,
    /// The active agent's `model`.
    Agent(String),
    /// `default_model` in config.toml (or `HARNESS_MODEL`).
    ConfigDefault,
}

impl fmt::Display for PinSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PinSource::Flag => f.write_str("pinned by -m"),
            PinSource::Command => f.write_str("pinned by /model"),
            PinSource::Agent(name) => write!(f, "pinned by agent {name}"),
            PinSource::ConfigDefault => f.write_str("pinned by default_model in config"),
        }
    }
}

/// A model chosen by the user rather than the router. `auto` as the model hands control back
/// to the router, overriding the agent's pin and `default_model` too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pin {
    pub model: String,
    pub source: PinSource,
}

impl Pin {
    pub fn new(model: impl Into<String>, source: PinSource) -> Self {
        Self {
            model: model.into(),
            source,
        }
    }

    pub fn is_auto(&self) -> bool {
        self.model.trim() == "auto"
    }
}

/// Everything the router looks at. Provider health comes in as `available(provider_name)`.
pub struct RouteInput<'a> {
    pub text: &'a str,
    pub agent: &'a Agent,
    /// The session pin (`-m`, `/model`); `None` = no session pin.
    pub pinned: Option<&'a Pin>,
    /// Category of the previous user message, for short continuations.
    pub previous: Option<Category>,
    pub config: &'a Config,
    pub available: &'a dyn Fn(&str) -> bool,
    /// The budget's state when `[budgets]` sets a limit: with `action = "downgrade"` near or
    /// over it, `downgrade_to` replaces the chain (a pinned model is kept).
    pub budget: Option<&'a BudgetState>,
}

/// One model to try, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Candidate {
    /// `provider/model-id`, aliases resolved.
    pub model: String,
    pub provider: String,
    /// How the config wrote it when that differs (an alias).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Why this model: `rule X (category Y)`, `pinned by -m`, `default (...)`.
    pub reason: String,
}

/// What happened to one rule, pin or model while deciding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TraceStep {
    /// The rule's name, or `pin`/`default`.
    pub step: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<i64>,
    pub outcome: Outcome,
    pub why: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// A pin decided; the rules were not consulted.
    Pinned,
    Matched,
    Skipped,
    /// A model of the chain was left out (provider unavailable or bad reference).
    ModelSkipped,
    /// The rule matched but none of its models can be used.
    NoUsableModel,
    /// Not looked at: an earlier rule or a pin already decided.
    NotReached,
}

/// The router's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteDecision {
    pub category: Category,
    pub classification: Classification,
    /// The rule that supplied the candidates (`None` for a pin or the default).
    pub rule: Option<String>,
    pub pinned: Option<PinSource>,
    /// Ordered, never empty: the first is used, the rest are the fallback chain.
    pub candidates: Vec<Candidate>,
    pub trace: Vec<TraceStep>,
}

impl RouteDecision {
    /// The model to try first.
    pub fn chosen(&self) -> Option<&Candidate> {
        self.candidates.first()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    #[error(
        "no router rule matched (category {category}) and [router] default is not set: add default = \"provider/model\" under [router] in config.toml, or pin a model with -m"
    )]
    NoRoute { category: Category },
    #[error(
        "no model can be used now: {} (their providers are failing; wait for them to recover, or pin another model with -m)",
        skipped.join("; ")
    )]
    AllUnavailable { skipped: Vec<String> },
    #[error("{what}: {message}")]
    BadReference { what: String, message: String },
    #[error("rule `{rule}`: {message}")]
    BadRule { rule: String, message: String },
}

/// Why a rule or model fails, as text for the trace and reasons.
pub fn unavailable_reason(provider: &str) -> String {
    format!("provider {provider} unavailable (circuit open)")
}

/// The reason for the next candidate after `failed` could not answer: it says `fallback`,
/// which model failed and why, then why the next one is in the chain.
pub fn fallback_reason(failed: &str, why: &str, next: &Candidate) -> String {
    let why = why.lines().next().unwrap_or("").trim();
    let why = if why.is_empty() { "failed" } else { why };
    format!("fallback from {failed}: {why}; {}", next.reason)
}

/// A rule with its patterns compiled.
#[derive(Debug, Clone)]
struct CompiledRule {
    rule: RouteRule,
    category: Option<Category>,
    keywords: Option<Regex>,
    regex: Option<Regex>,
}

/// The rules of `[router]`, checked and compiled once; keep it for the session.
#[derive(Debug, Clone)]
pub struct Router {
    rules: Vec<CompiledRule>,
    default: Option<String>,
}

/// `(?i)` word match for any keyword; spaces in a keyword match any whitespace.
pub(crate) fn keyword_regex(keywords: &[String]) -> Result<Option<Regex>, regex::Error> {
    let alternatives: Vec<String> = keywords
        .iter()
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
        .map(|k| {
            k.split_whitespace()
                .map(regex::escape)
                .collect::<Vec<_>>()
                .join(r"\s+")
        })
        .collect();
    if alternatives.is_empty() {
        return Ok(None);
    }
    // Word boundaries that also work for keywords starting or ending in punctuation (`c++`).
    let pattern = format!(r"(?i)(?:^|[^\w])({})(?:[^\w]|$)", alternatives.join("|"));
    Regex::new(&pattern).map(Some)
}

impl Router {
    pub fn new(config: &RouterConfig) -> Result<Self, RouteError> {
        let mut rules = Vec::with_capacity(config.rules.len());
        for rule in &config.rules {
            let bad = |message: String| RouteError::BadRule {
                rule: rule.name.clone(),
                message,
            };
            let category = match &rule.category {
                Some(c) => Some(c.parse::<Category>().map_err(bad)?),
                None => None,
            };
            let keywords = keyword_regex(&rule.keywords)
                .map_err(|e| bad(format!("keywords do not compile: {e}")))?;
            let regex = match &rule.regex {
                Some(r) => Some(Regex::new(r).map_err(|e| bad(format!("invalid regex: {e}")))?),
                None => None,
            };
            rules.push(CompiledRule {
                rule: rule.clone(),
                category,
                keywords,
                regex,
            });
        }
        // Stable sort: equal priorities keep file order.
        rules.sort_by_key(|r| std::cmp::Reverse(r.rule.priority));
        Ok(Self {
            rules,
            default: config.default.clone(),
        })
    }

    pub fn route(&self, input: &RouteInput<'_>) -> Result<RouteDecision, RouteError> {
        let classification = classify(&ClassifyInput {
            text: input.text,
            agent: &input.agent.name,
            previous: input.previous,
        });
        self.decide(input, classification)
            .and_then(|d| apply_budget(input, d))
    }

    /// [`Router::route`] for sending a message: when a pin decides, the text is not classified
    /// (the classifier only explains a pinned decision, and its first use compiles its patterns,
    /// which would add tens of milliseconds to a pinned `harness run`). The category reported is
    /// then the previous message's, or `general`.
    pub fn route_request(&self, input: &RouteInput<'_>) -> Result<RouteDecision, RouteError> {
        if self.effective_pin(input, &mut Vec::new()).is_none() {
            return self.route(input);
        }
        let category = input.previous.unwrap_or(Category::General);
        self.decide(
            input,
            Classification {
                category,
                coding_score: 0,
                complexity: 0,
                signals: Vec::new(),
            },
        )
        .and_then(|d| apply_budget(input, d))
    }

    /// Long by design: the routing precedence (pin, rules, category, default, fallbacks) reads top
    /// to bottom.
    fn decide(
        &self,
        input: &RouteInput<'_>,
        classification: Classification,
    ) -> Result<RouteDecision, RouteError> {
        let category = classification.category;
        let mut decision = RouteDecision {
            category,
            classification,
            rule: None,
            pinned: None,
            candidates: Vec::new(),
            trace: Vec::new(),
        };

        if let Some(pin) = self.effective_pin(input, &mut decision.trace) {
            let resolved = resolve_model_ref(input.config, &pin.model).map_err(|message| {
                RouteError::BadReference {
                    what: pin.source.to_string(),
                    message,
                }
            })?;
            let mut reason = pin.source.to_string();
            if !(input.available)(&resolved.provider) {
                reason.push_str(&format!(
                    " ({}; kept because it is pinned)",
                    unavailable_reason(&resolved.provider)
                ));
            }
            let model = resolved.to_string();
            decision.trace.push(TraceStep {
                step: "pin".to_string(),
                priority: None,
                outcome: Outcome::Pinned,
                why: format!("{model}: {reason}"),
            });
            decision.candidates.push(Candidate {
                alias: alias_of(&pin.model, &model),
                model,
                provider: resolved.provider,
                reason,
            });
            for r in &self.rules {
                decision.trace.push(not_reached(r, &pin.source.to_string()));
            }
            decision.pinned = Some(pin.source);
            return Ok(decision);
        }

        let chars = input.text.chars().count();
        let mut skipped_models: Vec<String> = Vec::new();
        let mut matched_unusable: Vec<String> = Vec::new();
        let mut decided = false;
        for r in &self.rules {
            if decided {
                decision
                    .trace
                    .push(not_reached(r, "an earlier rule matched"));
                continue;
            }
            let matched = match self.check(r, input, category, chars) {
                Err(why) => {
                    decision.trace.push(step(r, Outcome::Skipped, why));
                    continue;
                }
                Ok(matched) => matched,
            };
            let base = format!("rule {} ({})", r.rule.name, matched.join(", "));
            let (candidates, skipped) = chain(input, &r.rule.models, &base);
            if candidates.is_empty() {
                decision.trace.push(step(
                    r,
                    Outcome::NoUsableModel,
                    format!(
                        "matched ({}) but none of its models can be used",
                        matched.join(", ")
                    ),
                ));
                matched_unusable.push(r.rule.name.clone());
            } else {
                decision
                    .trace
                    .push(step(r, Outcome::Matched, matched.join(", ")));
                decision.rule = Some(r.rule.name.clone());
                decision.candidates = candidates;
                decided = true;
            }
            for s in &skipped {
                decision
                    .trace
                    .push(step(r, Outcome::ModelSkipped, s.clone()));
            }
            skipped_models.extend(skipped);
        }
        if decided {
            return Ok(decision);
        }

        let Some(default) = &self.default else {
            if skipped_models.is_empty() {
                return Err(RouteError::NoRoute { category });
            }
            return Err(RouteError::AllUnavailable {
                skipped: skipped_models,
            });
        };
        let base = if matched_unusable.is_empty() {
            format!("default (no rule matched, category {category})")
        } else {
            format!(
                "default (rule {} had no usable model, category {category})",
                matched_unusable.join(", ")
            )
        };
        let (candidates, skipped) = chain(input, std::slice::from_ref(default), &base);
        skipped_models.extend(skipped.iter().cloned());
        for s in skipped {
            decision.trace.push(TraceStep {
                step: "default".to_string(),
                priority: None,
                outcome: Outcome::ModelSkipped,
                why: s,
            });
        }
        if candidates.is_empty() {
            if let Err(message) = resolve_model_ref(input.config, default) {
                return Err(RouteError::BadReference {
                    what: "[router] default".to_string(),
                    message,
                });
            }
            return Err(RouteError::AllUnavailable {
                skipped: skipped_models,
            });
        }
        decision.trace.push(TraceStep {
            step: "default".to_string(),
            priority: None,
            outcome: Outcome::Matched,
            why: base,
        });
        decision.candidates = candidates;
        Ok(decision)
    }

    /// The pin in force: the session pin, else the agent's, else a non-auto `default_model`.
    /// A session pin of `auto` turns the other two off.
    fn effective_pin(&self, input: &RouteInput<'_>, trace: &mut Vec<TraceStep>) -> Option<Pin> {
        if let Some(pin) = input.pinned {
            if !pin.is_auto() {
                return Some(pin.clone());
            }
            trace.push(TraceStep {
                step: "pin".to_string(),
                priority: None,
                outcome: Outcome::Skipped,
                why: format!(
                    "model auto ({}): the router decides",
                    match pin.source {
                        PinSource::Command => "/model auto",
                        _ => "-m auto",
                    }
                ),
            });
            return None;
        }
        if let Some(model) = input.agent.model.as_deref().filter(|m| *m != "auto") {
            return Some(Pin::new(model, PinSource::Agent(input.agent.name.clone())));
        }
        let default = input.config.default_model.trim();
        if !default.is_empty() && default != "auto" {
            return Some(Pin::new(default, PinSource::ConfigDefault));
        }
        None
    }

    /// `Ok(conditions that held)` when every condition of the rule holds, else why not.
    fn check(
        &self,
        r: &CompiledRule,
        input: &RouteInput<'_>,
        category: Category,
        chars: usize,
    ) -> Result<Vec<String>, String> {
        let rule = &r.rule;
        let mut held = Vec::new();
        if let Some(agent) = &rule.agent {
            if *agent != input.agent.name {
                return Err(format!("agent is {}, rule wants {agent}", input.agent.name));
            }
            held.push(format!("agent {agent}"));
        }
        if rule.min_chars.is_some() || rule.max_chars.is_some() {
            if let Some(min) = rule.min_chars {
                if chars < min {
                    return Err(format!("{chars} chars, rule wants at least {min}"));
                }
                held.push(format!("at least {min} chars"));
            }
            if let Some(max) = rule.max_chars {
                if chars > max {
                    return Err(format!("{chars} chars, rule wants at most {max}"));
                }
                held.push(format!("at most {max} chars"));
            }
        }
        if let Some(want) = r.category {
            if want != category {
                return Err(format!("category is {category}, rule wants {want}"));
            }
            held.push(format!("category {want}"));
        }
        if let Some(keywords) = &r.keywords {
            match keywords.captures(input.text).and_then(|c| c.get(1)) {
                Some(m) => held.push(format!("keyword \"{}\"", m.as_str().to_lowercase())),
                None => {
                    return Err(format!("no keyword found ({})", rule.keywords.join(", ")));
                }
            }
        }
        if let Some(regex) = &r.regex {
            if !regex.is_match(input.text) {
                return Err(format!("regex {} does not match", regex.as_str()));
            }
            held.push(format!("regex {}", regex.as_str()));
        }
        if held.is_empty() {
            held.push("no conditions: matches everything".to_string());
        }
        Ok(held)
    }
}

/// Resolve a chain of references into candidates, leaving out unknown references and models
/// whose provider is unavailable; returns the candidates and why each left-out one was.
fn chain(input: &RouteInput<'_>, models: &[String], base: &str) -> (Vec<Candidate>, Vec<String>) {
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut skipped = Vec::new();
    for reference in models {
        let resolved = match resolve_model_ref(input.config, reference) {
            Ok(r) => r,
            Err(e) => {
                skipped.push(format!("skipped {reference}: {e}"));
                continue;
            }
        };
        let model = resolved.to_string();
        if !(input.available)(&resolved.provider) {
            skipped.push(format!(
                "skipped {model}: {}",
                unavailable_reason(&resolved.provider)
            ));
            continue;
        }
        if candidates.iter().any(|c| c.model == model) {
            continue;
        }
        let reason = if candidates.is_empty() && !skipped.is_empty() {
            format!("{base}; {}", skipped.join("; "))
        } else {
            base.to_string()
        };
        candidates.push(Candidate {
            alias: alias_of(reference, &model),
            model,
            provider: resolved.provider,
            reason,
        });
    }
    (candidates, skipped)
}

pub(super) fn alias_of(reference: &str, resolved: &str) -> Option<String> {
    (reference != resolved).then(|| reference.to_string())
}

fn step(r: &CompiledRule, outcome: Outcome, why: String) -> TraceStep {
    TraceStep {
        step: r.rule.name.clone(),
        priority: Some(r.rule.priority),
        outcome,
        why,
    }
}

fn not_reached(r: &CompiledRule, why: &str) -> TraceStep {
    step(r, Outcome::NotReached, why.to_string())
}

/// Route one message with rules compiled on the spot (the core keeps a [`Router`] instead).
pub fn route(input: &RouteInput<'_>) -> Result<RouteDecision, RouteError> {
    Router::new(&input.config.router)?.route(input)
}

#[cfg(test)]
mod tests;
