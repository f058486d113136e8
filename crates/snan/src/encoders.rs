//! Encoders from static values (e.g. pixel intensities in [0, 1]) to time-major spike trains or
//! currents `[T, …]` for the trainable spiking layers. The random encoders are seeded: the same
//! seed gives the same train on every backend (the random numbers are drawn on the host).
//!
//! Each encoder takes `x` of rank `D` and returns rank `D1 = D + 1` (checked), with the new time
//! axis first; for batch-first layers, `swap_dims(0, 1)` the result.

use burn::tensor::{Tensor, TensorData};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn repeat_time<const D: usize, const D1: usize>(x: Tensor<D>, steps: usize) -> Tensor<D1> {
    assert_eq!(D1, D + 1, "the output rank must be the input rank + 1");
    assert!(steps > 0, "need at least one time step");
    x.unsqueeze_dim::<D1>(0).repeat_dim(0, steps)
}

fn uniform_like<const D1: usize>(t: &Tensor<D1>, seed: u64) -> Tensor<D1> {
    let dims = t.dims();
    let n: usize = dims.iter().product();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let u: Vec<f32> = (0..n).map(|_| rng.random::<f32>()).collect();
    Tensor::from_data(TensorData::new(u, dims), &t.device())
}

/// Direct-current encoding: `x·gain` presented unchanged at every step (no randomness; the first
/// spiking layer turns it into spikes). Differentiable with respect to `x`.
///
/// # Shapes
/// - `x`: `[…]`; returns `[steps, …]`
pub fn direct<const D: usize, const D1: usize>(x: Tensor<D>, steps: usize, gain: f32) -> Tensor<D1> {
    repeat_time(x * gain, steps)
}

/// Rate coding by Bernoulli draws: at each step, an element spikes with probability
/// `clamp(x·gain, 0, 1)`, independently.
///
/// # Shapes
/// - `x`: `[…]`; returns `[steps, …]` of 0/1
pub fn rate_bernoulli<const D: usize, const D1: usize>(x: Tensor<D>, steps: usize, gain: f32, seed: u64) -> Tensor<D1> {
    let p = repeat_time::<D, D1>((x * gain).clamp(0.0, 1.0), steps).detach();
    let u = uniform_like(&p, seed);
    p.greater(u).float()
}

/// Rate coding by a Poisson process: an element of intensity `x` fires at `x·max_rate_hz`; in a
/// step of `dt_ms` it spikes with probability `1 − exp(−rate·dt)` (at most one spike per step).
///
/// # Shapes
/// - `x`: `[…]`, values ≥ 0; returns `[steps, …]` of 0/1
pub fn rate_poisson<const D: usize, const D1: usize>(
    x: Tensor<D>,
    steps: usize,
    max_rate_hz: f32,
    dt_ms: f32,
    seed: u64,
) -> Tensor<D1> {
    let lambda = (x.clamp_min(0.0) * (max_rate_hz * dt_ms * 1e-3)).detach();
    let p = repeat_time::<D, D1>(-((-lambda).exp()) + 1.0, steps);
    let u = uniform_like(&p, seed);
    p.greater(u).float()
}

/// Latency (time-to-first-spike) coding, linear: an element with `x ≥ threshold` spikes once, at
/// step `round((1 − clamp(x, 0, 1))·(steps − 1))` (bright = early); others never spike.
///
/// # Shapes
/// - `x`: `[…]`, values in [0, 1]; returns `[steps, …]` of 0/1, at most one spike per element
pub fn latency<const D: usize, const D1: usize>(x: Tensor<D>, steps: usize, threshold: f32) -> Tensor<D1> {
    let x = x.detach();
    let active = x.clone().greater_equal_elem(threshold).float();
    let t_spike = ((-x.clamp(0.0, 1.0) + 1.0) * (steps.saturating_sub(1)) as f32).round();
    let t_spike = repeat_time::<D, D1>(t_spike, steps);
    let active = repeat_time::<D, D1>(active, steps);
    let mut shape = [1usize; D1];
    shape[0] = steps;
    let ts = Tensor::<1>::from_data(
        TensorData::new((0..steps).map(|t| t as f32).collect::<Vec<_>>(), [steps]),
        &t_spike.device(),
    )
    .reshape(shape);
    let hit = (t_spike - ts).abs().lower_elem(0.5).float();
    hit * active
}
