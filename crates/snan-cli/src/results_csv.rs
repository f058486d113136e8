//! The resumable `results.csv` of the sweeps (`fewshot`, `omniglot`): rows are appended and flushed
//! as they are measured, and a rerun reads what is already there to skip it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::Path;

use anyhow::{Context, Result, bail};

/// Reads the rows of an existing results file: a missing file gives no rows, unparsable lines (a
/// line cut by an interruption) are ignored, a file with another header is an error.
pub fn read_rows<R>(path: &Path, header: &str, parse: impl Fn(&str) -> Option<R>) -> Result<Vec<R>> {
    let mut text = String::new();
    match File::open(path) {
        Ok(mut f) => {
            f.read_to_string(&mut text).with_context(|| format!("cannot read {}", path.display()))?;
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot open {}", path.display())),
    }
    let mut lines = text.lines();
    match lines.next() {
        None => Ok(Vec::new()),
        Some(h) if h.trim() == header => Ok(lines.filter_map(parse).collect()),
        Some(h) => bail!("{} has header `{h}`, expected `{header}`; use another --out", path.display()),
    }
}

/// Opens a results file for appending: writes the header into a new or empty file, and ends a
/// last line cut by an interruption so that it cannot swallow the next row.
pub fn open_for_append(path: &Path, header: &str) -> Result<File> {
    let len = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let ends_with_newline = len == 0 || std::fs::read(path).map(|b| b.last() == Some(&b'\n')).unwrap_or(true);
    let mut f = OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {} for appending", path.display()))?;
    if len == 0 {
        writeln!(f, "{header}").with_context(|| format!("cannot write {}", path.display()))?;
    } else if !ends_with_newline {
        writeln!(f).with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(f)
}

/// Appends one row and its newline in a single `write` (an `O_APPEND` write of a short line is not
/// interleaved with another process's, so parallel sweeps may share a file), then flushes.
pub fn append_row(file: &mut File, path: &Path, row: &str) -> Result<()> {
    file.write_all(format!("{row}\n").as_bytes())
        .and_then(|_| file.flush())
        .with_context(|| format!("cannot write {}", path.display()))
}
