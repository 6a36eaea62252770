//! The private key that signs connect tokens: read from a file, or generated on first start.

use arbiter_client::netcode::{KEY_BYTES as NETCODE_KEY_BYTES, random_bytes};
use std::io::Write;
use std::path::Path;

/// Reads the 32-byte key at `path`, creating it (random, mode 0600) if the file does not exist.
pub fn load_or_create_key(path: &Path) -> std::io::Result<[u8; NETCODE_KEY_BYTES]> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let key: [u8; NETCODE_KEY_BYTES] = bytes.as_slice().try_into().map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!(
                        "{}: a token key file holds exactly {NETCODE_KEY_BYTES} bytes, this one {}",
                        path.display(),
                        bytes.len()
                    ),
                )
            })?;
            warn_if_readable_by_others(path);
            Ok(key)
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => create_key(path),
        Err(error) => Err(std::io::Error::new(
            error.kind(),
            format!("{}: cannot read the token key: {error}", path.display()),
        )),
    }
}

fn create_key(path: &Path) -> std::io::Result<[u8; NETCODE_KEY_BYTES]> {
    if let Some(directory) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(directory)?;
    }
    let key = random_bytes::<NETCODE_KEY_BYTES>();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(&key)?;
    file.sync_all()?;
    tracing::info!(path = %path.display(), "generated a new connect-token key (mode 0600); keep it secret");
    Ok(key)
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(metadata) = std::fs::metadata(path)
        && metadata.permissions().mode() & 0o077 != 0
    {
        tracing::warn!(path = %path.display(), "the token key is readable by other users; chmod 600 it");
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_private_key_once_and_reads_it_back() {
        let directory = tempfile::tempdir().expect("temp dir");
        let path = directory.path().join("nested/netcode.key");

        let created = load_or_create_key(&path).expect("created");
        let read = load_or_create_key(&path).expect("read back");

        assert_eq!(created, read);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn refuses_a_key_file_of_the_wrong_size() {
        let directory = tempfile::tempdir().expect("temp dir");
        let path = directory.path().join("netcode.key");
        std::fs::write(&path, b"too short").expect("write");
        let error = load_or_create_key(&path).expect_err("wrong size");
        assert!(error.to_string().contains("exactly 32 bytes"), "{error}");
    }
}
