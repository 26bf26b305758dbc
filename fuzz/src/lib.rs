//! What the fuzz targets share: a scratch repository per process, splitting one input into several
//! files, and the bump oracle (whatever reads must bump, and the bumped files must read back as the
//! new version, record for record).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A scratch directory for this process (on tmpfs when there is one), holding `repo/`.
fn scratch() -> &'static tempfile::TempDir {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let builder = tempfile::Builder::new().prefix("tagwright-fuzz-").tempdir_in(if shm.is_dir() {
            shm
        } else {
            Path::new("/tmp")
        });
        builder.expect("a scratch directory")
    })
}

/// An empty repository directory (what the last input wrote is gone); its parent holds nothing else.
pub fn fresh_repo() -> PathBuf {
    let repo = scratch().path().join("repo");
    let _ = std::fs::remove_dir_all(&repo);
    std::fs::create_dir_all(&repo).expect("the scratch repository");
    repo
}

/// The names directly in the scratch directory: only `repo` may be there, whatever an input did.
pub fn beside_repo() -> Vec<String> {
    std::fs::read_dir(scratch().path())
        .expect("the scratch directory")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect()
}

/// Splits an input into `n` parts at the marker line `\n#8<\n` (missing parts are empty).
pub fn split(data: &[u8], n: usize) -> Vec<&[u8]> {
    const MARK: &[u8] = b"\n#8<\n";
    let mut parts = Vec::with_capacity(n);
    let mut rest = data;
    while parts.len() + 1 < n {
        match rest.windows(MARK.len()).position(|w| w == MARK) {
            Some(at) => {
                parts.push(&rest[..at]);
                rest = &rest[at + MARK.len()..];
            }
            None => break,
        }
    }
    parts.push(rest);
    while parts.len() < n {
        parts.push(&[]);
    }
    parts
}

/// Writes `files` (relative path, bytes) into `repo`.
pub fn write(repo: &Path, files: &[(&str, &[u8])]) {
    for (path, bytes) in files {
        let full = repo.join(path);
        std::fs::create_dir_all(full.parent().expect("a parent")).expect("mkdir");
        std::fs::write(full, bytes).expect("write");
    }
}

/// The bump oracle: if the repository reads, a bump to 99.88.77 must plan, and its files must read
/// back with every record at 99.88.77, the same records in the same places.
pub fn bump_reads_back(repo: &Path) {
    let Ok(inventory) = tagwright_versions::read(repo) else { return };
    let new = tagwright_versions::Version::parse_semver("99.88.77").expect("a version");
    let options = tagwright_versions::bump::BumpOptions::default().allow_downgrade(true);
    let Ok(plan) = tagwright_versions::bump::plan(&inventory, &new, &options) else { return };
    for file in &plan.files {
        std::fs::write(&file.target, file.after()).expect("write the bumped file");
    }
    let again = match tagwright_versions::read(repo) {
        Ok(again) => again,
        Err(e) => panic!("the bumped files do not read back: {e}\n{}", plan.diff()),
    };
    let fields = |i: &tagwright_versions::Inventory| -> Vec<(String, String)> {
        i.records.iter().map(|r| (r.file.clone(), r.field.clone())).collect()
    };
    assert_eq!(fields(&again), fields(&inventory), "the same records after the bump");
    for record in &again.records {
        assert_eq!(
            record.version, new,
            "{}:{} {} is {}",
            record.file, record.line, record.field, record.value
        );
    }
}
