//! The IDX format of MNIST and Fashion-MNIST (unsigned-byte variant), raw or gzip-compressed.
//!
//! Format: two zero bytes, a type byte (0x08 = u8), a dimension count, then one big-endian u32 per
//! dimension, then the payload. Compression is detected from the gzip magic bytes, not the name.

use std::io::Read;
use std::path::Path;

use crate::error::{DataError, Result};

/// A decoded unsigned-byte IDX array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    /// Dimensions, outermost first (e.g. `[60000, 28, 28]`).
    pub dims: Vec<usize>,
    /// Row-major payload, `dims.iter().product()` bytes.
    pub data: Vec<u8>,
}

/// Reads a file fully, gunzipping it when it starts with the gzip magic bytes.
pub fn read_maybe_gz(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, e, "data file"))?;
    if raw.len() >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
        let mut out = Vec::with_capacity(raw.len() * 4);
        flate2::read::GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|cause| DataError::Gzip {
                path: path.to_path_buf(),
                cause,
            })?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Parses IDX bytes; `path` only labels errors. `expected_ndim` rejects e.g. a label file given as
/// an image file (its magic number differs: 2051 for 3-D images, 2049 for 1-D labels).
pub fn parse_idx(bytes: &[u8], path: &Path, expected_ndim: usize) -> Result<IdxArray> {
    let bad = |detail: String| DataError::IdxHeader {
        path: path.to_path_buf(),
        detail,
    };
    if bytes.len() < 4 {
        return Err(bad(format!(
            "only {} bytes, too short for a header",
            bytes.len()
        )));
    }
    let magic = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let expected_magic = 0x0800 + expected_ndim as u32;
    if magic != expected_magic {
        return Err(bad(format!(
            "magic number {magic} (0x{magic:08x}), expected {expected_magic} (u8 data, {expected_ndim} dimensions)"
        )));
    }
    let header_len = 4 + 4 * expected_ndim;
    if bytes.len() < header_len {
        return Err(bad(format!(
            "header truncated: {} of {header_len} bytes",
            bytes.len()
        )));
    }
    let dims: Vec<usize> = (0..expected_ndim)
        .map(|d| {
            let o = 4 + 4 * d;
            u32::from_be_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]]) as usize
        })
        .collect();
    let expected = dims
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| bad(format!("dimensions {dims:?} overflow")))?;
    let payload = &bytes[header_len..];
    if payload.len() != expected {
        return Err(DataError::IdxLength {
            path: path.to_path_buf(),
            expected,
            got: payload.len(),
        });
    }
    Ok(IdxArray {
        dims,
        data: payload.to_vec(),
    })
}

/// Reads and parses an IDX file (raw or .gz).
pub fn read_idx(path: &Path, expected_ndim: usize) -> Result<IdxArray> {
    parse_idx(&read_maybe_gz(path)?, path, expected_ndim)
}

/// Encodes an unsigned-byte IDX array (uncompressed); used to write subsets and test fixtures.
pub fn encode_idx(dims: &[usize], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 4 * dims.len() + data.len());
    out.extend_from_slice(&[0, 0, 0x08, dims.len() as u8]);
    for &d in dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}
