//! Area-averaging resampling: each output pixel is the coverage-weighted mean of the input pixels
//! under it. It is exact for integer down-scaling (Omniglot 105 → 35), anti-aliased for any other
//! down-scaling (105 → 28), behaves like a box-filtered up-scale, and never leaves [min, max] of the
//! input, which keeps images in [0, 1].

/// Resamples a row-major `h × w` image to `nh × nw` by area averaging. Empty sizes give an empty image.
pub fn resize_area(src: &[f32], h: usize, w: usize, nh: usize, nw: usize) -> Vec<f32> {
    if h == 0 || w == 0 || nh == 0 || nw == 0 {
        return vec![0.0; nh * nw];
    }
    let wy = weights(h, nh);
    let wx = weights(w, nw);
    let mut out = vec![0.0f32; nh * nw];
    for (oy, ry) in wy.iter().enumerate() {
        for (ox, rx) in wx.iter().enumerate() {
            let mut acc = 0.0f64;
            let mut tot = 0.0f64;
            for &(sy, fy) in ry {
                let row = &src[sy * w..(sy + 1) * w];
                for &(sx, fx) in rx {
                    let f = fy * fx;
                    acc += f * row[sx] as f64;
                    tot += f;
                }
            }
            out[oy * nw + ox] = if tot > 0.0 { (acc / tot) as f32 } else { 0.0 };
        }
    }
    out
}

/// For each output cell along one axis, the source cells it covers and the covered length.
fn weights(n: usize, nn: usize) -> Vec<Vec<(usize, f64)>> {
    let scale = n as f64 / nn as f64;
    (0..nn)
        .map(|o| {
            let a = o as f64 * scale;
            let b = (o + 1) as f64 * scale;
            let mut v = Vec::new();
            let mut s = a.floor() as usize;
            while (s as f64) < b && s < n {
                let lo = a.max(s as f64);
                let hi = b.min((s + 1) as f64);
                if hi > lo {
                    v.push((s, hi - lo));
                }
                s += 1;
            }
            v
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_downscale_is_block_mean() {
        let src: Vec<f32> = (0..16).map(|v| v as f32).collect();
        let out = resize_area(&src, 4, 4, 2, 2);
        assert_eq!(out, vec![2.5, 4.5, 10.5, 12.5]);
    }

    #[test]
    fn mean_is_preserved_and_range_kept() {
        let src: Vec<f32> = (0..105 * 105)
            .map(|i| ((i * 7919) % 13) as f32 / 12.0)
            .collect();
        let out = resize_area(&src, 105, 105, 28, 28);
        let m0: f32 = src.iter().sum::<f32>() / src.len() as f32;
        let m1: f32 = out.iter().sum::<f32>() / out.len() as f32;
        assert!((m0 - m1).abs() < 1e-4, "{m0} vs {m1}");
        assert!(out.iter().all(|&v| (0.0..=1.0).contains(&v)));
    }

    #[test]
    fn upscale_of_constant_is_constant() {
        let out = resize_area(&[0.25; 6], 2, 3, 5, 7);
        assert!(out.iter().all(|&v| (v - 0.25).abs() < 1e-6));
    }
}
