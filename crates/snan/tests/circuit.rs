//! The whole circuit: state isolation, determinism, replication and a small imprint → recall.

mod common;

use burn::tensor::{Device, Tensor};
use common::{devices, host};
use snan::{AstrocyteConfig, RecallConfig, SnanConfig};

fn small(seed: u64) -> SnanConfig {
    SnanConfig::new()
        .with_height(16)
        .with_width(16)
        .with_connectivity(snan::ConnectivityConfig::new().with_seed(seed))
        .with_astrocyte(AstrocyteConfig::fast())
}

#[test]
fn running_one_snan_never_changes_another() {
    let device = Device::flex();
    let a = small(1).init(&device);
    let b = small(2).init(&device);
    let sa = a.init_state(1, &device);
    let sb = b.init_state(1, &device);
    let sb_before = host(sb.neurons.v.clone());
    let input = Tensor::<2>::full([1, 256], 25.0, &device);
    let mut s = sa.clone();
    for _ in 0..50 {
        s = a.step(s, Some(input.clone())).0;
    }
    // Neither the other circuit's state nor this circuit's original state value moved.
    assert_eq!(host(sb.neurons.v.clone()), sb_before);
    assert_eq!(host(sa.neurons.v.clone()), vec![-70.0; 256]);
    assert_ne!(host(s.neurons.v.clone()), vec![-70.0; 256]);
    // And `b`, stepped afresh, behaves as if `a` had never run.
    let run_b = |state| {
        let mut st = state;
        for _ in 0..50 {
            st = b.step(st, Some(input.clone())).0;
        }
        host(st.neurons.v)
    };
    let first = run_b(b.init_state(1, &device));
    assert_eq!(first, run_b(sb));
}

#[test]
fn same_seed_same_numbers_on_each_backend() {
    for device in devices() {
        let run = |seed| {
            let snan = small(seed).with_noise(Some(snan::BackgroundNoiseConfig::new())).init(&device);
            let state = snan.init_state(2, &device);
            let cue = Tensor::<2>::full([2, 256], 6.0, &device);
            let (_, out) = snan.recall(state, cue, &RecallConfig::new().with_cue_steps(300).with_readout_steps(400));
            host(out.counts)
        };
        let a = run(3);
        assert_eq!(a, run(3), "{device:?}");
        assert_ne!(a, run(4), "{device:?}");
        assert!(a.iter().sum::<f32>() > 0.0);
    }
}

#[test]
fn replicated_state_recalls_like_separate_runs() {
    let device = Device::flex();
    let snan = small(5).init(&device);
    let mut state = snan.init_state(1, &device);
    let drive = Tensor::<2>::full([1, 256], 25.0, &device);
    for _ in 0..200 {
        state = snan.step(state, Some(drive.clone())).0;
    }
    let cues = Tensor::<2>::cat(vec![Tensor::full([1, 256], 8.0, &device), Tensor::full([1, 256], 5.0, &device)], 0);
    let cfg = RecallConfig::new().with_cue_steps(200).with_readout_steps(300);
    let (_, both) = snan.recall(state.repeat(2), cues.clone(), &cfg);
    let (_, first) = snan.recall(state.clone(), cues.clone().narrow(0, 0, 1), &cfg);
    let (_, second) = snan.recall(state, cues.narrow(0, 1, 1), &cfg);
    let both = host(both.counts);
    assert_eq!(both[..256], host(first.counts)[..]);
    assert_eq!(both[256..], host(second.counts)[..]);
}

/// Strong activity raises astrocyte Ca²⁺ above threshold; a later synchronous cue then gates the
/// synapses, which the ablation (a_ep = 0) cannot do.
#[test]
fn imprint_then_recall_engages_the_astrocytes() {
    let device = Device::flex();
    let cfg = small(9);
    let snan = cfg.init(&device);
    let [ha, wa] = snan.astro_grid();
    let pattern: Vec<bool> = (0..256).map(|i| (i / 16) < 8).collect();
    let learn = snan::encoding::currents(&[pattern.clone()], 80.0, &device);
    let pres = [snan::Presentation { current: learn, onset: 1, offset: 2000 }];
    let state = snan.imprint(snan.init_state(1, &device), &pres, 8000);
    let ca = host(state.astrocytes.ca.clone());
    let top: f32 = ca[..ha * wa / 2].iter().cloned().fold(f32::MIN, f32::max);
    let bottom: f32 = ca[ha * wa / 2 + wa..].iter().cloned().fold(f32::MIN, f32::max);
    assert!(top > 0.15, "learned territories hold Ca {top} > 0.15 µM");
    assert!(bottom < 0.15, "untouched territories stay low ({bottom} µM)");
    let cue = snan::encoding::currents(&[pattern], 8.0, &device);
    let (_, out) = snan.recall(state, cue, &RecallConfig::new().with_cue_steps(1501).with_readout_steps(2501));
    let act = host(out.astro_activity);
    assert!(act.iter().take(ha * wa / 2).any(|&a| a > 0.0), "some learned astrocyte gates its synapses");
    assert!(act.iter().skip(ha * wa / 2 + wa).all(|&a| a == 0.0), "no unlearned astrocyte gates");
}

#[test]
fn invalid_configs_are_named() {
    let nan = SnanConfig::new().with_glutamate_decay(f64::NAN);
    assert_eq!(nan.validate().unwrap_err(), "SNAN config: `glutamate_decay` must be finite, got NaN");
    let dt = SnanConfig::new().with_astrocyte(AstrocyteConfig::new().with_dt_s(0.0));
    assert!(dt.validate().unwrap_err().contains("astrocyte.dt_s"));
    let tiny = SnanConfig::new().with_height(4).with_width(4);
    assert!(tiny.validate().unwrap_err().contains("out_degree 40"));
    assert!(SnanConfig::new().validate().is_ok());
}
