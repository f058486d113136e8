//! The one error type of this crate: every variant names the file (or folder) and the fault, so a
//! user sees a single actionable line instead of a panic.

use std::path::PathBuf;

/// Everything that can go wrong while reading, checking or sampling data.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    /// A required file does not exist.
    #[error("{path}: file not found ({what})")]
    MissingFile {
        /// The path that was looked for.
        path: PathBuf,
        /// What the file was expected to contain.
        what: String,
    },
    /// A required folder does not exist or is not a folder.
    #[error("{path}: folder not found ({what})")]
    MissingDir {
        /// The path that was looked for.
        path: PathBuf,
        /// What the folder was expected to contain.
        what: String,
    },
    /// The OS refused a read (permissions, I/O error, ...).
    #[error("{path}: cannot read: {cause}")]
    Io {
        /// The file being read.
        path: PathBuf,
        /// The underlying error (part of the message, not a separate `source`, so that
        /// `anyhow`'s `{:#}` prints it once).
        cause: std::io::Error,
    },
    /// A gzip stream is truncated or corrupt.
    #[error("{path}: corrupt or truncated gzip data: {cause}")]
    Gzip {
        /// The .gz file.
        path: PathBuf,
        /// The decoder's error.
        cause: std::io::Error,
    },
    /// The IDX header is wrong (magic number, data type, dimension count).
    #[error("{path}: bad IDX header: {detail}")]
    IdxHeader {
        /// The IDX file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// The IDX payload is shorter or longer than its header says.
    #[error(
        "{path}: IDX payload has {got} bytes, header promises {expected} (truncated or corrupt file)"
    )]
    IdxLength {
        /// The IDX file.
        path: PathBuf,
        /// Bytes the header promises.
        expected: usize,
        /// Bytes found.
        got: usize,
    },
    /// Image and label files disagree on the number of examples.
    #[error("{images}: {n_images} images but {labels} has {n_labels} labels")]
    CountMismatch {
        /// The image file.
        images: PathBuf,
        /// Its image count.
        n_images: usize,
        /// The label file.
        labels: PathBuf,
        /// Its label count.
        n_labels: usize,
    },
    /// Images have the wrong size for the data set.
    #[error("{path}: images are {got_h}x{got_w}, expected {expected_h}x{expected_w}")]
    BadImageSize {
        /// The file (or zip entry, as `archive.zip!/entry`).
        path: PathBuf,
        /// Expected height.
        expected_h: usize,
        /// Expected width.
        expected_w: usize,
        /// Height found.
        got_h: usize,
        /// Width found.
        got_w: usize,
    },
    /// A label is outside the class range.
    #[error("{path}: label {label} at index {index} is outside 0..{num_classes}")]
    BadLabel {
        /// The label file.
        path: PathBuf,
        /// Position of the label.
        index: usize,
        /// The offending value.
        label: u32,
        /// Number of classes of the data set.
        num_classes: usize,
    },
    /// A zip archive cannot be read.
    #[error("{path}: corrupt zip archive: {cause}")]
    Zip {
        /// The archive.
        path: PathBuf,
        /// The zip reader's error.
        cause: zip::result::ZipError,
    },
    /// An image file cannot be decoded.
    #[error("{path}: cannot decode image: {cause}")]
    Image {
        /// The file (or zip entry, as `archive.zip!/entry`).
        path: PathBuf,
        /// The decoder's error.
        cause: image::ImageError,
    },
    /// A path does not follow the expected data set layout.
    #[error("{path}: unexpected layout: {detail}")]
    Layout {
        /// The offending path.
        path: PathBuf,
        /// What was expected.
        detail: String,
    },
    /// A sampling request cannot be met by the data (no file involved).
    #[error("sampling: {0}")]
    Sampling(String),
}

/// Short-hand for this crate's results.
pub type Result<T, E = DataError> = std::result::Result<T, E>;

impl DataError {
    /// An I/O error, turned into `MissingFile` when the file simply is not there.
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error, what: &str) -> Self {
        let path = path.into();
        if source.kind() == std::io::ErrorKind::NotFound {
            DataError::MissingFile {
                path,
                what: what.to_string(),
            }
        } else {
            DataError::Io {
                path,
                cause: source,
            }
        }
    }
}
