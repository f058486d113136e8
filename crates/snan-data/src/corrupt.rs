//! Seeded, deterministic image corruptions, exactly as paper-facts decision 4.
//!
//! Images are row-major `h × w` values in [0, 1] with background 0 (MNIST's white-on-black
//! convention; Omniglot is inverted on load). The *target* of an image is the tight bounding box
//! of its foreground pixels (value > 0). An image without foreground is left unchanged by
//! occlusion and scaling (there is no target to occlude or rescale).

use std::fmt;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::image_set::ImageSet;
use crate::resize::resize_area;

/// What fills an occluding rectangle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OcclusionFill {
    /// Background (0): the target is erased (the paper's occlusion).
    Erase,
    /// Foreground (1.0).
    Solid,
    /// Independent U[0, 1] per pixel.
    Noise,
}

/// One corruption; [`Corruption::apply`] draws all its randomness from the given RNG.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Corruption {
    /// Salt-and-pepper noise of density `p`: each pixel independently, with probability `p`, is set
    /// to the minimum (0) or the maximum (1) with equal odds (as in MNIST-C).
    Impulse {
        /// Density in [0, 1].
        p: f32,
    },
    /// A rectangle of area `size` × (area of the target's bounding box), placed uniformly at random
    /// inside that box. Its shape follows the box's aspect ratio (height ≈ √size·box height, width
    /// chosen so the area is as close as possible to the target), so it always fits; the area is
    /// exact up to rounding to whole pixels (error ≤ half the rectangle's longer side).
    Occlusion {
        /// Fraction of the bounding-box area, in [0, 1].
        size: f32,
        /// Fill of the rectangle.
        fill: OcclusionFill,
    },
    /// A shift by integers dx, dy drawn uniformly from [−max_px, max_px], vacated pixels set to 0.
    Translate {
        /// Maximal shift per axis, in pixels.
        max_px: usize,
    },
    /// The target (its bounding-box content) rescaled by independent factors fx, fy ~ U[min, max]
    /// with area averaging, then re-centred at the image centre (the rest is 0; parts that would
    /// fall outside the frame are cropped).
    Scale {
        /// Smallest factor (> 0).
        min: f32,
        /// Largest factor (≥ min).
        max: f32,
    },
    /// Pixel → 1 if > threshold else 0 (no randomness).
    Binarize {
        /// The threshold.
        threshold: f32,
    },
}

/// The RNG for image `index` of a run with `seed`: a ChaCha8 stream per image, so an image's
/// corruption depends only on (seed, index), never on batch order or on other images.
pub fn image_rng(seed: u64, index: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(index);
    rng
}

/// A copy of `set` with corruption `c` applied to each image using [`image_rng`]`(seed, i)`.
pub fn corrupt_set(set: &ImageSet, c: &Corruption, seed: u64) -> ImageSet {
    let mut out = set.clone();
    let (h, w) = (set.height, set.width);
    for i in 0..out.len() {
        c.apply(out.image_mut(i), h, w, &mut image_rng(seed, i as u64));
    }
    out
}

/// Tight bounding box `(y0, x0, y1, x1)` (inclusive) of pixels > 0, or `None` for an empty image.
pub fn foreground_bbox(img: &[f32], h: usize, w: usize) -> Option<(usize, usize, usize, usize)> {
    let mut bb: Option<(usize, usize, usize, usize)> = None;
    for y in 0..h {
        for x in 0..w {
            if img[y * w + x] > 0.0 {
                bb = Some(match bb {
                    None => (y, x, y, x),
                    Some((y0, x0, y1, x1)) => (y0.min(y), x0.min(x), y1.max(y), x1.max(x)),
                });
            }
        }
    }
    bb
}

/// Rectangle size `(rh, rw)` for occluding `size` of a `bh × bw` box (see [`Corruption::Occlusion`]).
pub fn occlusion_rect(size: f32, bh: usize, bw: usize) -> (usize, usize) {
    let target = size.clamp(0.0, 1.0) as f64 * (bh * bw) as f64;
    if target < 0.5 || bh == 0 || bw == 0 {
        return (0, 0);
    }
    let rh0 = ((size.clamp(0.0, 1.0) as f64).sqrt() * bh as f64)
        .round()
        .clamp(1.0, bh as f64) as usize;
    let mut best = (0, 0, f64::INFINITY);
    for rh in [rh0, rh0.saturating_sub(1), rh0 + 1] {
        if rh == 0 || rh > bh {
            continue;
        }
        let rw = (target / rh as f64).round().clamp(1.0, bw as f64) as usize;
        let err = ((rh * rw) as f64 - target).abs();
        if err < best.2 {
            best = (rh, rw, err);
        }
    }
    (best.0, best.1)
}

impl Corruption {
    /// Applies the corruption in place to a row-major `h × w` image.
    pub fn apply(&self, img: &mut [f32], h: usize, w: usize, rng: &mut impl Rng) {
        debug_assert_eq!(img.len(), h * w);
        match *self {
            Corruption::Impulse { p } => {
                for v in img.iter_mut() {
                    if rng.random::<f32>() < p {
                        *v = if rng.random::<bool>() { 1.0 } else { 0.0 };
                    }
                }
            }
            Corruption::Occlusion { size, fill } => {
                let Some((y0, x0, y1, x1)) = foreground_bbox(img, h, w) else {
                    return;
                };
                let (bh, bw) = (y1 - y0 + 1, x1 - x0 + 1);
                let (rh, rw) = occlusion_rect(size, bh, bw);
                if rh == 0 {
                    return;
                }
                let oy = y0 + rng.random_range(0..=bh - rh);
                let ox = x0 + rng.random_range(0..=bw - rw);
                for y in oy..oy + rh {
                    for x in ox..ox + rw {
                        img[y * w + x] = match fill {
                            OcclusionFill::Erase => 0.0,
                            OcclusionFill::Solid => 1.0,
                            OcclusionFill::Noise => rng.random::<f32>(),
                        };
                    }
                }
            }
            Corruption::Translate { max_px } => {
                let t = max_px as i64;
                let dy = rng.random_range(-t..=t) as isize;
                let dx = rng.random_range(-t..=t) as isize;
                let src = img.to_vec();
                img.fill(0.0);
                for y in 0..h as isize {
                    let sy = y - dy;
                    if sy < 0 || sy >= h as isize {
                        continue;
                    }
                    for x in 0..w as isize {
                        let sx = x - dx;
                        if sx >= 0 && sx < w as isize {
                            img[y as usize * w + x as usize] = src[sy as usize * w + sx as usize];
                        }
                    }
                }
            }
            Corruption::Scale { min, max } => {
                let Some((y0, x0, y1, x1)) = foreground_bbox(img, h, w) else {
                    return;
                };
                let (bh, bw) = (y1 - y0 + 1, x1 - x0 + 1);
                let fy = if max > min {
                    rng.random_range(min..=max)
                } else {
                    min
                };
                let fx = if max > min {
                    rng.random_range(min..=max)
                } else {
                    min
                };
                let nh = ((fy as f64 * bh as f64).round() as usize).max(1);
                let nw = ((fx as f64 * bw as f64).round() as usize).max(1);
                let mut crop = Vec::with_capacity(bh * bw);
                for y in y0..=y1 {
                    crop.extend_from_slice(&img[y * w + x0..=y * w + x1]);
                }
                let scaled = resize_area(&crop, bh, bw, nh, nw);
                img.fill(0.0);
                let oy = (h as isize - nh as isize).div_euclid(2);
                let ox = (w as isize - nw as isize).div_euclid(2);
                for y in 0..nh {
                    let ty = oy + y as isize;
                    if ty < 0 || ty >= h as isize {
                        continue;
                    }
                    for x in 0..nw {
                        let tx = ox + x as isize;
                        if tx >= 0 && tx < w as isize {
                            img[ty as usize * w + tx as usize] = scaled[y * nw + x];
                        }
                    }
                }
            }
            Corruption::Binarize { threshold } => {
                for v in img.iter_mut() {
                    *v = if *v > threshold { 1.0 } else { 0.0 };
                }
            }
        }
    }

    /// Parses `impulse:P`, `occlusion:S[:erase|solid|noise]`, `translate:T`, `scale:MIN:MAX`,
    /// `binarize:THRESHOLD`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let parts: Vec<&str> = s.trim().split(':').collect();
        let num = |i: usize, what: &str| -> Result<f32, String> {
            let t = parts
                .get(i)
                .ok_or_else(|| format!("`{s}`: missing {what}"))?;
            let v: f32 = t
                .parse()
                .map_err(|_| format!("`{s}`: {what} `{t}` is not a number"))?;
            if v.is_finite() {
                Ok(v)
            } else {
                Err(format!("`{s}`: {what} must be finite"))
            }
        };
        let unit = |v: f32, what: &str| {
            if (0.0..=1.0).contains(&v) {
                Ok(v)
            } else {
                Err(format!("`{s}`: {what} {v} is outside [0, 1]"))
            }
        };
        let arity = |n: usize| {
            if parts.len() <= n {
                Ok(())
            } else {
                Err(format!("`{s}`: too many fields"))
            }
        };
        let c = match parts[0].to_ascii_lowercase().as_str() {
            "impulse" => {
                arity(2)?;
                Corruption::Impulse {
                    p: unit(num(1, "density")?, "density")?,
                }
            }
            "occlusion" => {
                arity(3)?;
                let fill = match parts.get(2).map(|f| f.to_ascii_lowercase()) {
                    None => OcclusionFill::Erase,
                    Some(f) if f == "erase" => OcclusionFill::Erase,
                    Some(f) if f == "solid" => OcclusionFill::Solid,
                    Some(f) if f == "noise" => OcclusionFill::Noise,
                    Some(f) => {
                        return Err(format!("`{s}`: fill `{f}` is not erase, solid or noise"));
                    }
                };
                Corruption::Occlusion {
                    size: unit(num(1, "size")?, "size")?,
                    fill,
                }
            }
            "translate" => {
                arity(2)?;
                let t = parts
                    .get(1)
                    .ok_or_else(|| format!("`{s}`: missing shift"))?;
                Corruption::Translate {
                    max_px: t.parse().map_err(|_| {
                        format!("`{s}`: shift `{t}` is not a whole number of pixels")
                    })?,
                }
            }
            "scale" => {
                arity(3)?;
                let (min, max) = (num(1, "min factor")?, num(2, "max factor")?);
                if !(min > 0.0 && max >= min) {
                    return Err(format!("`{s}`: need 0 < min ≤ max"));
                }
                Corruption::Scale { min, max }
            }
            "binarize" => {
                arity(2)?;
                Corruption::Binarize {
                    threshold: num(1, "threshold")?,
                }
            }
            other => {
                return Err(format!(
                    "`{s}`: unknown corruption `{other}` (impulse:P, occlusion:S[:erase|solid|noise], translate:T, scale:MIN:MAX, binarize:T)"
                ));
            }
        };
        Ok(c)
    }
}

impl fmt::Display for Corruption {
    /// The canonical `parse` form, e.g. `impulse:0.2`, `occlusion:0.3:solid`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Corruption::Impulse { p } => write!(f, "impulse:{p}"),
            Corruption::Occlusion { size, fill } => {
                let name = match fill {
                    OcclusionFill::Erase => "erase",
                    OcclusionFill::Solid => "solid",
                    OcclusionFill::Noise => "noise",
                };
                write!(f, "occlusion:{size}:{name}")
            }
            Corruption::Translate { max_px } => write!(f, "translate:{max_px}"),
            Corruption::Scale { min, max } => write!(f, "scale:{min}:{max}"),
            Corruption::Binarize { threshold } => write!(f, "binarize:{threshold}"),
        }
    }
}

impl std::str::FromStr for Corruption {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Corruption::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mnist::{DatasetKind, load_mnist_like};

    fn mnist_test() -> ImageSet {
        load_mnist_like(&crate::root::embedded_dir("mnist"), DatasetKind::Mnist)
            .unwrap()
            .test
    }

    #[test]
    fn impulse_hits_fraction_p() {
        // On a constant-0.5 image every hit pixel changes, so the changed fraction estimates p.
        // 2,000 images × 784 px: the standard error is ≤ 0.0004, we allow 0.004 (10σ).
        for p in [0.03f32, 0.17, 0.5] {
            let set = ImageSet {
                images: vec![0.5; 2000 * 784],
                labels: vec![0; 2000],
                height: 28,
                width: 28,
                num_classes: 1,
            };
            let out = corrupt_set(&set, &Corruption::Impulse { p }, 11);
            let n = out.images.len() as f64;
            let hit = out.images.iter().filter(|&&v| v != 0.5).count() as f64 / n;
            let salt = out.images.iter().filter(|&&v| v == 1.0).count() as f64 / n;
            assert!((hit - p as f64).abs() < 0.004, "p={p}: hit {hit}");
            assert!((salt - p as f64 / 2.0).abs() < 0.004, "p={p}: salt {salt}");
            assert!(out.images.iter().all(|&v| v == 0.5 || v == 0.0 || v == 1.0));
        }
    }

    #[test]
    fn occlusion_area_is_size_times_bbox() {
        // Synthetic targets: a fully-on box of random size, so erased pixels = rectangle area and
        // the bounding box is known. Per image |area − s·A| ≤ half the longer rectangle side; on
        // average the relative error is below 3 %.
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for s in [0.1f32, 0.3, 0.5, 0.8] {
            let mut rel = 0.0;
            let trials = 300;
            for t in 0..trials {
                let (bh, bw) = (rng.random_range(8..=28usize), rng.random_range(8..=28usize));
                let (y0, x0) = (rng.random_range(0..=28 - bh), rng.random_range(0..=28 - bw));
                let mut img = vec![0.0f32; 784];
                for y in y0..y0 + bh {
                    for x in x0..x0 + bw {
                        img[y * 28 + x] = 1.0;
                    }
                }
                Corruption::Occlusion {
                    size: s,
                    fill: OcclusionFill::Erase,
                }
                .apply(&mut img, 28, 28, &mut image_rng(5, t));
                let erased = (bh * bw) - img.iter().filter(|&&v| v == 1.0).count();
                let target = s as f64 * (bh * bw) as f64;
                let (rh, rw) = occlusion_rect(s, bh, bw);
                assert_eq!(erased, rh * rw, "rectangle must lie inside the box");
                assert!(
                    (erased as f64 - target).abs() <= 0.5 * rh.max(rw) as f64,
                    "s={s} box {bh}x{bw}: {erased} vs {target}"
                );
                rel += (erased as f64 - target).abs() / target;
            }
            assert!(
                rel / (trials as f64) < 0.03,
                "s={s}: mean relative error {}",
                rel / trials as f64
            );
        }
    }

    #[test]
    fn occlusion_fills_and_placement_inside_bbox() {
        let set = mnist_test();
        for fill in [
            OcclusionFill::Solid,
            OcclusionFill::Noise,
            OcclusionFill::Erase,
        ] {
            let c = Corruption::Occlusion { size: 0.3, fill };
            let out = corrupt_set(&set.subset(&(0..100).collect::<Vec<_>>()), &c, 9);
            for i in 0..100 {
                let (a, b) = (set.image(i), out.image(i));
                let (y0, x0, y1, x1) = foreground_bbox(a, 28, 28).unwrap();
                for (k, (&u, &v)) in a.iter().zip(b).enumerate() {
                    let (y, x) = (k / 28, k % 28);
                    if u != v {
                        assert!(
                            y >= y0 && y <= y1 && x >= x0 && x <= x1,
                            "change outside the box"
                        );
                    }
                    assert!((0.0..=1.0).contains(&v));
                }
                if fill == OcclusionFill::Solid {
                    assert!(
                        b.iter().filter(|&&v| v == 1.0).count()
                            >= occlusion_rect(0.3, y1 - y0 + 1, x1 - x0 + 1).0
                    );
                }
            }
        }
    }

    #[test]
    fn same_seed_same_image_different_seed_different() {
        let set = mnist_test().subset(&[0, 1, 2, 3]);
        for spec in [
            "impulse:0.2",
            "occlusion:0.3",
            "occlusion:0.3:noise",
            "translate:5",
            "scale:0.1:1.0",
        ] {
            let c = Corruption::parse(spec).unwrap();
            let a = corrupt_set(&set, &c, 1);
            assert_eq!(a.images, corrupt_set(&set, &c, 1).images, "{spec}");
            assert_ne!(a.images, corrupt_set(&set, &c, 2).images, "{spec}");
            assert_ne!(a.images, set.images, "{spec} changed nothing");
        }
    }

    #[test]
    fn per_image_rng_does_not_depend_on_batch() {
        let set = mnist_test();
        let c = Corruption::Impulse { p: 0.1 };
        let big = corrupt_set(&set.subset(&(0..50).collect::<Vec<_>>()), &c, 4);
        let small = corrupt_set(&set.subset(&(0..10).collect::<Vec<_>>()), &c, 4);
        assert_eq!(big.image(7), small.image(7));
        let mut one = set.image(7).to_vec();
        c.apply(&mut one, 28, 28, &mut image_rng(4, 7));
        assert_eq!(one.as_slice(), big.image(7));
    }

    #[test]
    fn translate_preserves_mass_when_it_fits() {
        let set = mnist_test();
        let t = 3;
        let mut checked = 0;
        for i in 0..200 {
            let img = set.image(i);
            let (y0, x0, y1, x1) = foreground_bbox(img, 28, 28).unwrap();
            if y0 < t || x0 < t || y1 + t > 27 || x1 + t > 27 {
                continue;
            }
            let mut out = img.to_vec();
            Corruption::Translate { max_px: t }.apply(
                &mut out,
                28,
                28,
                &mut image_rng(0, i as u64),
            );
            let (m0, m1): (f32, f32) = (img.iter().sum(), out.iter().sum());
            assert!((m0 - m1).abs() < 1e-3, "image {i}: {m0} vs {m1}");
            let (ny0, nx0, _, _) = foreground_bbox(&out, 28, 28).unwrap();
            assert!(
                (ny0 as isize - y0 as isize).abs() <= t as isize
                    && (nx0 as isize - x0 as isize).abs() <= t as isize
            );
            checked += 1;
        }
        assert!(checked > 100, "only {checked} images fitted");
        // A zero shift range is the identity.
        let mut same = set.image(0).to_vec();
        Corruption::Translate { max_px: 0 }.apply(&mut same, 28, 28, &mut image_rng(0, 0));
        assert_eq!(same.as_slice(), set.image(0));
    }

    #[test]
    fn scale_stays_in_range_frame_and_centre() {
        let set = mnist_test();
        let c = Corruption::Scale { min: 0.1, max: 1.0 };
        for i in 0..200 {
            let img = set.image(i);
            let (y0, x0, y1, x1) = foreground_bbox(img, 28, 28).unwrap();
            let mut out = img.to_vec();
            c.apply(&mut out, 28, 28, &mut image_rng(2, i as u64));
            assert!(out.iter().all(|&v| (0.0..=1.0).contains(&v)));
            let Some((a0, b0, a1, b1)) = foreground_bbox(&out, 28, 28) else {
                panic!("image {i} vanished")
            };
            assert!(
                a1 - a0 <= y1 - y0 && b1 - b0 <= x1 - x0,
                "factor ≤ 1 must not grow the target"
            );
            let (cy, cx) = ((a0 + a1) as f32 / 2.0, (b0 + b1) as f32 / 2.0);
            assert!(
                (cy - 13.5).abs() <= 1.5 && (cx - 13.5).abs() <= 1.5,
                "image {i} centred at ({cy}, {cx})"
            );
        }
        // Factor 1 keeps the target's pixels, only moving the box to the centre.
        let mut out = set.image(0).to_vec();
        Corruption::Scale { min: 1.0, max: 1.0 }.apply(&mut out, 28, 28, &mut image_rng(0, 0));
        let (m0, m1): (f32, f32) = (set.image(0).iter().sum(), out.iter().sum());
        assert!((m0 - m1).abs() < 1e-3);
    }

    #[test]
    fn binarize_thresholds() {
        let mut img = vec![0.0, 0.5, 0.51, 1.0];
        Corruption::Binarize { threshold: 0.5 }.apply(&mut img, 2, 2, &mut image_rng(0, 0));
        assert_eq!(img, vec![0.0, 0.0, 1.0, 1.0]);
    }

    #[test]
    fn parse_accepts_the_documented_forms_and_rejects_others() {
        assert_eq!(
            Corruption::parse("impulse:0.2"),
            Ok(Corruption::Impulse { p: 0.2 })
        );
        assert_eq!(
            Corruption::parse("occlusion:0.3"),
            Ok(Corruption::Occlusion {
                size: 0.3,
                fill: OcclusionFill::Erase
            })
        );
        assert_eq!(
            Corruption::parse("occlusion:0.3:solid"),
            Ok(Corruption::Occlusion {
                size: 0.3,
                fill: OcclusionFill::Solid
            })
        );
        assert_eq!(
            Corruption::parse("translate:5"),
            Ok(Corruption::Translate { max_px: 5 })
        );
        assert_eq!(
            Corruption::parse("scale:0.1:1.0"),
            Ok(Corruption::Scale { min: 0.1, max: 1.0 })
        );
        assert_eq!(
            Corruption::parse("binarize:0.5"),
            Ok(Corruption::Binarize { threshold: 0.5 })
        );
        for bad in [
            "impulse",
            "impulse:1.5",
            "impulse:x",
            "occlusion:0.3:paint",
            "translate:-1",
            "scale:0:1",
            "scale:0.5:0.2",
            "blur:1",
            "impulse:0.1:2",
        ] {
            assert!(Corruption::parse(bad).is_err(), "{bad} should be rejected");
        }
        for c in [
            "impulse:0.2",
            "occlusion:0.3:noise",
            "translate:5",
            "scale:0.1:1",
            "binarize:0.5",
        ] {
            let p = Corruption::parse(c).unwrap();
            assert_eq!(Corruption::parse(&p.to_string()), Ok(p));
        }
    }
}
