//! `harness token create|list|revoke`: the API's bearer tokens (stored hashed; the secret is
//! printed once, by `create`), of the current profile (`--profile`).

use super::args::TokenCommand;
use super::{CliContext, CliResult, print_json, print_out};

pub async fn run(ctx: &CliContext, cmd: TokenCommand) -> CliResult {
    let store = ctx.open_store()?;
    match cmd {
        TokenCommand::Create { label } => {
            let profile = store.profile().to_string();
            let (record, secret) = store.create_token(&profile, label.as_deref()).await?;
            print_out(&format!(
                "{secret}\n(token {} for profile `{}`: shown once, keep it secret; revoke with `harness token revoke {}`)\n",
                record.id, record.profile, record.id
            ));
            Ok(())
        }
        TokenCommand::List { json } => {
            let tokens = store.tokens().await?;
            if json {
                return print_json(&tokens);
            }
            if tokens.is_empty() {
                print_out(&format!(
                    "no tokens in profile `{}`: create one with `harness token create --profile {}`\n",
                    store.profile(),
                    store.profile()
                ));
                return Ok(());
            }
            let mut out = String::new();
            for t in &tokens {
                out.push_str(&format!(
                    "{}  {:<12} {}  {:<8} {}\n",
                    t.id,
                    t.profile,
                    t.created_at.format("%Y-%m-%d %H:%M"),
                    if t.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    },
                    crate::sanitize::strip(t.label.as_deref().unwrap_or(""))
                ));
            }
            print_out(&out);
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            let record = store.revoke_token(&id).await?;
            print_out(&format!("revoked {}\n", record.id));
            Ok(())
        }
    }
}
