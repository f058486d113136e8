//! Golden single-astrocyte response, step-size agreement, diffusion and territory sums.

mod common;

use burn::tensor::{Device, Tensor, TensorData};
use common::host;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use snan::{AstrocyteConfig, Astrocytes};

/// Ca²⁺ trace of one uncoupled astrocyte under a 60 ms, 5 µM/s IP₃ pulse starting at 1.0 s,
/// sampled at every step of `dt_s` up to `end_s`.
fn pulse_response(dt_s: f64, end_s: f64, device: &Device) -> Vec<(f64, f32)> {
    let astro = AstrocyteConfig::new().with_dt_s(dt_s).with_neuron_dt_s(dt_s).init(4, 4);
    assert_eq!(astro.grid(), [1, 1]);
    let state = astro.init_state(1, device);
    let mut y = [state.ca, state.h, state.ip3];
    let mut carry = state.carry;
    let on = Tensor::<3>::full([1, 1, 1], 5.0, device);
    let off = Tensor::<3>::zeros([1, 1, 1], device);
    let steps = (end_s / dt_s).round() as usize;
    let mut trace = Vec::with_capacity(steps);
    for i in 0..steps {
        let t = i as f64 * dt_s;
        let drive = if (1.0..1.06 - 1e-9).contains(&t) { on.clone() } else { off.clone() };
        (y, carry) = astro.rk4(y, carry, drive, dt_s as f32);
        trace.push(((i + 1) as f64 * dt_s, host(y[0].clone())[0]));
    }
    trace
}

#[test]
fn single_astrocyte_pulse_matches_published_response() {
    let device = Device::flex();
    let trace = pulse_response(1e-4, 3.5, &device);
    let crossing = trace.iter().find(|(_, ca)| *ca > 0.15).expect("Ca crosses 0.15 µM").0;
    let (t_peak, peak) = trace.iter().fold((0.0, f32::MIN), |b, &(t, c)| if c > b.1 { (t, c) } else { b });
    assert!((crossing - 1.6747).abs() <= 0.002, "crossing at {crossing} s");
    assert!((peak - 0.558).abs() <= 0.005, "peak {peak} µM");
    assert!((t_peak - 3.228).abs() <= 0.020, "peak at {t_peak} s");

    // The fast 1 ms step matches the published 0.1 ms step within 1e-4 µM at every shared instant.
    let fast = pulse_response(1e-3, 3.5, &device);
    for (k, &(t, ca)) in fast.iter().enumerate() {
        let (t_ref, ca_ref) = trace[(k + 1) * 10 - 1];
        assert!((t - t_ref).abs() < 1e-9);
        assert!((ca - ca_ref).abs() <= 1e-4, "at {t} s: 1 ms step {ca}, 0.1 ms step {ca_ref}");
    }
}

#[test]
fn diffusion_conserves_the_total_with_zero_flux_borders() {
    let device = Device::flex();
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    for (h, w) in [(1, 1), (1, 5), (4, 3), (26, 26)] {
        let values: Vec<f32> = (0..2 * h * w).map(|_| rng.random_range(0.0f32..2.0)).collect();
        let x = Tensor::<3>::from_data(TensorData::new(values.clone(), [2, h, w]), &device);
        let lap = host(Astrocytes::laplacian(x.clone()));
        for b in 0..2 {
            let sum: f32 = lap[b * h * w..(b + 1) * h * w].iter().sum();
            assert!(sum.abs() < 1e-4, "Laplacian sums to {sum} on {h}×{w}");
        }
        // Diffusion alone for many explicit steps keeps the total and flattens the field.
        let mut y = x;
        for _ in 0..200 {
            y = y.clone() + Astrocytes::laplacian(y) * 0.1;
        }
        let (before, after) = (values.iter().sum::<f32>(), host(y.clone()).iter().sum::<f32>());
        assert!((before - after).abs() / before < 1e-4, "total {before} → {after}");
        if h * w > 1 {
            let spread = |v: &[f32]| v.iter().cloned().fold(f32::MIN, f32::max) - v.iter().cloned().fold(f32::MAX, f32::min);
            assert!(spread(&host(y)) < spread(&values));
        }
    }
    // A corner cell has two neighbours: its Laplacian is (right − x) + (down − x).
    let x = Tensor::<3>::from_data(TensorData::new(vec![1.0f32, 2.0, 3.0, 4.0], [1, 2, 2]), &device);
    assert_eq!(host(Astrocytes::laplacian(x)), vec![3.0, 1.0, -1.0, -3.0]);
}

#[test]
fn territory_sums_are_strided_window_counts() {
    let device = Device::flex();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    for (h, w) in [(79, 79), (28, 28), (10, 13)] {
        let astro = AstrocyteConfig::new().init(h, w);
        let [ha, wa] = astro.grid();
        assert_eq!([ha, wa], [(h - 4) / 3 + 1, (w - 4) / 3 + 1]);
        let map: Vec<f32> = (0..h * w).map(|_| rng.random_bool(0.4) as u8 as f32).collect();
        let sums = host(astro.territory_sum(Tensor::from_data(TensorData::new(map.clone(), [1, h * w]), &device)));
        for a in 0..ha {
            for b in 0..wa {
                let mut naive = 0.0;
                for r in 3 * a..3 * a + 4 {
                    for c in 3 * b..3 * b + 4 {
                        naive += map[r * w + c];
                    }
                }
                assert!((sums[a * wa + b] - naive).abs() < 1e-3, "territory ({a}, {b})");
            }
        }
    }
    assert_eq!(AstrocyteConfig::new().grid(79, 79), [26, 26]);
}
