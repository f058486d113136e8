//! The fused CPU engine against the tensor-op reference: same seed and inputs give the same spike
//! statistics (mean rate within 0.5 %, per-neuron count correlation ≥ 0.99) on every backend, and
//! bit-identical results on flex, whose kernels evaluate the same operations in the same order.

mod common;

use burn::tensor::{Device, Tensor};
use common::{correlation, devices, host};
use snan::{AstrocyteConfig, BackgroundNoiseConfig, Engine, Presentation, RecallConfig, SnanConfig};

fn run(engine: Engine, astro_dt: f64, side: usize, device: &Device) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let (h, w) = (side, side);
    let snan = SnanConfig::new()
        .with_height(h)
        .with_width(w)
        .with_astrocyte(AstrocyteConfig::new().with_dt_s(astro_dt))
        .with_noise(Some(BackgroundNoiseConfig::new()))
        .with_engine(engine)
        .init(device);
    let pattern: Vec<bool> = (0..h * w).map(|i| (i % w) < w / 2 || (i / w) % 5 == 0).collect();
    let learn = snan::encoding::currents(&[pattern.clone()], 80.0, device);
    let state = snan.imprint(snan.init_state(1, device), &[Presentation { current: learn, onset: 5, offset: 2000 }], 6000);
    let ca = host(state.astrocytes.ca.clone());
    let cue_a = snan::encoding::currents(&[pattern], 8.0, device);
    let cues = Tensor::cat(vec![cue_a, Tensor::full([1, h * w], 6.0, device)], 0);
    let (_, out) = snan.recall(state.repeat(2), cues, &RecallConfig::new().with_cue_steps(800).with_readout_steps(1200));
    (host(out.counts), host(out.astro_activity), ca)
}

#[test]
fn fused_engine_matches_the_reference_statistically() {
    // The published 0.1 ms astrocyte step on flex, the fast 1 ms step and a smaller grid on the
    // slower ndarray backend (keeps the test short).
    for ((device, astro_dt), side) in devices().into_iter().zip([1e-4, 1e-3]).zip([18, 14]) {
        {
            let (ref_counts, ref_act, ref_ca) = run(Engine::Reference, astro_dt, side, &device);
            let (counts, act, ca) = run(Engine::Fused, astro_dt, side, &device);
            let (sr, sf) = (ref_counts.iter().sum::<f32>(), counts.iter().sum::<f32>());
            assert!(sr > 1000.0, "the reference must spike ({sr})");
            assert!(((sf - sr) / sr).abs() <= 0.005, "mean rate: fused {sf} vs reference {sr} ({device:?})");
            let r = correlation(&ref_counts, &counts);
            assert!(r >= 0.99, "per-neuron count correlation {r} ({device:?}, astro dt {astro_dt})");
            for (a, b) in ref_ca.iter().zip(&ca) {
                assert!((a - b).abs() < 1e-3, "Ca after imprint: {a} vs {b}");
            }
            assert!(ref_act.iter().any(|&a| a > 0.0), "astrocytes gate in the reference");
            assert!(correlation(&ref_act, &act) >= 0.99, "astrocyte activity maps agree");
            if device == Device::flex() {
                // On flex the fused engine performs the reference's float operations in the same
                // order, so the results are bit-identical.
                assert_eq!(ref_counts, counts, "flex: fused counts differ from the reference");
                assert_eq!(ref_ca, ca, "flex: fused Ca differs from the reference");
            }
        }
    }
}

/// With fewer samples than threads the fused engine splits each step across threads; the halves
/// are disjoint, so the result is bit-identical to the unsplit run.
#[test]
fn split_steps_give_identical_results() {
    let device = Device::flex();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
    pool.install(|| {
        let (h, w) = (48, 48); // 2,304 neurons: above the split threshold
        let snan = SnanConfig::new()
            .with_height(h)
            .with_width(w)
            .with_noise(Some(BackgroundNoiseConfig::new()))
            .init(&device);
        let pattern: Vec<bool> = (0..h * w).map(|i| (i % w) < w / 3).collect();
        let learn = snan::encoding::currents(&[pattern.clone()], 80.0, &device);
        let imprint = |batch: usize| {
            let s = snan.init_state(batch, &device);
            snan.imprint(s, &[Presentation { current: learn.clone(), onset: 2, offset: 1500 }], 4000)
        };
        let (one, four) = (imprint(1), imprint(4)); // split vs not split (4 samples on 4 threads)
        let ca1 = host(one.astrocytes.ca.clone());
        let ca4 = host(four.astrocytes.ca.clone());
        assert_eq!(ca1[..], ca4[..ca1.len()]);
        let cue = snan::encoding::currents(&[pattern], 8.0, &device);
        let cfg = RecallConfig::new().with_cue_steps(800).with_readout_steps(1200);
        let (_, r1) = snan.recall(one, cue.clone(), &cfg);
        let (_, r4) = snan.recall(four, cue.repeat_dim(0, 4), &cfg);
        let (c1, c4) = (host(r1.counts), host(r4.counts));
        assert!(c1.iter().sum::<f32>() > 0.0);
        assert_eq!(c1[..], c4[..c1.len()]);
        assert_eq!(c4[..c1.len()], c4[3 * c1.len()..]);
    });
}
