//! Golden single-neuron rates and the never-NaN property of the Izhikevich population.

mod common;

use burn::tensor::{Tensor, TensorData};
use common::{devices, host};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use snan::{Integration, IzhikevichConfig};

/// FS neuron, V₀ = −70, U₀ = 0, constant current, 1 s at 0.1 ms: samples at the 30 mV peak.
#[test]
fn fs_rates_match_the_published_table() {
    let currents = [3.5f32, 4.0, 5.0, 8.0, 12.0, 25.0];
    let expected = [0.0f32, 24.0, 43.0, 89.0, 158.0, 357.0];
    for device in devices() {
        let neurons = IzhikevichConfig::fast_spiking().init();
        let input = Tensor::<2>::from_data(TensorData::new(currents.to_vec(), [1, currents.len()]), &device);
        let mut state = neurons.init_state(1, currents.len(), &device);
        let mut counts = Tensor::<2>::zeros([1, currents.len()], &device);
        for _ in 0..10_000 {
            state = neurons.step(state, input.clone());
            counts = counts + state.v.clone().greater_equal_elem(30.0).float();
        }
        let counts = host(counts);
        for ((c, e), i) in counts.iter().zip(expected).zip(currents) {
            assert!((c - e).abs() <= 1.0, "I = {i}: {c} spikes/s, expected {e} ± 1 ({device:?})");
        }
    }
}

/// Multi-step forward equals repeated single steps, and returns the spike train.
#[test]
fn forward_matches_repeated_steps() {
    let device = burn::tensor::Device::flex();
    let neurons = IzhikevichConfig::regular_spiking().init();
    let input = Tensor::<3>::full([3000, 2, 3], 12.0, &device);
    let (spikes, end) = neurons.forward(input, None);
    let mut state = neurons.init_state(2, 3, &device);
    let mut total = 0.0;
    for _ in 0..3000 {
        state = neurons.step(state, Tensor::full([2, 3], 12.0, &device));
        total += host(state.v.clone().greater_equal_elem(30.0).float()).iter().sum::<f32>();
    }
    assert_eq!(host(spikes).iter().sum::<f32>(), total);
    assert!(total > 0.0, "a 12 mV/ms current must make RS neurons fire");
    assert_eq!(host(end.v), host(state.v));
}

/// Currents up to ±1e6 (and beyond) never produce NaN or inf, for every preset and scheme.
#[test]
fn never_nan_or_inf_for_huge_currents() {
    let device = burn::tensor::Device::flex();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let presets = [
        IzhikevichConfig::fast_spiking(),
        IzhikevichConfig::regular_spiking(),
        IzhikevichConfig::intrinsically_bursting(),
        IzhikevichConfig::chattering().with_input_clip(None),
    ];
    for preset in presets {
        for scheme in [Integration::ForwardEuler, Integration::HalfSteps] {
            for dt in [0.1, 1.0] {
                let neurons = preset.clone().with_integration(scheme).with_dt_ms(dt).init();
                let n = 64;
                let mut state = neurons.init_state(1, n, &device);
                for step in 0..300 {
                    let scale = [1e6f32, 1e3, 30.0, 1e30][step % 4];
                    let values: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0f32..1.0) * scale).collect();
                    let input = Tensor::<2>::from_data(TensorData::new(values, [1, n]), &device);
                    state = neurons.step(state, input);
                    let v = host(state.v.clone());
                    let u = host(state.u.clone());
                    assert!(
                        v.iter().chain(&u).all(|x| x.is_finite()),
                        "non-finite state at step {step} ({scheme:?}, dt {dt})"
                    );
                }
            }
        }
    }
}
