//! The models `/model` offers: the configured names known at start (aliases, environment
//! providers' defaults), then every provider's own list, asked of the core once per App
//! (`Op::ListModels`, answered by `Event::ModelList`; the core caches the lists). The picker
//! opens at once with what is known and grows when the answer comes; completion (`/model
//! op<Tab>`) uses the same list.

use super::{App, Modal};
use crate::protocol::{ModelEntry, Op};
use crate::tui::commands::ModelChoice;
use crate::tui::popups::picker::{Picker, PickerItem, PickerKind};

/// What is known of the models to offer.
#[derive(Debug, Default)]
pub(in crate::tui) struct ModelCatalog {
    /// The providers' lists and the aliases, once the core answered.
    pub listed: Vec<ModelEntry>,
    /// The lists were asked for (once per App; the core's cache keeps them fresh).
    pub asked: bool,
    /// Providers that could not list their models, from the last answer.
    pub errors: Vec<String>,
}

impl App {
    /// Every model reference to offer, without duplicates: the configured ones first.
    pub(super) fn model_references(&self) -> Vec<String> {
        let mut out: Vec<String> = self.config.models.clone();
        for m in &self.models.listed {
            if !out.contains(&m.reference) {
                out.push(m.reference.clone());
            }
        }
        out
    }

    /// Ask the core for the providers' lists, unless it was asked already.
    pub(super) fn ask_for_models(&mut self) {
        if !self.models.asked {
            self.models.asked = self.send(Op::ListModels);
        }
    }

    /// The model picker's entries: auto, then every known model (the pinned one marked).
    pub(super) fn model_picker_items(&self) -> Vec<PickerItem> {
        let pinned = self.session.model.as_deref();
        let auto = PickerItem {
            value: "auto".into(),
            description: "let the router choose per message".into(),
            current: pinned.is_none(),
        };
        let detail = |reference: &str| {
            self.models
                .listed
                .iter()
                .find(|m| m.reference == reference)
                .map(|m| m.detail.clone())
                .unwrap_or_default()
        };
        std::iter::once(auto)
            .chain(self.model_references().into_iter().map(|m| PickerItem {
                description: detail(&m),
                current: pinned == Some(m.as_str()),
                value: m,
            }))
            .collect()
    }

    /// `/model` without an argument: the picker, with the providers' lists on their way.
    pub(super) fn open_model_picker(&mut self) {
        self.ask_for_models();
        let mut picker = Picker::new(PickerKind::Model, self.model_picker_items());
        if self.models.listed.is_empty() && self.models.asked {
            picker.note = Some("asking the providers for their models…".into());
        }
        self.popups.modal = Some(Modal::Picker(picker));
    }

    /// The core's answer to `ListModels`.
    pub(super) fn models_listed(&mut self, models: Vec<ModelEntry>, errors: Vec<String>) {
        self.models.listed = models;
        self.models.errors = errors;
        let items = self.model_picker_items();
        let note = (!self.models.errors.is_empty())
            .then(|| format!("not listed: {}", self.models.errors.join("; ")));
        if let Some(Modal::Picker(p)) = self.popups.modal.as_mut() {
            if p.kind == PickerKind::Model {
                p.set_items(items);
                p.note = note;
            }
        }
    }

    pub(super) fn pick_model(&mut self, value: String) {
        let choice = if value == "auto" {
            ModelChoice::Auto
        } else {
            ModelChoice::Ref(value)
        };
        if let Err(e) = self.set_model(choice) {
            self.draft.inline_error = Some(e);
        }
    }
}
