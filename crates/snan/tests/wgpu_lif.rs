//! The fused LIF's CubeCL kernels on the wgpu backend (a GPU, or Mesa's lavapipe on the CPU) against
//! the host implementation on flex and the tensor-op reference on wgpu itself.
//! Only with the `wgpu` cargo feature (`cargo test -p snan --features wgpu --test wgpu_lif`).
#![cfg(feature = "wgpu")]

mod common;

use burn::tensor::{Device, DeviceKind, Tensor, TensorData};
use common::host;
use snan::{Engine, LifConfig, Reset, Surrogate};

fn wgpu() -> Device {
    Device::wgpu(DeviceKind::DefaultDevice)
}

/// Deterministic inputs in [-0.2, 0.9) (the same values on every device).
fn values(len: usize, seed: u32) -> Vec<f32> {
    let mut x = seed.wrapping_mul(2_654_435_761) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            -0.2 + 1.1 * (x as f32 / u32::MAX as f32)
        })
        .collect()
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// Spikes, final membrane and input gradient of one fused forward + backward.
fn run(cfg: &LifConfig, device: &Device, dims: [usize; 3]) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let ad = device.clone().autodiff();
    let n = dims.iter().product();
    let x = Tensor::<3>::from_data(TensorData::new(values(n, 1), dims), &ad).require_grad();
    let w = Tensor::<3>::from_data(TensorData::new(values(n, 2), dims), &ad);
    let lif = cfg.clone().init(&ad);
    let (s, state) = lif.forward(x.clone(), None);
    let grads = ((s.clone() * w).sum() + state.v.clone().sum()).backward();
    (host(s), host(state.v), host(x.grad(&grads).expect("input gradient")))
}

#[test]
fn cube_kernels_match_the_host_fused_path_and_the_reference() {
    let dims = [60, 4, 300];
    for reset in [Reset::Subtract, Reset::Zero] {
        for (alpha, surrogate) in [(None, Surrogate::atan(2.0)), (Some(0.6), Surrogate::fast_sigmoid(5.0))] {
            let cfg = LifConfig::new().with_alpha(alpha).with_reset(reset).with_surrogate(surrogate).with_threshold(0.9);
            let fused = cfg.clone().with_engine(Engine::Fused);
            let (s_gpu, v_gpu, g_gpu) = run(&fused, &wgpu(), dims);
            let (s_cpu, v_cpu, g_cpu) = run(&fused, &Device::flex(), dims);
            let (s_ref, _, g_ref) = run(&cfg, &wgpu(), dims);
            let what = format!("{reset:?}, alpha {alpha:?}, {surrogate:?}");
            assert!(s_gpu.iter().sum::<f32>() > 100.0, "too few spikes: {what}");
            assert_eq!(s_gpu, s_cpu, "wgpu kernel vs host spikes: {what}");
            assert_eq!(s_gpu, s_ref, "wgpu kernel vs wgpu reference spikes: {what}");
            assert!(max_abs_diff(&v_gpu, &v_cpu) <= 1e-5, "final membrane: {what}");
            let scale = g_cpu.iter().fold(1.0f32, |m, g| m.max(g.abs()));
            assert!(max_abs_diff(&g_gpu, &g_cpu) <= 1e-5 * scale, "gradient vs host: {what}");
            assert!(max_abs_diff(&g_gpu, &g_ref) <= 1e-5 * scale, "gradient vs reference: {what}");
        }
    }
}
