//! Input encoding of the SNAN: a binary image sets a constant current per neuron (1 pixel →
//! 1 neuron), optionally with a fixed number of flipped pixels.

use burn::tensor::{Device, Tensor, TensorData};
use rand::Rng;
use rand::seq::index::sample;

/// Flips exactly `round(len · fraction)` distinct, randomly chosen pixels (0 ↔ 1).
pub fn flip_pixels(pattern: &[bool], fraction: f64, rng: &mut impl Rng) -> Vec<bool> {
    let mut out = pattern.to_vec();
    let count = ((pattern.len() as f64) * fraction.clamp(0.0, 1.0)).round() as usize;
    for i in sample(rng, pattern.len(), count) {
        out[i] = !out[i];
    }
    out
}

/// Binary patterns as applied currents `[patterns, neurons]` = `pattern · amplitude` (mV/ms).
pub fn currents(patterns: &[Vec<bool>], amplitude: f32, device: &Device) -> Tensor<2> {
    let n = patterns.first().map_or(0, Vec::len);
    let data: Vec<f32> = patterns
        .iter()
        .flat_map(|p| {
            assert_eq!(p.len(), n, "all patterns must have the same number of pixels");
            p.iter().map(move |&on| if on { amplitude } else { 0.0 })
        })
        .collect();
    Tensor::from_data(TensorData::new(data, [patterns.len(), n]), device)
}
