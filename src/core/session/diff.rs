//! `/diff` in the session (a child module of `session`): what this conversation changed in its
//! workspace, answered as a notice to the front end that asked (`core::workspace_diff`).

use super::*;

impl Session {
    pub(super) async fn workspace_diff(&mut self) {
        let Some(id) = self.conversation else {
            return self.error("nothing changed yet: send a message first".to_string());
        };
        let checkpoints = self.deps.config.checkpoints.clone();
        match crate::core::workspace_diff::conversation_diff(&self.deps.store, checkpoints, id)
            .await
        {
            Ok(diff) if diff.is_empty() => self.reply(Event::Notice {
                message: "this conversation left no change in its workspace".to_string(),
            }),
            Ok(diff) => self.reply(Event::Notice { message: diff }),
            Err(e) => self.error(e),
        }
    }
}
