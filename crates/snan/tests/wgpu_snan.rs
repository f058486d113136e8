//! The SNAN recall window as one CubeCL kernel launch (wgpu: a GPU, or Mesa's lavapipe on the CPU)
//! against the host fused engine on flex: the same imprinted state and cues give the same spike
//! statistics (mean rate within 0.5 %, per-neuron count correlation ≥ 0.99, astrocyte activity maps
//! correlated ≥ 0.99). Only with the `wgpu` cargo feature.
#![cfg(feature = "wgpu")]

mod common;

use burn::tensor::{Device, DeviceKind, Tensor};
use common::{correlation, host};
use snan::{AstrocyteConfig, Presentation, RecallConfig, SnanConfig};

/// Counts, astrocyte activity and Ca after a recall of eight cues on `device`; a 20×20 hybrid-style
/// circuit (1 ms astrocytes, no background noise).
fn recall(device: &Device) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let side = 20;
    let snan = SnanConfig::new().with_height(side).with_width(side).with_astrocyte(AstrocyteConfig::fast()).init(device);
    let pattern: Vec<bool> = (0..side * side).map(|i| (i % side) < side / 2 || (i / side) % 5 == 0).collect();
    let learn = snan::encoding::currents(&[pattern.clone()], 80.0, device);
    let state = snan.imprint(snan.init_state(1, device), &[Presentation { current: learn, onset: 5, offset: 2000 }], 6000);
    // Eight cues (the pattern and a flat current at four strengths each), so the statistics average
    // over several trajectories.
    let mut cues = Vec::new();
    for k in 0..4 {
        cues.push(snan::encoding::currents(&[pattern.clone()], 7.0 + k as f32, device));
        cues.push(Tensor::full([1, side * side], 5.0 + k as f32, device));
    }
    let (after, out) =
        snan.recall(state.repeat(8), Tensor::cat(cues, 0), &RecallConfig::new().with_cue_steps(800).with_readout_steps(1200));
    (host(out.counts), host(out.astro_activity), host(after.astrocytes.ca))
}

#[test]
fn kernel_recall_matches_the_host_engine_statistically() {
    let (host_counts, host_act, host_ca) = recall(&Device::flex());
    let (counts, act, ca) = recall(&Device::wgpu(DeviceKind::DefaultDevice));
    let (sh, sk) = (host_counts.iter().sum::<f32>(), counts.iter().sum::<f32>());
    assert!(sh > 10_000.0, "the host engine must spike ({sh})");
    assert!(((sk - sh) / sh).abs() <= 0.005, "mean rate: kernel {sk} vs host {sh}");
    let r = correlation(&host_counts, &counts);
    println!("spikes: kernel {sk}, host {sh} ({:+.3} %); per-neuron count correlation {r:.4}", 100.0 * (sk - sh) / sh);
    assert!(r >= 0.99, "per-neuron count correlation {r}");
    assert!(host_act.iter().any(|&a| a > 0.0), "astrocytes gate");
    assert!(correlation(&host_act, &act) >= 0.99, "astrocyte activity maps agree");
    for (a, b) in host_ca.iter().zip(&ca) {
        assert!((a - b).abs() < 1e-2, "Ca after the recall: {a} vs {b}");
    }
}
