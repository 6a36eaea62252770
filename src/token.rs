//! `arbiter token --player-id N`: a connect token for one player, for a login service that shells
//! out, or for testing by hand.

use crate::cli::TokenArgs;
use crate::config::{LoadedConfig, process_env};
use crate::net::{TokenIssuer, key_path, load_or_create_key, public_addresses, unix_now};
use anyhow::{Context, bail};
use arbiter_client::token::encode_token;
use std::io::Write;
use std::path::Path;

/// Prints the token as one line of base64 on stdout.
pub fn print_token(config_path: Option<&Path>, args: &TokenArgs) -> anyhow::Result<()> {
    let config = LoadedConfig::load(config_path, &process_env)?.config;
    if config.net.insecure {
        bail!("net.insecure = true: this server accepts no tokens");
    }
    if config.net.public_addresses.is_empty() && config.server.bind.port() == 0 {
        bail!(
            "server.bind has port 0 and net.public_addresses is empty: the token cannot name the server's port"
        );
    }
    let path = key_path(&config);
    let key = load_or_create_key(&path).with_context(|| format!("token key {}", path.display()))?;
    let addresses = public_addresses(&config.net, config.server.bind);
    let issuer = TokenIssuer::new(key, addresses, &config.net);
    issuer.enter_at(&config.fleet.lobby_addresses);
    let expire_secs = args.expire_secs.unwrap_or(config.net.token_expire_secs);
    let token = issuer
        .issue_at(args.player_id, unix_now(), u64::from(expire_secs))
        .context("cannot generate the token")?;
    writeln!(std::io::stdout(), "{}", encode_token(&token))?;
    Ok(())
}
