//! Start-up files written atomically: the contents go to a temporary file in the same
//! directory, which is synced, renamed over the target and the directory synced. A crash at
//! any point leaves either no target or the whole target, never an empty or partial one.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `contents` to `path` atomically and durably; `private` makes the file readable by
/// its owner only (mode 0600) from the moment it exists.
pub fn write(path: &Path, contents: &[u8], private: bool) -> Result<(), String> {
    write_with(path, contents, private, |file, contents| {
        file.write_all(contents)
    })
}

/// [`write`] with the step that fills the temporary file given, so tests can fail it midway.
fn write_with(
    path: &Path,
    contents: &[u8],
    private: bool,
    fill: impl FnOnce(&mut fs::File, &[u8]) -> std::io::Result<()>,
) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temp = temp_path(path);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options
        .open(&temp)
        .map_err(|e| format!("cannot create {}: {e}", temp.display()))?;
    let written = fill(&mut file, contents).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written {
        let _ = fs::remove_file(&temp);
        return Err(format!("cannot write {}: {e}", path.display()));
    }
    if let Err(e) = fs::rename(&temp, path) {
        let _ = fs::remove_file(&temp);
        return Err(format!("cannot write {}: {e}", path.display()));
    }
    sync_dir(dir)
}

/// Syncs a directory, so a file just created or renamed in it survives a power loss.
pub fn sync_dir(dir: &Path) -> Result<(), String> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| format!("cannot sync {}: {e}", dir.display()))
}

/// `<path>.tmp-<random>`, beside the target so the rename stays in one filesystem.
fn temp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp-{}", uuid::Uuid::new_v4().simple()));
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("kms-atomic-{}", uuid::Uuid::new_v4()));
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_write_that_fails_midway_leaves_no_target_and_no_temporary_file() {
        let dir = scratch();
        let target = dir.join("root.check");
        let failed = write_with(&target, b"0123456789", false, |file, contents| {
            file.write_all(&contents[..4])?;
            Err(std::io::Error::other("power lost"))
        });
        assert!(failed.is_err());
        assert!(!target.exists(), "a partial file must never take the name");
        assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_rewrite_keeps_the_old_contents() {
        let dir = scratch();
        let target = dir.join("root.key");
        write(&target, b"first", true).unwrap();
        let _ = write_with(&target, b"second", true, |_, _| {
            Err(std::io::Error::other("disk full"))
        });
        assert_eq!(fs::read(&target).unwrap(), b"first");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&target).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        write(&target, b"second", true).unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"second");
        fs::remove_dir_all(dir).unwrap();
    }
}
