//! Connect tokens: the 2,048-byte public token a client receives, and the 1,024-byte private part
//! only the server (and whoever issues tokens with its key) can read.

use super::crypto::{open_x, seal_x};
use super::{
    CONNECT_TOKEN_BYTES, KEY_BYTES, MAC_BYTES, PRIVATE_TOKEN_BYTES, TOKEN_NONCE_BYTES,
    USER_DATA_BYTES, VERSION_INFO,
};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

const ADDRESS_IPV4: u8 = 1;
const ADDRESS_IPV6: u8 = 2;
const MAX_SERVER_ADDRESSES: usize = 32;

/// Why token bytes were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("a connect token has {expected} bytes, this one {actual}")]
    Size { expected: usize, actual: usize },
    #[error("the token is not for netcode 1.02")]
    Version,
    #[error("the token is cut short")]
    Truncated,
    #[error("a token names 1 to 32 server addresses, this one {0}")]
    AddressCount(u32),
    #[error("unknown server address type {0} (1 is IPv4, 2 is IPv6)")]
    AddressType(u8),
    #[error("the token was created after it expires")]
    Timestamps,
    #[error(
        "the private token does not decrypt with this key (forged, altered or another server's)"
    )]
    Unauthentic,
}

/// The public connect token (netcode 1.02 layout). Its private part is opaque to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectToken {
    pub protocol_id: u64,
    /// Unix seconds.
    pub create_timestamp: u64,
    /// Unix seconds.
    pub expire_timestamp: u64,
    pub nonce: [u8; TOKEN_NONCE_BYTES],
    pub private_data: Box<[u8; PRIVATE_TOKEN_BYTES]>,
    /// Seconds without packets before either side drops the connection; negative: never (dev only).
    pub timeout_seconds: i32,
    pub server_addresses: Vec<SocketAddr>,
    pub client_to_server_key: [u8; KEY_BYTES],
    pub server_to_client_key: [u8; KEY_BYTES],
}

/// The private part of a connect token, as the server reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrivateToken {
    pub client_id: u64,
    pub timeout_seconds: i32,
    pub server_addresses: Vec<SocketAddr>,
    pub client_to_server_key: [u8; KEY_BYTES],
    pub server_to_client_key: [u8; KEY_BYTES],
    pub user_data: [u8; USER_DATA_BYTES],
}

impl ConnectToken {
    /// A token whose private part is `private`, sealed with the server's `key`.
    pub fn seal(
        private: &PrivateToken,
        protocol_id: u64,
        create_timestamp: u64,
        expire_timestamp: u64,
        key: &[u8; KEY_BYTES],
    ) -> Self {
        let nonce = super::random_bytes();
        Self {
            protocol_id,
            create_timestamp,
            expire_timestamp,
            nonce,
            private_data: Box::new(private.seal(protocol_id, expire_timestamp, &nonce, key)),
            timeout_seconds: private.timeout_seconds,
            server_addresses: private.server_addresses.clone(),
            client_to_server_key: private.client_to_server_key,
            server_to_client_key: private.server_to_client_key,
        }
    }

    /// The 2,048 bytes of the standard layout.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(CONNECT_TOKEN_BYTES);
        out.extend_from_slice(VERSION_INFO);
        out.extend_from_slice(&self.protocol_id.to_le_bytes());
        out.extend_from_slice(&self.create_timestamp.to_le_bytes());
        out.extend_from_slice(&self.expire_timestamp.to_le_bytes());
        out.extend_from_slice(&self.nonce);
        out.extend_from_slice(&self.private_data[..]);
        out.extend_from_slice(&self.timeout_seconds.to_le_bytes());
        write_addresses(&mut out, &self.server_addresses);
        out.extend_from_slice(&self.client_to_server_key);
        out.extend_from_slice(&self.server_to_client_key);
        out.resize(CONNECT_TOKEN_BYTES, 0);
        out
    }

    /// Reads the standard layout, with the checks a client makes before connecting.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TokenError> {
        if bytes.len() != CONNECT_TOKEN_BYTES {
            return Err(TokenError::Size {
                expected: CONNECT_TOKEN_BYTES,
                actual: bytes.len(),
            });
        }
        let mut reader = Reader(bytes);
        if reader.array::<13>()? != *VERSION_INFO {
            return Err(TokenError::Version);
        }
        let token = Self {
            protocol_id: reader.u64()?,
            create_timestamp: reader.u64()?,
            expire_timestamp: reader.u64()?,
            nonce: reader.array()?,
            private_data: Box::new(reader.array()?),
            timeout_seconds: reader.i32()?,
            server_addresses: read_addresses(&mut reader)?,
            client_to_server_key: reader.array()?,
            server_to_client_key: reader.array()?,
        };
        if token.create_timestamp > token.expire_timestamp {
            return Err(TokenError::Timestamps);
        }
        Ok(token)
    }
}

impl PrivateToken {
    /// The encrypted 1,024 bytes: layout zero-padded, the first 1,008 encrypted, the tag last.
    pub fn seal(
        &self,
        protocol_id: u64,
        expire_timestamp: u64,
        nonce: &[u8; TOKEN_NONCE_BYTES],
        key: &[u8; KEY_BYTES],
    ) -> [u8; PRIVATE_TOKEN_BYTES] {
        let mut plain = Vec::with_capacity(PRIVATE_TOKEN_BYTES);
        plain.extend_from_slice(&self.client_id.to_le_bytes());
        plain.extend_from_slice(&self.timeout_seconds.to_le_bytes());
        write_addresses(&mut plain, &self.server_addresses);
        plain.extend_from_slice(&self.client_to_server_key);
        plain.extend_from_slice(&self.server_to_client_key);
        plain.extend_from_slice(&self.user_data);
        let mut sealed = [0u8; PRIVATE_TOKEN_BYTES];
        sealed[..plain.len()].copy_from_slice(&plain);
        seal_x(
            key,
            nonce,
            &additional_data(protocol_id, expire_timestamp),
            &mut sealed,
        );
        sealed
    }

    /// Decrypts and reads the private part; fails on a forged, altered or foreign token.
    pub fn open(
        sealed: &[u8; PRIVATE_TOKEN_BYTES],
        protocol_id: u64,
        expire_timestamp: u64,
        nonce: &[u8; TOKEN_NONCE_BYTES],
        key: &[u8; KEY_BYTES],
    ) -> Result<Self, TokenError> {
        let mut plain = *sealed;
        open_x(
            key,
            nonce,
            &additional_data(protocol_id, expire_timestamp),
            &mut plain,
        )
        .map_err(|_| TokenError::Unauthentic)?;
        let mut reader = Reader(&plain[..PRIVATE_TOKEN_BYTES - MAC_BYTES]);
        Ok(Self {
            client_id: reader.u64()?,
            timeout_seconds: reader.i32()?,
            server_addresses: read_addresses(&mut reader)?,
            client_to_server_key: reader.array()?,
            server_to_client_key: reader.array()?,
            user_data: reader.array()?,
        })
    }
}

/// Associated data of the private token: version info, protocol id, expire timestamp.
fn additional_data(protocol_id: u64, expire_timestamp: u64) -> [u8; 29] {
    let mut data = [0u8; 29];
    data[..13].copy_from_slice(VERSION_INFO);
    data[13..21].copy_from_slice(&protocol_id.to_le_bytes());
    data[21..].copy_from_slice(&expire_timestamp.to_le_bytes());
    data
}

fn write_addresses(out: &mut Vec<u8>, addresses: &[SocketAddr]) {
    out.extend_from_slice(&(addresses.len() as u32).to_le_bytes());
    for address in addresses {
        match address.ip() {
            IpAddr::V4(ip) => {
                out.push(ADDRESS_IPV4);
                out.extend_from_slice(&ip.octets());
            }
            IpAddr::V6(ip) => {
                out.push(ADDRESS_IPV6);
                for segment in ip.segments() {
                    out.extend_from_slice(&segment.to_le_bytes());
                }
            }
        }
        out.extend_from_slice(&address.port().to_le_bytes());
    }
}

fn read_addresses(reader: &mut Reader<'_>) -> Result<Vec<SocketAddr>, TokenError> {
    let count = reader.u32()?;
    if count == 0 || count as usize > MAX_SERVER_ADDRESSES {
        return Err(TokenError::AddressCount(count));
    }
    (0..count)
        .map(|_| {
            let ip = match reader.array::<1>()?[0] {
                ADDRESS_IPV4 => IpAddr::V4(Ipv4Addr::from(reader.array::<4>()?)),
                ADDRESS_IPV6 => {
                    let mut segments = [0u16; 8];
                    for segment in &mut segments {
                        *segment = u16::from_le_bytes(reader.array()?);
                    }
                    IpAddr::V6(Ipv6Addr::from(segments))
                }
                other => return Err(TokenError::AddressType(other)),
            };
            Ok(SocketAddr::new(ip, u16::from_le_bytes(reader.array()?)))
        })
        .collect()
}

/// Little-endian reads from a byte slice that fail, not panic, when it runs out.
struct Reader<'a>(&'a [u8]);

impl Reader<'_> {
    fn array<const N: usize>(&mut self) -> Result<[u8; N], TokenError> {
        let (head, rest) = self
            .0
            .split_first_chunk::<N>()
            .ok_or(TokenError::Truncated)?;
        self.0 = rest;
        Ok(*head)
    }

    fn u32(&mut self) -> Result<u32, TokenError> {
        self.array().map(u32::from_le_bytes)
    }

    fn i32(&mut self) -> Result<i32, TokenError> {
        self.array().map(i32::from_le_bytes)
    }

    fn u64(&mut self) -> Result<u64, TokenError> {
        self.array().map(u64::from_le_bytes)
    }
}

#[cfg(test)]
mod tests;
