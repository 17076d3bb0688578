//! Publishing a local archive atomically: write under a hidden temporary name in
//! the destination directory (mode 0600), fsync, rename, fsync the directory.
//! Until [`StagedFile::commit`] runs, dropping the value removes the temporary
//! file, so a failed or interrupted backup leaves nothing at the destination.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

pub struct StagedFile {
    tmp: PathBuf,
    dest: PathBuf,
    committed: bool,
}

impl StagedFile {
    /// Creates the temporary file next to `dest`.
    pub fn create(dest: &Path) -> io::Result<(StagedFile, File)> {
        let dir = parent_dir(dest);
        let name = dest
            .file_name()
            .ok_or_else(|| io::Error::other(format!("{} is not a file name", dest.display())))?
            .to_string_lossy()
            .into_owned();
        let tmp = dir.join(format!(".{name}.partial-{}", std::process::id()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        Ok((
            StagedFile {
                tmp,
                dest: dest.to_path_buf(),
                committed: false,
            },
            file,
        ))
    }

    pub fn temp_path(&self) -> &Path {
        &self.tmp
    }

    /// Renames the (already fsynced) temporary file to its destination and
    /// makes the rename durable.
    pub fn commit(mut self) -> io::Result<()> {
        std::fs::rename(&self.tmp, &self.dest)?;
        self.committed = true;
        File::open(parent_dir(&self.dest))?.sync_all()
    }
}

fn parent_dir(p: &Path) -> PathBuf {
    match p.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

impl Drop for StagedFile {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_file(&self.tmp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn commit_publishes_and_drop_cleans_up() {
        let dir = std::env::temp_dir().join(format!("pgsnap-staged-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let dest = dir.join("a.pgsnap");
        let (staged, mut f) = StagedFile::create(&dest).unwrap();
        f.write_all(b"x").unwrap();
        let tmp = staged.temp_path().to_path_buf();
        assert_eq!(
            std::fs::metadata(&tmp).unwrap().permissions().mode() & 0o777,
            0o600
        );
        drop(staged);
        assert!(!tmp.exists() && !dest.exists());

        let (staged, mut f) = StagedFile::create(&dest).unwrap();
        f.write_all(b"y").unwrap();
        f.sync_all().unwrap();
        staged.commit().unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"y");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
