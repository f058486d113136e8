//! Trainable spiking layers: LIF (first/second order), surrogate spikes, the trainable Izhikevich
//! layer, astrocyte modulation and encoders. Each test names the fault it guards against.

mod common;

use burn::tensor::{Device, Tensor, TensorData};
use common::{devices, host};
use snan::encoders::{direct, latency, rate_bernoulli, rate_poisson};
use snan::{
    AstroLayout, AstroModulated, AstroModulatedConfig, Lif, LifConfig, LifState, Reset, SpikingIzhikevichConfig,
    SpikingNeuron, Surrogate,
};

fn scalar_seq(values: &[f32], device: &Device) -> Tensor<3> {
    Tensor::from_data(TensorData::new(values.to_vec(), [values.len(), 1, 1]), device)
}

/// Steps `lif` through a `[T, 1, 1]` sequence, returning the spike and membrane trace.
fn trace(lif: &Lif, input: Tensor<3>) -> (Vec<f32>, Vec<f32>) {
    let steps = input.dims()[0];
    let mut state = lif.init_state(&input.clone().narrow(0, 0, 1));
    let (mut s_out, mut v_out) = (Vec::new(), Vec::new());
    for t in 0..steps {
        let (s, st) = lif.step(input.clone().narrow(0, t, 1), state);
        s_out.push(host(s)[0]);
        v_out.push(host(st.v.clone())[0]);
        state = st;
    }
    (s_out, v_out)
}

fn close(a: f32, b: f32, tol: f32) -> bool {
    (a - b).abs() <= tol
}

// Fault guarded: soft and hard reset swapped.
// β = 0.8, θ = 1. With x = 0.2 the membrane is v_n = 1 − 0.8ⁿ, which approaches θ from below and
// never fires, so the golden spiking trace uses x = 0.3 (computed by hand):
// v = 0.3, 0.54, 0.732, 0.8856, h₅ = 0.8·0.8856 + 0.3 = 1.00848 → spike at step 5;
// soft reset: v₅ = 0.00848, v₆ = 0.8·0.00848 + 0.3 = 0.306784; hard reset: v₅ = 0, v₆ = 0.3.
#[test]
fn golden_lif_trace_soft_and_hard_reset() {
    for device in devices() {
        let x = scalar_seq(&[0.3; 6], &device);
        for (reset, v5, v6) in [(Reset::Subtract, 0.00848, 0.306784), (Reset::Zero, 0.0, 0.3)] {
            let lif = LifConfig::new().with_beta(0.8).with_threshold(1.0).with_reset(reset).init(&device);
            let (s, v) = trace(&lif, x.clone());
            assert_eq!(s, vec![0.0, 0.0, 0.0, 0.0, 1.0, 0.0], "{reset:?}");
            for (got, want) in v[..4].iter().zip([0.3, 0.54, 0.732, 0.8856]) {
                assert!(close(*got, want, 1e-5), "{reset:?}: {v:?}");
            }
            assert!(close(v[4], v5, 1e-5), "{reset:?}: membrane after the first spike {} != {v5}", v[4]);
            assert!(close(v[5], v6, 1e-5), "{reset:?}: {} != {v6}", v[5]);
        }
        // x = 0.2: the sub-threshold approach to θ, no spike.
        let lif = LifConfig::new().with_beta(0.8).init(&device);
        let (s, v) = trace(&lif, scalar_seq(&[0.2; 30], &device));
        assert!(s.iter().all(|&s| s == 0.0));
        for (n, got) in v.iter().enumerate() {
            assert!(close(*got, 1.0 - 0.8f32.powi(n as i32 + 1), 1e-5));
        }
    }
}

// Fault guarded: the synaptic current never decayed.
#[test]
fn synaptic_current_decays_by_alpha() {
    for device in devices() {
        let lif = LifConfig::new().with_alpha(Some(0.5)).with_beta(0.9).with_threshold(10.0).init(&device);
        let x = scalar_seq(&[0.4, 0.0, 0.0, 0.0], &device);
        let mut state = lif.init_state(&x.clone().narrow(0, 0, 1));
        let (mut i_tr, mut v_tr) = (vec![], vec![]);
        for t in 0..4 {
            let (_, st) = lif.step(x.clone().narrow(0, t, 1), state);
            i_tr.push(host(st.i.clone().expect("synaptic current"))[0]);
            v_tr.push(host(st.v.clone())[0]);
            state = st;
        }
        for (got, want) in i_tr.iter().zip([0.4, 0.2, 0.1, 0.05]) {
            assert!(close(*got, want, 1e-6), "current {i_tr:?}");
        }
        // v = 0.4, 0.9·0.4 + 0.2 = 0.56, 0.9·0.56 + 0.1 = 0.604, 0.9·0.604 + 0.05 = 0.5936
        for (got, want) in v_tr.iter().zip([0.4, 0.56, 0.604, 0.5936]) {
            assert!(close(*got, want, 1e-5), "membrane {v_tr:?}");
        }
    }
}

// Fault guarded: zero (or wrong) surrogate gradients.
#[test]
fn surrogate_gradients_match_finite_differences() {
    let xs = [-1.0f32, -0.3, -0.1, -0.01, 0.0, 0.01, 0.1, 0.3, 1.0];
    for device in devices() {
        let ad = device.autodiff();
        for sg in [Surrogate::atan(2.0), Surrogate::atan(5.0), Surrogate::fast_sigmoid(25.0), Surrogate::fast_sigmoid(4.0)] {
            let x = Tensor::<1>::from_data(TensorData::new(xs.to_vec(), [xs.len()]), &ad).require_grad();
            let s = sg.spike(x.clone());
            let fwd = host(s.clone());
            for (&xi, &si) in xs.iter().zip(&fwd) {
                assert_eq!(si, if xi >= 0.0 { 1.0 } else { 0.0 }, "{sg:?}: forward must be the exact step");
            }
            let g = host(x.grad(&s.sum().backward()).expect("gradient reaches x"));
            for (&xi, &gi) in xs.iter().zip(&g) {
                let h = 1e-6;
                let fd = (sg.primitive(xi as f64 + h) - sg.primitive(xi as f64 - h)) / (2.0 * h);
                assert!(((gi as f64) - fd).abs() <= 1e-4 + 1e-3 * fd.abs(), "{sg:?} at {xi}: grad {gi} vs fd {fd}");
                assert!(((gi as f64) - sg.derivative(xi as f64)).abs() <= 1e-4 + 1e-3 * fd.abs());
                if xi.abs() <= 0.1 {
                    assert!(gi > 1e-2, "{sg:?}: gradient near threshold is {gi}");
                }
            }
        }
    }
}

// Fault guarded: no gradient when the initial state is the implicit default.
#[test]
fn gradients_reach_input_with_default_state() {
    for device in devices() {
        let ad = device.autodiff();
        let x = Tensor::<3>::random([6, 2, 4], burn::tensor::Distribution::Uniform(0.2, 0.8), &ad).require_grad();
        let lif = LifConfig::new().with_learn_beta(true).with_alpha(Some(0.7)).init(&ad);
        let (s, st) = lif.forward(x.clone(), None);
        let grads = (s.sum() + st.v.sum()).backward();
        let g = host(x.grad(&grads).expect("input gradient"));
        assert!(g.iter().all(|v| v.is_finite()) && g.iter().any(|v| v.abs() > 0.0), "{g:?}");
        let gb = lif.beta_logit.as_ref().unwrap().val().grad(&grads).expect("beta gradient");
        assert!(host(gb)[0].abs() > 0.0);

        let izh = SpikingIzhikevichConfig::new().init();
        let xi = (x.clone() * 20.0).detach().require_grad();
        let (s, _) = izh.forward(xi.clone(), None);
        let g = host(xi.grad(&s.sum().backward()).expect("Izhikevich input gradient"));
        assert!(g.iter().all(|v| v.is_finite()) && g.iter().any(|v| v.abs() > 0.0));

        let astro = AstroModulatedConfig::new(AstroLayout::Groups { features: 4, groups: 2 })
            .init(LifConfig::new().init(&ad), &ad);
        let xa = (x * 2.0).detach().require_grad();
        let (s, st) = astro.forward(xa.clone(), None);
        let grads = (s.sum() + st.ca.sum()).backward();
        let g = host(xa.grad(&grads).expect("astro input gradient"));
        assert!(g.iter().all(|v| v.is_finite()) && g.iter().any(|v| v.abs() > 0.0));
        assert!(host(astro.gain.val().grad(&grads).expect("gain gradient")).iter().any(|v| v.abs() > 0.0));
    }
}

// Fault guarded: a global/shared state registry (running one layer resets or advances another).
#[test]
fn layers_never_touch_each_others_state() {
    let device = Device::flex();
    let a = LifConfig::new().with_beta(0.8).init(&device);
    let b = LifConfig::new().with_beta(0.8).init(&device);
    let x1 = Tensor::<3>::full([3, 2, 5], 0.45, &device);
    let x2 = Tensor::<3>::full([4, 2, 5], 0.35, &device);
    let y = Tensor::<3>::full([7, 3, 5], 0.9, &device);
    // Reference: A alone.
    let (_, sa) = a.forward(x1.clone(), None);
    let (ref_s, ref_st) = a.forward(x2.clone(), Some(sa));
    // Interleaved with B (and with A serving a second, independent stream).
    let (_, sa) = a.forward(x1, None);
    let _ = b.forward(y.clone(), None);
    let _ = a.forward(y, None);
    let (s, st) = a.forward(x2, Some(sa));
    assert_eq!(host(s), host(ref_s));
    assert_eq!(host(st.v), host(ref_st.v));
}

// Fault guarded: stale state shape when the batch size changes between calls.
#[test]
fn batch_size_can_change_between_calls() {
    let device = Device::flex();
    let lif = LifConfig::new().init(&device);
    let astro = AstroModulatedConfig::new(AstroLayout::Territories { channels: 2, height: 4, width: 4, size: 2 })
        .init(LifConfig::new().init(&device), &device);
    for batch in [2, 5, 1] {
        let x = Tensor::<5>::full([3, batch, 2, 4, 4], 0.6, &device);
        let (s, st) = lif.forward(x.clone(), None);
        assert_eq!(s.dims(), [3, batch, 2, 4, 4]);
        assert_eq!(st.v.dims(), [1, batch, 2, 4, 4]);
        let (s, st) = astro.forward(x, None);
        assert_eq!(s.dims(), [3, batch, 2, 4, 4]);
        assert_eq!(st.ca.dims(), [batch, 4]);
    }
}

#[test]
#[should_panic(expected = "pass `None`")]
fn stale_state_of_another_batch_is_rejected() {
    let device = Device::flex();
    let lif = LifConfig::new().init(&device);
    let (_, st) = lif.forward(Tensor::<3>::ones([2, 2, 3], &device), None);
    let _ = lif.forward(Tensor::<3>::ones([2, 5, 3], &device), Some(st));
}

// Fault guarded: the autodiff graph kept across time steps / chunks (memory grows with time).
#[test]
fn detach_cuts_the_graph_between_chunks() {
    let ad = Device::flex().autodiff();
    let lif = LifConfig::new().with_learn_beta(true).with_alpha(Some(0.5)).init(&ad);
    let astro = AstroModulatedConfig::new(AstroLayout::Groups { features: 3, groups: 1 })
        .init(LifConfig::new().init(&ad), &ad);
    let first = Tensor::<3>::full([2, 2, 3], 0.7, &ad).require_grad();
    let (_, mut st) = lif.forward(first.clone(), None);
    let (_, mut ast) = astro.forward(first.clone(), None);
    assert!(st.v.is_tracked(), "the state is tracked before detach (else this test is vacuous)");
    assert!(ast.ca.is_tracked());
    let mut last = first.clone();
    for _ in 0..100 {
        st = st.detach();
        ast = AstroModulated::<Lif>::detach_state(ast);
        assert!(!st.v.is_tracked() && !st.i.as_ref().unwrap().is_tracked());
        assert!(!ast.ca.is_tracked() && !ast.neuron.v.is_tracked());
        last = Tensor::<3>::full([2, 2, 3], 0.7, &ad).require_grad();
        let (_, s1) = lif.forward(last.clone(), Some(st));
        let (_, s2) = astro.forward(last.clone(), Some(ast));
        (st, ast) = (s1, s2);
    }
    let grads = (st.v.clone().sum() + ast.ca.clone().sum()).backward();
    assert!(last.grad(&grads).is_some(), "the last chunk is differentiated");
    assert!(first.grad(&grads).is_none(), "the first chunk's graph must have been released");
    let _: LifState<3> = st;
}

#[test]
fn batch_first_matches_time_major() {
    let device = Device::flex();
    let x = Tensor::<3>::random([5, 3, 4], burn::tensor::Distribution::Uniform(0.0, 0.9), &device);
    let tm = LifConfig::new().with_reset(Reset::Zero).init(&device);
    let bf = LifConfig::new().with_reset(Reset::Zero).with_batch_first(true).init(&device);
    let (s1, st1) = tm.forward(x.clone(), None);
    let (s2, st2) = bf.forward(x.swap_dims(0, 1), None);
    assert_eq!(host(s1), host(s2.swap_dims(0, 1)));
    assert_eq!(st2.v.dims(), [3, 1, 4]);
    assert_eq!(host(st1.v), host(st2.v));
}

#[test]
fn izhikevich_layer_spikes_and_resets() {
    let device = Device::flex();
    let cfg = SpikingIzhikevichConfig::new();
    let izh = cfg.init();
    let x = Tensor::<3>::full([200, 1, 1], 10.0, &device);
    let mut st = izh.init_state(&x.clone().narrow(0, 0, 1));
    let mut spikes = 0;
    for t in 0..200 {
        let u_before = host(st.u.clone())[0];
        let (s, next) = izh.step(x.clone().narrow(0, t, 1), st);
        if host(s)[0] == 1.0 {
            spikes += 1;
            assert_eq!(host(next.v.clone())[0], cfg.neuron.c as f32, "reset to c at the spike");
            assert!(host(next.u.clone())[0] > u_before + cfg.neuron.d as f32 * 0.5, "u jumps by d");
        }
        st = next;
    }
    assert!((2..200).contains(&spikes), "regular spiking under constant drive, got {spikes}");
}

#[test]
fn astrocyte_calcium_follows_group_rate_and_raises_the_gate() {
    let device = Device::flex();
    assert_eq!(
        AstroLayout::Territories { channels: 1, height: 3, width: 4, size: 2 }.assignment(),
        (vec![0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 3, 3], 4)
    );
    assert_eq!(AstroLayout::Groups { features: 6, groups: 3 }.assignment(), (vec![0, 0, 1, 1, 2, 2], 3));
    // Group 0 spikes every step (hard reset, drive ≥ θ), group 1 never.
    let astro = AstroModulatedConfig::new(AstroLayout::Groups { features: 4, groups: 2 })
        .with_dt_ms(1.0)
        .with_tau_ca_ms(10.0)
        .init(LifConfig::new().with_reset(Reset::Zero).init(&device), &device);
    let x = Tensor::<3>::from_data(TensorData::new([2.0f32, 2.0, 0.0, 0.0].repeat(3), [3, 1, 4]), &device);
    let (s, st) = astro.forward(x, None);
    assert_eq!(host(s), [1.0f32, 1.0, 0.0, 0.0].repeat(3));
    let ca = host(st.ca.clone());
    assert!(close(ca[0], 1.0 - 0.9f32.powi(3), 1e-5) && ca[1] == 0.0, "{ca:?}");
    let gate = host(astro.gate(st.ca));
    assert!(gate[0] > gate[1] && gate[1] >= 1.0 && gate[0] <= 1.5, "{gate:?}");
}

#[test]
fn encoders_are_seeded_and_shaped() {
    let device = Device::flex();
    let x = Tensor::<2>::from_data(TensorData::new(vec![0.0f32, 0.25, 0.5, 1.0], [1, 4]), &device);
    let a: Tensor<3> = rate_bernoulli(x.clone(), 400, 1.0, 7);
    let b: Tensor<3> = rate_bernoulli(x.clone(), 400, 1.0, 7);
    let c: Tensor<3> = rate_bernoulli(x.clone(), 400, 1.0, 8);
    assert_eq!(a.dims(), [400, 1, 4]);
    assert_eq!(host(a.clone()), host(b));
    assert_ne!(host(a.clone()), host(c));
    let rate = host(a.mean_dim(0));
    for (r, p) in rate.iter().zip([0.0, 0.25, 0.5, 1.0]) {
        assert!((r - p).abs() < 0.08, "{rate:?}");
    }
    let p: Tensor<3> = rate_poisson(x.clone(), 300, 200.0, 1.0, 3);
    let rate = host(p.mean_dim(0));
    assert_eq!(rate[0], 0.0);
    assert!((rate[3] - (1.0 - (-0.2f32).exp())).abs() < 0.08, "{rate:?}");
    let l: Tensor<3> = latency(x.clone(), 5, 0.1);
    let l = host(l);
    // x = 1 → step 0, 0.5 → step 2, 0.25 → step round(3) = 3, 0 → never.
    let first = |j: usize| (0..5).filter(|&t| l[t * 4 + j] == 1.0).collect::<Vec<_>>();
    assert_eq!((first(0), first(1), first(2), first(3)), (vec![], vec![3], vec![2], vec![0]));
    let d: Tensor<3> = direct(x, 3, 2.0);
    assert_eq!(host(d), [0.0f32, 0.5, 1.0, 2.0].repeat(3));
}

#[test]
fn astro_modulation_wraps_any_spiking_layer() {
    let ad = Device::flex().autodiff();
    let layer = AstroModulatedConfig::new(AstroLayout::Groups { features: 3, groups: 3 })
        .init(SpikingIzhikevichConfig::new().init(), &ad);
    let x = Tensor::<3>::full([20, 2, 3], 12.0, &ad).require_grad();
    let (s, st) = layer.forward(x.clone(), None);
    assert_eq!((s.dims(), st.ca.dims(), st.neuron.v.dims()), ([20, 2, 3], [2, 3], [1, 2, 3]));
    let g = host(x.grad(&(s.sum() + st.ca.sum()).backward()).expect("gradient"));
    assert!(g.iter().all(|v| v.is_finite()) && g.iter().any(|v| v.abs() > 0.0));
}
