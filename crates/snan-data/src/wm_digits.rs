//! The ten 79×79 stimulus digits of the published neuron–astrocyte working-memory model
//! (Gordleeva et al. 2021; `zero.jpg` … `nine.jpg`), as boolean stroke masks.
//!
//! The published code binarises with MATLAB's `rgb2gray` (gray = 0.2989 R + 0.5870 G + 0.1140 B,
//! rounded to u8) and `gray < 127`; we do the same so masks match up to JPEG-decoder rounding.

use std::path::Path;

use crate::error::{DataError, Result};

/// File stems, index = digit.
pub const WM_DIGIT_NAMES: [&str; 10] = [
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
];

/// Side length of the stimulus images.
pub const WM_SIDE: usize = 79;

/// Stroke masks of the ten digits.
#[derive(Clone, Debug)]
pub struct WmDigits {
    /// Image height (79).
    pub height: usize,
    /// Image width (79).
    pub width: usize,
    /// `masks[d]` is digit `d`'s mask, row-major, `true` = stroke (dark pixel).
    pub masks: Vec<Vec<bool>>,
}

impl WmDigits {
    /// The mask of digit `d` (0–9).
    pub fn mask(&self, d: usize) -> &[bool] {
        &self.masks[d]
    }
}

/// Lets a `WmDigits` be used directly as the slice of masks (`&digits[..]`, `digits[3]`).
impl std::ops::Deref for WmDigits {
    type Target = [Vec<bool>];
    fn deref(&self) -> &[Vec<bool>] {
        &self.masks
    }
}

/// gray = round(0.2989 R + 0.5870 G + 0.1140 B), as MATLAB's `rgb2gray` on u8 input.
pub fn rgb_to_gray(r: u8, g: u8, b: u8) -> u8 {
    (0.2989 * r as f64 + 0.5870 * g as f64 + 0.1140 * b as f64)
        .round()
        .clamp(0.0, 255.0) as u8
}

/// Loads `zero.jpg` … `nine.jpg` from `dir` and binarises them (mask = gray < 127).
pub fn load_wm_digits(dir: &Path) -> Result<WmDigits> {
    if !dir.is_dir() {
        return Err(DataError::MissingDir {
            path: dir.to_path_buf(),
            what: "wm-digits folder (zero.jpg … nine.jpg)".into(),
        });
    }
    let mut masks = Vec::with_capacity(10);
    for name in WM_DIGIT_NAMES {
        let path = dir.join(format!("{name}.jpg"));
        let bytes = std::fs::read(&path)
            .map_err(|e| DataError::io(&path, e, "working-memory digit JPEG"))?;
        let img = image::load_from_memory_with_format(&bytes, image::ImageFormat::Jpeg)
            .map_err(|cause| DataError::Image {
                path: path.clone(),
                cause,
            })?
            .to_rgb8();
        let (w, h) = (img.width() as usize, img.height() as usize);
        if w != WM_SIDE || h != WM_SIDE {
            return Err(DataError::BadImageSize {
                path,
                expected_h: WM_SIDE,
                expected_w: WM_SIDE,
                got_h: h,
                got_w: w,
            });
        }
        masks.push(
            img.pixels()
                .map(|p| rgb_to_gray(p[0], p[1], p[2]) < 127)
                .collect(),
        );
    }
    Ok(WmDigits {
        height: WM_SIDE,
        width: WM_SIDE,
        masks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gray_formula() {
        assert_eq!(rgb_to_gray(255, 255, 255), 255);
        assert_eq!(rgb_to_gray(0, 0, 0), 0);
        assert_eq!(rgb_to_gray(100, 0, 0), 30); // 29.89 rounds up
    }

    #[test]
    fn embedded_digits_have_published_stroke_fraction() {
        let dir = crate::root::embedded_dir("wm-digits");
        let d = load_wm_digits(&dir).expect("embedded wm-digits");
        assert_eq!(d.masks.len(), 10);
        for (i, m) in d.masks.iter().enumerate() {
            assert_eq!(m.len(), 79 * 79);
            let on = m.iter().filter(|&&b| b).count() as f64 / m.len() as f64;
            // SOURCES.md: 12–21 % of pixels on.
            assert!((0.11..=0.22).contains(&on), "digit {i}: {on}");
        }
        assert_ne!(d.masks[0], d.masks[1]);
    }

    #[test]
    fn missing_folder_is_an_error() {
        let e = load_wm_digits(Path::new("/nonexistent/wm")).unwrap_err();
        assert!(e.to_string().contains("/nonexistent/wm"));
    }
}
