//! Connectivity statistics and the gather-sum of the synapses.

mod common;

use burn::tensor::{Device, Tensor, TensorData};
use common::host;
use snan::{Connectivity, ConnectivityConfig, HebbianImprint, SynapseConfig};

#[test]
fn connectivity_statistics_on_79x79() {
    let conn = Connectivity::generate(79, 79, &ConnectivityConfig::new());
    let n = 79 * 79;
    assert!(conn.targets.iter().all(|t| t.len() == 40), "out-degree 40 everywhere");
    for (pre, t) in conn.targets.iter().enumerate() {
        let mut sorted = t.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 40, "duplicate target of neuron {pre}");
        assert!(!t.contains(&(pre as u32)), "self connection of neuron {pre}");
        assert!(t.iter().all(|&x| (x as usize) < n));
    }
    let indeg = conn.in_degrees();
    let mean = indeg.iter().sum::<usize>() as f64 / n as f64;
    assert!((mean - 40.0).abs() < 1e-9, "mean in-degree {mean}");
    let max = *indeg.iter().max().unwrap();
    assert_eq!(conn.max_in_degree, max);
    assert!((50..=80).contains(&max), "max in-degree {max} (spec: ~64)");
    let len = conn.mean_length();
    assert!((len - 5.8).abs() <= 0.3, "mean length {len}");
    // Same seed, same draw; another seed, another draw.
    assert_eq!(conn.targets, Connectivity::generate(79, 79, &ConnectivityConfig::new()).targets);
    assert_ne!(conn.targets, Connectivity::generate(79, 79, &ConnectivityConfig::new().with_seed(1)).targets);
}

#[test]
fn gather_sum_equals_the_adjacency_product() {
    let device = Device::flex();
    let (h, w) = (9, 7);
    let conn = Connectivity::generate(h, w, &ConnectivityConfig::new().with_out_degree(6).with_mean_distance(2.0));
    let syn = SynapseConfig::new().init(&conn, &device);
    let n = h * w;
    let v: Vec<f32> = (0..2 * n).map(|i| ((i * 37) % 101) as f32 - 70.0).collect();
    let drive = host(syn.drive(Tensor::from_data(TensorData::new(v.clone(), [2, n]), &device)));
    for b in 0..2 {
        let mut expected = vec![0f64; n];
        for (pre, outs) in conn.targets.iter().enumerate() {
            let s = 1.0 / (1.0 + (-(v[b * n + pre] as f64) / 0.2).exp());
            for &post in outs {
                expected[post as usize] += s;
            }
        }
        for j in 0..n {
            assert!((drive[b * n + j] as f64 - expected[j]).abs() < 1e-4, "neuron {j}");
        }
    }
    // The astrocyte gate raises the conductance from 0.025 to 0.525 (×21).
    let v = Tensor::<2>::full([1, n], 30.0, &device);
    let plain = host(syn.forward(v.clone(), Tensor::zeros([1, n], &device)));
    let gated = host(syn.forward(v, Tensor::ones([1, n], &device)));
    for (p, g) in plain.iter().zip(&gated) {
        assert!((g - 21.0 * p).abs() <= 1e-3 * g.abs().max(1.0));
    }
}

#[test]
fn hebbian_imprint_potentiates_co_active_synapses() {
    let device = Device::flex();
    let conn = Connectivity::generate(6, 6, &ConnectivityConfig::new().with_out_degree(8).with_mean_distance(2.0));
    let pattern: Vec<bool> = (0..36).map(|i| i % 6 < 3).collect();
    let syn = SynapseConfig::new().init(&conn, &device).imprint(
        &conn,
        &[pattern.clone()],
        &HebbianImprint::CoActive { potentiation: 2.0, depression: 0.5 },
    );
    let w = syn.weights();
    let k = conn.max_in_degree;
    let mut seen = [false; 3];
    for post in 0..36 {
        for slot in 0..k {
            let at = post * k + slot;
            if conn.in_mask[at] == 0.0 {
                assert_eq!(w[at], 0.0);
                continue;
            }
            let pre = conn.in_index[at] as usize;
            let expected = match (pattern[pre], pattern[post]) {
                (true, true) => 3.0,
                (true, false) => 0.5,
                _ => 1.0,
            };
            seen[(expected as usize).min(2)] = true;
            assert_eq!(w[at], expected);
        }
    }
    assert!(seen.iter().all(|&s| s), "all three weight classes occur");
}
