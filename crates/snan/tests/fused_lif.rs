//! Fused multi-step LIF (`Engine::Fused`, one backend op with a hand-written backward) against the
//! reference tensor-op path: identical spikes and final state, gradients within 1e-5.

mod common;

use burn::tensor::{Device, Distribution, Tensor};
use common::{devices, host};
use snan::{Engine, Lif, LifConfig, LifState, Reset, Surrogate};

/// Every configuration the fused op distinguishes.
fn configs() -> Vec<LifConfig> {
    let mut out = Vec::new();
    for reset in [Reset::Subtract, Reset::Zero] {
        for detach_reset in [false, true] {
            for alpha in [None, Some(0.7)] {
                for (learn_beta, surrogate) in [(false, Surrogate::atan(2.0)), (true, Surrogate::fast_sigmoid(5.0))] {
                    out.push(
                        LifConfig::new()
                            .with_beta(0.85)
                            .with_learn_beta(learn_beta)
                            .with_alpha(alpha)
                            .with_threshold(0.8)
                            .with_reset(reset)
                            .with_detach_reset(detach_reset)
                            .with_surrogate(surrogate),
                    );
                }
            }
        }
    }
    out
}

/// Spikes, final membrane, input gradient and β-logit gradient of `lif` on `x` under the loss
/// Σ w_s·spikes + Σ w_v·v_final (random weights so every path carries gradient).
fn run(lif: &Lif, x: Tensor<3>, ws: Tensor<3>, wv: Tensor<3>) -> (Vec<f32>, Vec<f32>, Vec<f32>, Option<f32>) {
    let x = x.require_grad();
    let (s, state) = lif.forward(x.clone(), None);
    let loss = (s.clone() * ws).sum() + (state.v.clone() * wv).sum();
    let grads = loss.backward();
    let gx = host(x.grad(&grads).expect("input gradient"));
    let gb = lif.beta_logit.as_ref().map(|p| host(p.val().grad(&grads).expect("beta gradient"))[0]);
    (host(s), host(state.v), gx, gb)
}

fn max_abs_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

#[test]
fn fused_matches_reference_spikes_state_and_gradients() {
    for device in devices() {
        let ad = device.clone().autodiff();
        ad.seed(7);
        let (t, b, n) = (40, 3, 50);
        let x = Tensor::<3>::random([t, b, n], Distribution::Uniform(-0.2, 0.9), &ad);
        let ws = Tensor::<3>::random([t, b, n], Distribution::Uniform(-1.0, 1.0), &ad);
        let wv = Tensor::<3>::random([1, b, n], Distribution::Uniform(-1.0, 1.0), &ad);
        for cfg in configs() {
            let reference = cfg.clone().with_engine(Engine::Reference).init(&ad);
            let fused = cfg.clone().with_engine(Engine::Fused).init(&ad);
            let (s_r, v_r, gx_r, gb_r) = run(&reference, x.clone().detach(), ws.clone(), wv.clone());
            let (s_f, v_f, gx_f, gb_f) = run(&fused, x.clone().detach(), ws.clone(), wv.clone());
            let what = format!("{:?} on {device:?}", cfg);
            assert!(s_r.iter().sum::<f32>() > 50.0, "too few spikes to test anything: {what}");
            assert_eq!(s_r, s_f, "spikes differ: {what}");
            assert!(max_abs_diff(&v_r, &v_f) <= 1e-6, "final membrane differs: {what}");
            let scale = gx_r.iter().fold(1.0f32, |m, g| m.max(g.abs()));
            let d = max_abs_diff(&gx_r, &gx_f);
            assert!(d <= 1e-5 * scale, "input gradients differ by {d} (scale {scale}): {what}");
            assert!(gx_r.iter().any(|g| g.abs() > 1e-3), "gradient vanished: {what}");
            match (gb_r, gb_f) {
                (Some(r), Some(f)) => assert!((r - f).abs() <= 1e-5 * r.abs().max(1.0), "β gradient {r} vs {f}: {what}"),
                (None, None) => {}
                other => panic!("β gradient presence differs {other:?}: {what}"),
            }
        }
    }
}

#[test]
fn fused_state_chunks_equal_one_long_sequence() {
    for device in devices() {
        device.seed(3);
        let lif = LifConfig::new().with_alpha(Some(0.5)).with_engine(Engine::Fused).init(&device);
        let x = Tensor::<3>::random([30, 2, 17], Distribution::Uniform(0.0, 0.8), &device);
        let (whole, end) = lif.forward(x.clone(), None);
        let (a, mid) = lif.forward(x.clone().narrow(0, 0, 12), None);
        let (b, end2) = lif.forward(x.narrow(0, 12, 18), Some(mid));
        assert_eq!(host(whole), host(Tensor::cat(vec![a, b], 0)));
        assert_eq!(host(end.v), host(end2.v));
        assert_eq!(host(end.i.unwrap()), host(end2.i.unwrap()));
    }
}

#[test]
fn fused_batch_first_and_explicit_state_match_reference() {
    for device in devices() {
        device.seed(5);
        let cfg = LifConfig::new().with_batch_first(true).with_reset(Reset::Zero);
        let (reference, fused) = (cfg.clone().init(&device), cfg.with_engine(Engine::Fused).init(&device));
        let x = Tensor::<4>::random([2, 25, 3, 4], Distribution::Uniform(0.0, 0.7), &device); // [B, T, …]
        let v0 = Tensor::<4>::random([2, 1, 3, 4], Distribution::Uniform(0.0, 0.9), &device);
        let state = || Some(LifState { v: v0.clone(), i: None });
        let (s_r, st_r) = reference.forward(x.clone(), state());
        let (s_f, st_f) = fused.forward(x, state());
        assert_eq!(s_f.dims(), [2, 25, 3, 4]);
        assert_eq!(st_f.v.dims(), [2, 1, 3, 4]);
        assert_eq!(host(s_r), host(s_f));
        assert_eq!(host(st_r.v), host(st_f.v));
    }
}

#[test]
fn fused_rejects_a_stale_state_shape() {
    let device = Device::flex();
    let lif = LifConfig::new().with_engine(Engine::Fused).init(&device);
    let x = Tensor::<3>::zeros([4, 2, 5], &device);
    let stale = LifState { v: Tensor::<3>::zeros([1, 3, 5], &device), i: None };
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| lif.forward(x, Some(stale))));
    let msg = err.expect_err("a state of another batch size must be rejected");
    let msg = msg.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("does not match"), "unexpected message: {msg}");
}

#[test]
fn no_nan_or_inf_for_huge_finite_inputs_either_engine() {
    let device = Device::flex();
    let x = Tensor::<3>::from_floats(
        [[[3.0e38f32, -3.0e38, 1e30, 0.5]], [[3.0e38, -3.0e38, -1e30, 2.0]], [[3.0e38, 3.0e38, 1e30, 0.0]]],
        &device,
    );
    for engine in [Engine::Reference, Engine::Fused] {
        for reset in [Reset::Subtract, Reset::Zero] {
            for alpha in [None, Some(0.9)] {
                let lif = LifConfig::new().with_alpha(alpha).with_reset(reset).with_engine(engine).init(&device);
                let (s, state) = lif.forward(x.clone(), None);
                let s = host(s);
                assert!(s.iter().all(|v| *v == 0.0 || *v == 1.0), "{engine:?} {reset:?}: {s:?}");
                let v = host(state.v);
                assert!(v.iter().all(|x| x.is_finite()), "{engine:?} {reset:?} {alpha:?}: membrane {v:?}");
            }
        }
    }
}
