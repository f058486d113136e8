//! Where the data lives: explicit `--data-dir` > environment `SNAN_DATA_DIR` > the small embedded
//! subset shipped in `<workspace>/datasets/<name>` (so every command and test runs offline).

use std::path::{Path, PathBuf};

/// The environment variable that points at a data folder.
pub const DATA_DIR_ENV: &str = "SNAN_DATA_DIR";

/// How a data folder was chosen (reported to the user, and decides which checksums apply).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RootSource {
    /// Given on the command line.
    Explicit,
    /// From `SNAN_DATA_DIR`.
    Env,
    /// The embedded subset in the repository.
    Embedded,
}

/// A resolved data folder for one data set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataRoot {
    /// The folder holding the data set's files.
    pub path: PathBuf,
    /// Where it came from.
    pub source: RootSource,
}

/// The embedded subset's root, `<workspace>/datasets`: found by walking up from the current
/// folder (so a clone run from anywhere inside it uses its own copy, even when a shared target
/// dir holds a binary built in another checkout), else the folder this crate was built in.
pub fn embedded_root() -> PathBuf {
    if let Some(found) = std::env::current_dir().ok().and_then(|cwd| embedded_root_above(&cwd)) {
        return found;
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../datasets");
    // Canonical for readable messages; the raw path still works if the folder is missing.
    p.canonicalize().unwrap_or(p)
}

/// The `datasets/` folder of the snan checkout containing `start`, if any.
pub fn embedded_root_above(start: &Path) -> Option<PathBuf> {
    let is_root = |d: &Path| d.join("datasets/README.md").is_file() && d.join("crates/snan-data").is_dir();
    start.ancestors().find(|d| is_root(d)).map(|d| d.join("datasets"))
}

/// The embedded subset's folder for one data set (`mnist`, `fashion-mnist`, `omniglot`, `wm-digits`).
pub fn embedded_dir(name: &str) -> PathBuf {
    embedded_root().join(name)
}

/// The embedded working-memory digits, `<workspace>/datasets/wm-digits` (byte copies of the originals).
pub fn embedded_wm_digits() -> PathBuf {
    embedded_dir("wm-digits")
}

/// Resolves the folder of data set `name`. A given folder may be the data set's own folder or a
/// root holding `<name>/`; the latter is used when it exists, so both
/// `--data-dir datasets/mnist` and `--data-dir datasets` work.
pub fn resolve_data_dir(explicit: Option<&Path>, name: &str) -> DataRoot {
    resolve_with_env(
        explicit,
        std::env::var_os(DATA_DIR_ENV).map(PathBuf::from),
        name,
    )
}

/// [`resolve_data_dir`] with the environment value passed in (testable without touching the env).
pub fn resolve_with_env(explicit: Option<&Path>, env: Option<PathBuf>, name: &str) -> DataRoot {
    let pick = |p: &Path| {
        let sub = p.join(name);
        if sub.is_dir() { sub } else { p.to_path_buf() }
    };
    if let Some(p) = explicit {
        return DataRoot {
            path: pick(p),
            source: RootSource::Explicit,
        };
    }
    if let Some(p) = env.filter(|p| !p.as_os_str().is_empty()) {
        return DataRoot {
            path: pick(&p),
            source: RootSource::Env,
        };
    }
    DataRoot {
        path: embedded_dir(name),
        source: RootSource::Embedded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precedence_explicit_env_embedded() {
        let e = resolve_with_env(Some(Path::new("/x")), Some("/y".into()), "mnist");
        assert_eq!(
            e,
            DataRoot {
                path: "/x".into(),
                source: RootSource::Explicit
            }
        );
        let e = resolve_with_env(None, Some("/y".into()), "mnist");
        assert_eq!(
            e,
            DataRoot {
                path: "/y".into(),
                source: RootSource::Env
            }
        );
        let e = resolve_with_env(None, None, "mnist");
        assert_eq!(e.source, RootSource::Embedded);
        assert!(
            e.path.join("train-images-idx3-ubyte.gz").is_file(),
            "{:?}",
            e.path
        );
    }

    #[test]
    fn the_checkout_is_found_from_any_folder_inside_it() {
        let tmp = std::env::temp_dir().join(format!("snan-root-{}", std::process::id()));
        let deep = tmp.join("crates/snan-data/src/x");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::create_dir_all(tmp.join("datasets")).unwrap();
        assert_eq!(embedded_root_above(&deep), None, "no datasets/README.md yet");
        std::fs::write(tmp.join("datasets/README.md"), "x").unwrap();
        assert_eq!(embedded_root_above(&deep), Some(tmp.join("datasets")));
        std::fs::remove_dir_all(&tmp).unwrap();
    }

    #[test]
    fn a_root_with_subfolder_descends() {
        let e = resolve_with_env(Some(&embedded_root()), None, "mnist");
        assert_eq!(e.path, embedded_dir("mnist"));
    }
}
