//! Free space on the volume that holds a path (statvfs), for the health check
//! of a backup directory and the restore's free-space check on a local server.

use std::path::Path;

use super::health::Disk;

/// The volume's size and the space available to an unprivileged writer
/// (`f_bavail`: what is left before the root reserve).
pub fn volume(path: &Path) -> Result<Disk, String> {
    let st = rustix::fs::statvfs(path)
        .map_err(|e| format!("cannot read free space of {}: {e}", path.display()))?;
    Ok(Disk {
        total_bytes: st.f_blocks.saturating_mul(st.f_frsize),
        available_bytes: st.f_bavail.saturating_mul(st.f_frsize),
    })
}
