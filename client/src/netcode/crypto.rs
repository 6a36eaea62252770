//! The two AEADs of netcode: ChaCha20-Poly1305 (IETF, 96-bit nonce) for packets and challenge
//! tokens, from `ring` (fast here: ~0.2–0.4 µs a packet); XChaCha20-Poly1305 for the private part of
//! connect tokens, from RustCrypto (once per connection, speed does not matter).

use super::{KEY_BYTES, MAC_BYTES, TOKEN_NONCE_BYTES};
use chacha20poly1305::aead::AeadInPlace;
use chacha20poly1305::{KeyInit, XChaCha20Poly1305};
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

/// A ChaCha20-Poly1305 key: its 32 bytes, made into `ring`'s key for each packet. `ring`'s prepared
/// key is 544 bytes (room for AES's expanded keys), and a server holds two per client: kept
/// prepared, they made each client's record ~1.5 KB, read in scattered cache lines for every
/// packet. For ChaCha20 the preparing is a copy of the bytes.
pub struct PacketKey([u8; KEY_BYTES]);

impl std::fmt::Debug for PacketKey {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("PacketKey(..)")
    }
}

/// Authentication failed: wrong key, wrong nonce, or altered bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unauthentic;

impl PacketKey {
    pub fn new(key: &[u8; KEY_BYTES]) -> Self {
        Self(*key)
    }

    fn prepared(&self) -> LessSafeKey {
        let key = UnboundKey::new(&CHACHA20_POLY1305, &self.0)
            .unwrap_or_else(|_| unreachable!("a 32-byte key is a valid ChaCha20 key"));
        LessSafeKey::new(key)
    }

    /// Encrypts `buffer[..len - 16]` in place and writes the tag into its last 16 bytes.
    pub(crate) fn seal(&self, sequence: u64, aad: &[u8], buffer: &mut [u8]) {
        let (text, tag_out) = buffer.split_at_mut(buffer.len() - MAC_BYTES);
        let tag = self
            .prepared()
            .seal_in_place_separate_tag(nonce(sequence), Aad::from(aad), text)
            .unwrap_or_else(|_| unreachable!("netcode packets are far below ChaCha20's limit"));
        tag_out.copy_from_slice(tag.as_ref());
    }

    /// Decrypts `buffer` (text then tag) in place; the plain text is `buffer[..len - 16]`.
    pub(crate) fn open(
        &self,
        sequence: u64,
        aad: &[u8],
        buffer: &mut [u8],
    ) -> Result<(), Unauthentic> {
        self.prepared()
            .open_in_place(nonce(sequence), Aad::from(aad), buffer)
            .map(|_| ())
            .map_err(|_| Unauthentic)
    }
}

/// The packet nonce: four zero bytes, then the sequence number little-endian.
fn nonce(sequence: u64) -> Nonce {
    let mut bytes = [0u8; 12];
    bytes[4..].copy_from_slice(&sequence.to_le_bytes());
    Nonce::assume_unique_for_key(bytes)
}

/// Encrypts `buffer[..len - 16]` with XChaCha20-Poly1305 and writes the tag into its last 16 bytes.
pub(crate) fn seal_x(
    key: &[u8; KEY_BYTES],
    nonce: &[u8; TOKEN_NONCE_BYTES],
    aad: &[u8],
    buffer: &mut [u8],
) {
    let (text, tag_out) = buffer.split_at_mut(buffer.len() - MAC_BYTES);
    let tag = XChaCha20Poly1305::new(key.into())
        .encrypt_in_place_detached(nonce.into(), aad, text)
        .unwrap_or_else(|_| unreachable!("a token is far below XChaCha20's limit"));
    tag_out.copy_from_slice(&tag);
}

/// Decrypts `buffer` (text then tag) with XChaCha20-Poly1305 in place.
pub(crate) fn open_x(
    key: &[u8; KEY_BYTES],
    nonce: &[u8; TOKEN_NONCE_BYTES],
    aad: &[u8],
    buffer: &mut [u8],
) -> Result<(), Unauthentic> {
    let (text, tag) = buffer.split_at_mut(buffer.len() - MAC_BYTES);
    XChaCha20Poly1305::new(key.into())
        .decrypt_in_place_detached(nonce.into(), aad, text, (&*tag).into())
        .map_err(|_| Unauthentic)
}

/// Bytes from the operating system's secure random source (keys, nonces).
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .unwrap_or_else(|_| panic!("the operating system's random source failed"));
    bytes
}
