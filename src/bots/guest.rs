//! Guest tokens from the admin endpoint's `POST /v1/tokens`, over a plain HTTP/1.1 request.

use anyhow::{Context, bail};
use arbiter_client::netcode::ConnectToken;
use arbiter_client::token::decode_token;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How often a token request refused for its rate (`429`) is tried again, waiting as told.
const THROTTLED_RETRIES: u32 = 20;

/// Asks `admin_url` (`http://host:port`) for a guest token, with the admin endpoint's bearer
/// `token` when it has one; when throttled, waits the `Retry-After` it is given and asks again.
pub(super) fn fetch_token(admin_url: &str, token: Option<&str>) -> anyhow::Result<ConnectToken> {
    let mut attempt = 0;
    loop {
        match request_token(admin_url, token)? {
            Ok(guest) => return Ok(guest),
            Err(retry_after) if attempt < THROTTLED_RETRIES => {
                attempt += 1;
                std::thread::sleep(retry_after);
            }
            Err(_) => bail!("{admin_url} kept answering 429 Too Many Requests"),
        }
    }
}

/// One request: the token, or how long the endpoint asked to wait.
fn request_token(
    admin_url: &str,
    token: Option<&str>,
) -> anyhow::Result<Result<ConnectToken, Duration>> {
    let authority = admin_url
        .strip_prefix("http://")
        .context("--admin must be an http:// URL")?
        .trim_end_matches('/');
    let address = authority
        .to_socket_addrs()?
        .next()
        .with_context(|| format!("{authority} resolves to no address"))?;
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let authorization = token
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    write!(
        stream,
        "POST /v1/tokens HTTP/1.1\r\nHost: {authority}\r\n{authorization}Content-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let (head, body) = response
        .split_once("\r\n\r\n")
        .context("not an HTTP response")?;
    if head.starts_with("HTTP/1.1 429") {
        let seconds = head
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.eq_ignore_ascii_case("retry-after")
                    .then(|| value.trim().parse::<u64>().ok())?
            })
            .unwrap_or(1);
        return Ok(Err(Duration::from_secs(seconds)));
    }
    if !head.starts_with("HTTP/1.1 200") {
        bail!("{}: {body}", head.lines().next().unwrap_or_default());
    }
    let json: serde_json::Value = serde_json::from_str(body)?;
    let token = decode_token(json["token"].as_str().context("no token in the response")?)?;
    Ok(Ok(token))
}
