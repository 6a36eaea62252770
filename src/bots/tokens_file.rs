//! `--tokens FILE`: connect tokens minted ahead (`arbiter token --player-id N`), one base64 token
//! per line, so bots can come back as the same players.

use anyhow::{Context, bail};
use arbiter_client::netcode::ConnectToken;
use arbiter_client::token::decode_token;
use std::path::Path;

/// The first `count` tokens of `path`; an error names the line that is not a token, or says how
/// many are missing.
pub(super) fn read(path: &Path, count: u32) -> anyhow::Result<Vec<ConnectToken>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the tokens file {}", path.display()))?;
    let tokens = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .take(count as usize)
        .enumerate()
        .map(|(index, line)| {
            decode_token(line).with_context(|| {
                format!(
                    "{}: token {} is not a connect token",
                    path.display(),
                    index + 1
                )
            })
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if tokens.len() < count as usize {
        bail!(
            "{} holds {} tokens; --count asks for {count}",
            path.display(),
            tokens.len()
        );
    }
    Ok(tokens)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arbiter_client::token::{encode_token, insecure_token};

    #[test]
    fn tokens_are_read_in_order_and_a_short_or_broken_file_is_refused_with_the_reason() {
        let directory = tempfile::tempdir().expect("temp dir");
        let path = directory.path().join("tokens");
        let server = "127.0.0.1:5000".parse().expect("address");
        let lines: Vec<String> = [7, 8]
            .into_iter()
            .map(|player| encode_token(&insecure_token(player, server)))
            .collect();
        std::fs::write(&path, format!("{}\n\n{}\n", lines[0], lines[1])).expect("write");
        let tokens = read(&path, 2).expect("two tokens");
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[0].server_addresses, [server]);
        let short = read(&path, 3).expect_err("only two");
        assert!(short.to_string().contains("holds 2 tokens"), "{short}");
        std::fs::write(&path, "not a token\n").expect("write");
        let broken = read(&path, 1).expect_err("garbage");
        assert!(
            broken
                .to_string()
                .contains("token 1 is not a connect token"),
            "{broken}"
        );
    }
}
