//! The fused CPU engine: many SNAN steps per call over contiguous host state, one sample per rayon
//! task, no per-step allocation and no per-op dispatch.
//!
//! A recall is thousands of dependent steps; as tensor ops each step is ~100 small launches, bound by
//! dispatch and memory traffic. Here a sample's whole state (a few tens of kB for 28×28) stays in
//! cache for the whole window, and the synaptic sum is pushed only from neurons whose sigmoid is
//! non-zero in f32 (within ~20 mV of the peak, < 2 % of neurons per step). The arithmetic follows the
//! tensor path ([`crate::Snan::step`]) operation by operation and in the same order, so on flex the
//! results are bit-identical; on backends whose kernels order sums differently they agree
//! statistically (see the parity tests).

// burn-ndarray is deprecated upstream; it stays one of our CPU backends (the extension selector below).
#![allow(deprecated)]

use rayon::prelude::*;

use crate::circuit::{Snan, SnanState};
use crate::izhikevich::Integration;

/// Host copy of a batch of SNAN states, row-major `[batch, ·]`.
#[derive(Clone, Debug)]
pub(crate) struct HostState {
    pub batch: usize,
    pub v: Vec<f32>,
    pub u: Vec<f32>,
    pub glutamate: Vec<f32>,
    pub synaptic: Vec<f32>,
    pub gate: Vec<f32>,
    pub ca: Vec<f32>,
    pub h: Vec<f32>,
    pub ip3: Vec<f32>,
    pub ip3_timer: Vec<f32>,
    pub gate_timer: Vec<f32>,
    pub last_sync: Vec<f32>,
    pub drive_acc: Vec<f32>,
    pub carry: [Vec<f32>; 3],
    pub step: usize,
}

fn host<const D: usize>(t: &burn::tensor::Tensor<D>) -> Vec<f32> {
    t.clone().into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 state")
}

fn tensor<const D: usize>(v: Vec<f32>, shape: [usize; D], device: &burn::tensor::Device) -> burn::tensor::Tensor<D> {
    burn::tensor::Tensor::from_data(burn::tensor::TensorData::new(v, shape), device)
}

impl HostState {
    pub fn from_state(s: &SnanState) -> Self {
        let a = &s.astrocytes;
        Self {
            batch: s.batch(),
            v: host(&s.neurons.v),
            u: host(&s.neurons.u),
            glutamate: host(&s.glutamate),
            synaptic: host(&s.synaptic),
            gate: host(&s.gate),
            ca: host(&a.ca),
            h: host(&a.h),
            ip3: host(&a.ip3),
            ip3_timer: host(&a.ip3_timer),
            gate_timer: host(&a.gate_timer),
            last_sync: host(&a.last_sync),
            drive_acc: host(&a.drive_acc),
            carry: [host(&a.carry[0]), host(&a.carry[1]), host(&a.carry[2])],
            step: s.step,
        }
    }

    pub fn into_state(self, snan: &Snan, device: &burn::tensor::Device) -> SnanState {
        let (b, n) = (self.batch, snan.neurons());
        let [ha, wa] = snan.astro_grid();
        let g = [b, ha, wa];
        SnanState {
            neurons: crate::IzhikevichState { v: tensor(self.v, [b, n], device), u: tensor(self.u, [b, n], device) },
            glutamate: tensor(self.glutamate, [b, n], device),
            synaptic: tensor(self.synaptic, [b, n], device),
            gate: tensor(self.gate, [b, n], device),
            astrocytes: crate::AstrocyteState {
                ca: tensor(self.ca, g, device),
                h: tensor(self.h, g, device),
                ip3: tensor(self.ip3, g, device),
                ip3_timer: tensor(self.ip3_timer, g, device),
                gate_timer: tensor(self.gate_timer, g, device),
                last_sync: tensor(self.last_sync, g, device),
                drive_acc: tensor(self.drive_acc, g, device),
                carry: self.carry.map(|c| tensor(c, g, device)),
            },
            step: self.step,
        }
    }
}

/// Static structure of a circuit laid out for the fused loops.
pub(crate) struct FusedCircuit {
    n: usize,
    n_astro: usize,
    /// CSR out-lists: targets and weights of presynaptic neuron `i` are `[out_start[i], out_start[i+1])`.
    out_start: Vec<u32>,
    out_target: Vec<u32>,
    out_weight: Vec<f32>,
    /// Gating astrocyte of each neuron.
    pub(crate) neur2astro: Vec<u32>,
    /// Neurons of each territory (CSR).
    pub(crate) terr_start: Vec<u32>,
    pub(crate) terr_neuron: Vec<u32>,
    /// Astrocyte 4-neighbours, down/up/right/left (self index where missing: contributes x − x = 0).
    pub(crate) neighbours: Vec<[u32; 4]>,
}

impl FusedCircuit {
    pub fn new(snan: &Snan) -> Self {
        let n = snan.neurons();
        let conn = &snan.connectivity;
        let k = conn.max_in_degree;
        let weights = snan.synapses.weights();
        let mut outs: Vec<Vec<(u32, f32)>> = vec![Vec::new(); n];
        for post in 0..n {
            for slot in 0..k {
                let at = post * k + slot;
                if conn.in_mask[at] != 0.0 {
                    outs[conn.in_index[at] as usize].push((post as u32, weights[at]));
                }
            }
        }
        let mut out_start = vec![0u32];
        let (mut out_target, mut out_weight) = (Vec::new(), Vec::new());
        for o in outs {
            for (t, w) in o {
                out_target.push(t);
                out_weight.push(w);
            }
            out_start.push(out_target.len() as u32);
        }
        let astro = &snan.astrocytes;
        let [ha, wa] = astro.grid();
        let (h, w) = (snan.height, snan.width);
        let mut terr_start = vec![0u32];
        let mut terr_neuron = Vec::new();
        for a in 0..ha {
            for b in 0..wa {
                for r in a * astro.stride..(a * astro.stride + astro.territory).min(h) {
                    for c in b * astro.stride..(b * astro.stride + astro.territory).min(w) {
                        terr_neuron.push((r * w + c) as u32);
                    }
                }
                terr_start.push(terr_neuron.len() as u32);
            }
        }
        let neur2astro = (0..h)
            .flat_map(|r| (0..w).map(move |c| ((r / astro.stride).min(ha - 1) * wa + (c / astro.stride).min(wa - 1)) as u32))
            .collect();
        let neighbours = (0..ha * wa)
            .map(|i| {
                let (a, b) = (i / wa, i % wa);
                let up = if a > 0 { i - wa } else { i };
                let down = if a + 1 < ha { i + wa } else { i };
                let left = if b > 0 { i - 1 } else { i };
                let right = if b + 1 < wa { i + 1 } else { i };
                // The reference Laplacian's order of additions: down, up, right, left.
                [down as u32, up as u32, right as u32, left as u32]
            })
            .collect();
        Self { n, n_astro: ha * wa, out_start, out_target, out_weight, neur2astro, terr_start, terr_neuron, neighbours }
    }
}

/// What to feed and record over a run of steps.
pub(crate) struct RunPlan<'a> {
    /// Number of steps.
    pub steps: usize,
    /// Input current of a step (by offset from the run's start) for sample `b`: `None` = no input.
    pub input: &'a (dyn Fn(usize, usize) -> Option<&'a [f32]> + Sync),
    /// Accumulate spike counts and astrocyte activity.
    pub record: bool,
}

/// Per-sample outputs of a run.
pub(crate) struct RunRecord {
    pub counts: Vec<f32>,
    pub activity: Vec<f32>,
}

/// Mutable views of one sample's state.
struct Sample<'a> {
    v: &'a mut [f32],
    u: &'a mut [f32],
    g: &'a mut [f32],
    isyn: &'a mut [f32],
    gate: &'a mut [f32],
    ca: &'a mut [f32],
    h: &'a mut [f32],
    ip3: &'a mut [f32],
    ip3_timer: &'a mut [f32],
    gate_timer: &'a mut [f32],
    last_sync: &'a mut [f32],
    drive_acc: &'a mut [f32],
    carry: [&'a mut [f32]; 3],
}

/// Runs `plan.steps` steps of every sample of `state` in parallel.
pub(crate) fn run(snan: &Snan, circuit: &FusedCircuit, state: &mut HostState, plan: &RunPlan) -> Vec<RunRecord> {
    let (n, na) = (circuit.n, circuit.n_astro);
    let start = state.step;
    let state_batch = state.batch;
    let HostState { v, u, glutamate, synaptic, gate, ca, h, ip3, ip3_timer, gate_timer, last_sync, drive_acc, carry, .. } = state;
    let [c0, c1, c2] = carry;
    let samples: Vec<Sample> = v
        .chunks_mut(n)
        .zip(u.chunks_mut(n))
        .zip(glutamate.chunks_mut(n))
        .zip(synaptic.chunks_mut(n))
        .zip(gate.chunks_mut(n))
        .zip(ca.chunks_mut(na))
        .zip(h.chunks_mut(na))
        .zip(ip3.chunks_mut(na))
        .zip(ip3_timer.chunks_mut(na))
        .zip(gate_timer.chunks_mut(na))
        .zip(last_sync.chunks_mut(na))
        .zip(drive_acc.chunks_mut(na))
        .zip(c0.chunks_mut(na).zip(c1.chunks_mut(na)).zip(c2.chunks_mut(na)))
        .map(|((((((((((((v, u), g), isyn), gate), ca), h), ip3), ip3_timer), gate_timer), last_sync), drive_acc), ((k0, k1), k2))| {
            Sample { v, u, g, isyn, gate, ca, h, ip3, ip3_timer, gate_timer, last_sync, drive_acc, carry: [k0, k1, k2] }
        })
        .collect();
    let split = state_batch < rayon::current_num_threads();
    let records = samples
        .into_par_iter()
        .enumerate()
        .map(|(b, mut s)| run_sample(snan, circuit, &mut s, b, start, plan, split))
        .collect();
    state.step = start + plan.steps;
    records
}

/// The per-neuron slices one thread updates in the neuron phase of a step.
struct NeuronBlock<'a> {
    v: &'a mut [f32],
    u: &'a mut [f32],
    g: &'a mut [f32],
    sig: &'a mut [f32],
    spike: &'a mut [bool],
    /// Empty when not recording.
    counts: &'a mut [f32],
}

impl<'a> NeuronBlock<'a> {
    fn split_at(self, mid: usize) -> (Self, Self) {
        let (v0, v1) = self.v.split_at_mut(mid);
        let (u0, u1) = self.u.split_at_mut(mid);
        let (g0, g1) = self.g.split_at_mut(mid);
        let (s0, s1) = self.sig.split_at_mut(mid);
        let (k0, k1) = self.spike.split_at_mut(mid);
        let (c0, c1) = if self.counts.is_empty() { (&mut [][..], &mut [][..]) } else { self.counts.split_at_mut(mid) };
        (
            Self { v: v0, u: u0, g: g0, sig: s0, spike: k0, counts: c0 },
            Self { v: v1, u: u1, g: g1, sig: s1, spike: k1, counts: c1 },
        )
    }
}

/// Neuron update, glutamate trace, spike flags and presynaptic sigmoid of a block of neurons,
/// given their synaptic, applied (`None` = 0) and noise (empty = 0) currents.
///
/// Why the shape: the per-neuron arithmetic runs in one branch-free loop, specialised for each
/// combination of "has input" / "has noise" / integration scheme, so the compiler vectorises it; the
/// sigmoid (an `exp`) runs in a second loop and only for neurons near their peak (`x ≥ −104`; the
/// rest are exactly 0 in f32). Every element sees the same operations in the same order as the
/// scalar form, so the results are unchanged bit for bit (for every non-NaN current; the clip
/// `min(+∞)` would turn a NaN current into +∞ where the scalar form let it through). Not inlined:
/// it keeps the eight specialised loops out of the step loop, and it shows up by name in profiles.
#[inline(never)]
fn neuron_block(snan: &Snan, mut b: NeuronBlock, isyn: &[f32], input: Option<&[f32]>, noise: &[f32]) {
    let half_steps = matches!(snan.neurons.integration, Integration::HalfSteps);
    match (input, noise.is_empty(), half_steps) {
        (Some(x), true, false) => neuron_loop::<true, false, false>(snan, &mut b, isyn, x, noise),
        (Some(x), true, true) => neuron_loop::<true, false, true>(snan, &mut b, isyn, x, noise),
        (Some(x), false, false) => neuron_loop::<true, true, false>(snan, &mut b, isyn, x, noise),
        (Some(x), false, true) => neuron_loop::<true, true, true>(snan, &mut b, isyn, x, noise),
        (None, true, false) => neuron_loop::<false, false, false>(snan, &mut b, isyn, &[], noise),
        (None, true, true) => neuron_loop::<false, false, true>(snan, &mut b, isyn, &[], noise),
        (None, false, false) => neuron_loop::<false, true, false>(snan, &mut b, isyn, &[], noise),
        (None, false, true) => neuron_loop::<false, true, true>(snan, &mut b, isyn, &[], noise),
    }
    let k_syn = snan.synapses.k_syn;
    for (sig, &v) in b.sig.iter_mut().zip(b.v.iter()) {
        *sig = v / k_syn; // vectorised; the branchy pass below divides only near the peak
    }
    for sig in b.sig.iter_mut() {
        let x = *sig;
        *sig = if x < -104.0 {
            0.0 // exp underflows to exactly 0 in f32 (the common case: far below the peak)
        } else if x >= 0.0 {
            1.0 / (1.0 + (-x).exp())
        } else {
            let e = x.exp();
            e / (1.0 + e)
        };
    }
    if !b.counts.is_empty() {
        for (c, &spiked) in b.counts.iter_mut().zip(b.spike.iter()) {
            *c += spiked as u8 as f32; // counts are ≥ +0, so adding +0 changes no bit
        }
    }
}

/// The branch-free part of [`neuron_block`] (see there).
fn neuron_loop<const INPUT: bool, const NOISE: bool, const HALF_STEPS: bool>(
    snan: &Snan,
    b: &mut NeuronBlock,
    isyn: &[f32],
    input: &[f32],
    noise: &[f32],
) {
    let nr = &snan.neurons;
    let dt = nr.dt_ms;
    let half = dt * 0.5;
    let (v_peak, v_floor, c, d, a_dt, bb) = (nr.v_peak, nr.v_floor, nr.c, nr.d, nr.a * dt, nr.b);
    // `min(+∞)` is the identity for every non-NaN current (and the currents are never NaN).
    let clip = nr.input_clip.unwrap_or(f32::INFINITY);
    let (decay, release, dt_s) = (snan.glutamate_decay, snan.glutamate_release, snan.dt_s);
    let dvdt = |v: f32, u: f32, i: f32| (v * v * 0.04 + v * 5.0 + 140.0 - u + i).clamp(-1e9, 1e9);
    let n = b.v.len();
    let (vs, us, gs, spikes) = (&mut *b.v, &mut *b.u, &mut *b.g, &mut *b.spike);
    let (isyn, input, noise) = (&isyn[..n], if INPUT { &input[..n] } else { input }, if NOISE { &noise[..n] } else { noise });
    for j in 0..n {
        let (v0, u0) = (vs[j], us[j]);
        let peaked = v0 >= v_peak;
        let mut v = if peaked { c } else { v0 };
        let mut u = if peaked { u0 + d } else { u0 };
        let mut i = isyn[j];
        if INPUT {
            i += input[j];
        }
        if NOISE {
            i += noise[j];
        }
        i = i.min(clip);
        v = if HALF_STEPS {
            let v1 = (v + dvdt(v, u, i) * half).clamp(v_floor, v_peak);
            v1 + dvdt(v1, u, i) * half
        } else {
            v + dvdt(v, u, i) * dt
        };
        v = v.max(v_floor);
        u += (v * bb - u) * a_dt;
        v = v.min(v_peak);
        vs[j] = v;
        us[j] = u;
        spikes[j] = v > v_peak - 1.0;
        let at_peak = if v >= v_peak { 1.0 } else { 0.0 };
        gs[j] -= (gs[j] * decay - at_peak * release) * dt_s;
    }
}

/// The lower or upper part of a per-neuron slice (empty slices stay empty).
fn part(x: &[f32], mid: usize, upper: bool) -> &[f32] {
    if x.is_empty() {
        x
    } else if upper {
        &x[mid..]
    } else {
        &x[..mid]
    }
}

/// Below this many neurons a step is too short to be worth splitting across threads.
const MIN_NEURONS_TO_SPLIT: usize = 2048;

fn run_sample(snan: &Snan, c: &FusedCircuit, s: &mut Sample, b: usize, start: usize, plan: &RunPlan, split: bool) -> RunRecord {
    let syn = &snan.synapses;
    let ast = &snan.astrocytes;
    let (n, na) = (c.n, c.n_astro);
    // Few samples on many threads: split each step's neuron and astrocyte loops in two halves
    // (disjoint slices, so the arithmetic — and the result — is unchanged).
    let split = split && n >= MIN_NEURONS_TO_SPLIT;
    let mut sig = vec![0f32; n];
    let mut spike = vec![false; n];
    let mut drive = vec![0f32; n];
    let mut noise = vec![0f32; if snan.noise.is_some() { n } else { 0 }];
    let mut active = vec![false; na];
    let mut counts = vec![0f32; if plan.record { n } else { 0 }];
    let mut activity = vec![0f32; if plan.record { na } else { 0 }];
    let mut cursor = 0;
    if let Some(schedule) = &snan.noise {
        schedule.current_at(start + 1, &mut noise);
        cursor = schedule.cursor_after(start + 1);
    }
    for t in 0..plan.steps {
        let step = start + t + 1;
        let input = (plan.input)(t, b);
        if let (Some(schedule), true) = (&snan.noise, t > 0) {
            cursor = schedule.advance(step, cursor, &mut noise);
        }
        let block = NeuronBlock { v: s.v, u: s.u, g: s.g, sig: &mut sig, spike: &mut spike, counts: &mut counts };
        if split {
            let mid = n / 2;
            let (lo, hi) = block.split_at(mid);
            let (isyn, noise) = (&*s.isyn, &noise[..]);
            rayon::join(
                || neuron_block(snan, lo, part(isyn, mid, false), input.map(|x| part(x, mid, false)), part(noise, mid, false)),
                || neuron_block(snan, hi, part(isyn, mid, true), input.map(|x| part(x, mid, true)), part(noise, mid, true)),
            );
        } else {
            neuron_block(snan, block, s.isyn, input, &noise);
        }
        // Synaptic drive, pushed from the few neurons near their peak (`drive` is all zeros here);
        // current for the next step.
        // Blocks of 8 are tested at once (vectorised): most are all zero.
        for (blk, chunk) in sig.chunks(8).enumerate() {
            if chunk.iter().fold(false, |any, &sv| any | (sv != 0.0)) {
                for (o, &sv) in chunk.iter().enumerate() {
                    if sv != 0.0 {
                        let pre = blk * 8 + o;
                        let (lo, hi) = (c.out_start[pre] as usize, c.out_start[pre + 1] as usize);
                        for (&post, &w) in c.out_target[lo..hi].iter().zip(&c.out_weight[lo..hi]) {
                            drive[post as usize] += sv * w;
                        }
                    }
                }
            }
        }
        for j in 0..n {
            let g = s.gate[j] * syn.astro_gain + syn.g_syn;
            s.isyn[j] = g * (-s.v[j] + syn.e_syn) * drive[j];
            drive[j] = 0.0;
        }
        astro_step(ast, c, s, &spike, step, split);
        let mut changed = t == 0;
        for (a, act) in active.iter_mut().enumerate() {
            let now = s.gate_timer[a] > 0.0;
            changed |= now != *act;
            *act = now;
            s.gate_timer[a] = (s.gate_timer[a] - 1.0).max(0.0);
            if plan.record && now {
                activity[a] += 1.0;
            }
        }
        // The gate map only changes when an astrocyte switches (rarely: gating lasts 250 ms).
        if changed {
            for j in 0..n {
                s.gate[j] = active[c.neur2astro[j] as usize] as u8 as f32;
            }
        }
    }
    RunRecord { counts, activity }
}

/// Territory counts, timers, RK4 and the gating check (before the gate timer's decrement).
fn astro_step(ast: &crate::Astrocytes, c: &FusedCircuit, s: &mut Sample, spike: &[bool], step: usize, split: bool) {
    let na = c.n_astro;
    for a in 0..na {
        let (lo, hi) = (c.terr_start[a] as usize, c.terr_start[a + 1] as usize);
        // Integer counts (exact, and a 1-cycle add instead of a float add chain).
        let (mut act, mut sync) = (0u32, 0u32);
        for &j in &c.terr_neuron[lo..hi] {
            act += (s.g[j as usize] >= ast.glutamate_threshold) as u32;
            sync += spike[j as usize] as u32;
        }
        let (act, sync) = (act as f32, sync as f32);
        if sync >= ast.min_sync - 0.5 {
            s.last_sync[a] = step as f32;
        }
        if act >= ast.min_active - 0.5 {
            s.ip3_timer[a] = ast.ip3_pulse_steps;
        }
        let drive = if s.ip3_timer[a] > 0.0 { ast.ip3_drive } else { 0.0 };
        s.ip3_timer[a] = (s.ip3_timer[a] - 1.0).max(0.0);
        s.drive_acc[a] += drive;
    }
    if step % ast.substeps == 0 {
        rk4_grid(ast, c, s, split);
    }
    if step % ast.check_every == 0 {
        for a in 0..na {
            if s.ca[a] > ast.ca_threshold && (step as f32 - s.last_sync[a]) <= ast.sync_window_steps {
                s.gate_timer[a] = ast.gate_steps;
            }
        }
    }
}

/// Mutable per-astrocyte slices updated by one RK4 block.
struct AstroBlock<'a> {
    ca: &'a mut [f32],
    h: &'a mut [f32],
    ip3: &'a mut [f32],
    carry: [&'a mut [f32]; 3],
    drive_acc: &'a mut [f32],
}

impl<'a> AstroBlock<'a> {
    fn split_at(self, mid: usize) -> (Self, Self) {
        let (a0, a1) = self.ca.split_at_mut(mid);
        let (h0, h1) = self.h.split_at_mut(mid);
        let (i0, i1) = self.ip3.split_at_mut(mid);
        let [c0, c1, c2] = self.carry;
        let ((x0, x1), (y0, y1), (z0, z1)) = (c0.split_at_mut(mid), c1.split_at_mut(mid), c2.split_at_mut(mid));
        let (d0, d1) = self.drive_acc.split_at_mut(mid);
        (
            Self { ca: a0, h: h0, ip3: i0, carry: [x0, y0, z0], drive_acc: d0 },
            Self { ca: a1, h: h1, ip3: i1, carry: [x1, y1, z1], drive_acc: d1 },
        )
    }
}

/// One RK4 step of every astrocyte of the grid (diffusion frozen over the step, as published).
fn rk4_grid(ast: &crate::Astrocytes, c: &FusedCircuit, s: &mut Sample, split: bool) {
    let lap = |x: &[f32], a: usize| {
        let nb = c.neighbours[a];
        x[nb[0] as usize] + x[nb[1] as usize] + x[nb[2] as usize] + x[nb[3] as usize] - x[a] * 4.0
    };
    let na = c.n_astro;
    let lca: Vec<f32> = (0..na).map(|a| lap(s.ca, a)).collect();
    let lip3: Vec<f32> = (0..na).map(|a| lap(s.ip3, a)).collect();
    let [k0, k1, k2] = &mut s.carry;
    let block = AstroBlock { ca: s.ca, h: s.h, ip3: s.ip3, carry: [&mut **k0, &mut **k1, &mut **k2], drive_acc: s.drive_acc };
    if split {
        let mid = na / 2;
        let (lo, hi) = block.split_at(mid);
        rayon::join(|| rk4_block(ast, lo, &lca[..mid], &lip3[..mid]), || rk4_block(ast, hi, &lca[mid..], &lip3[mid..]));
    } else {
        rk4_block(ast, block, &lca, &lip3);
    }
}

fn rk4_block(ast: &crate::Astrocytes, s: AstroBlock, lca: &[f32], lip3: &[f32]) {
    let AstroBlock { ca, h, ip3, carry, drive_acc } = s;
    for a in 0..ca.len() {
        let drive = drive_acc[a] / ast.substeps as f32;
        let inc = ast.rk4_increment_with([ca[a], h[a], ip3[a]], drive, lca[a], lip3[a], ast.dt_s);
        let targets: [&mut [f32]; 3] = [&mut *ca, &mut *h, &mut *ip3];
        for (m, target) in targets.into_iter().enumerate() {
            // Kahan-compensated accumulation, as the tensor path.
            let t = inc[m] - carry[m][a];
            let sum = target[a] + t;
            carry[m][a] = (sum - target[a]) - t;
            target[a] = sum;
        }
        drive_acc[a] = 0.0;
    }
}

// ---------------------------------------------------------------------------------------------
// The recall window as a Burn backend extension.

/// The recall window (many SNAN steps with a cue, counting spikes) as a Burn backend extension op.
///
/// The default body is this file's host engine (Flex and NdArray); with the `wgpu` feature the
/// CubeCL backends run it as a few kernel launches per call (`fused_cube.rs`), hundreds of steps each, one
/// cube per sample. Not differentiable (the SNAN has no trainable parameters).
///
/// Layout: `state` is [`SnanState`] packed by [`pack_state`] (`[batch, 5·n + 10·n_astro]`), `cues`
/// `[batch, n]`; the output is the packed state after the window followed by each neuron's spike
/// count and each astrocyte's number of gating steps: `[batch, 5·n + 10·n_astro + n + n_astro]`.
#[allow(deprecated)]
#[burn::backend::backend_extension(Cube: cfg(feature = "wgpu"), Flex, NdArray: cfg(feature = "ndarray"))]
pub trait SnanBackend: burn::backend::Backend {
    /// Runs `steps` steps from step `start` with `cues` applied for the first `cue_steps`.
    fn snan_recall_window(
        state: burn::backend::tensor::FloatTensor<Self>,
        cues: burn::backend::tensor::FloatTensor<Self>,
        snan: Snan,
        cue_steps: usize,
        steps: usize,
        start: usize,
    ) -> burn::backend::tensor::FloatTensor<Self> {
        host_recall_window::<Self>(state, cues, &snan, cue_steps, steps, start)
    }
}

impl SnanBackend for burn::backend::Flex {}

#[cfg(feature = "ndarray")]
#[allow(deprecated)] // burn-ndarray is deprecated upstream; still a supported CPU backend here.
impl SnanBackend for burn::backend::NdArray {}

/// Floats per sample of a packed state: v, u, glutamate, synaptic, gate (n each), then Ca, h, IP₃,
/// IP₃ timer, gate timer, last sync, drive accumulator and the three Kahan carries (n_astro each).
pub(crate) fn packed_len(n: usize, na: usize) -> usize {
    5 * n + 10 * na
}

/// Packs a state's tensors into `[batch, packed_len]` (the layout of [`SnanBackend`]).
pub(crate) fn pack_state(s: &SnanState) -> burn::tensor::Tensor<2> {
    let b = s.batch();
    let a = &s.astrocytes;
    let flat = |t: &burn::tensor::Tensor<3>| {
        let [_, h, w] = t.dims();
        t.clone().reshape([b, h * w])
    };
    let mut parts = vec![s.neurons.v.clone(), s.neurons.u.clone(), s.glutamate.clone(), s.synaptic.clone(), s.gate.clone()];
    parts.extend([&a.ca, &a.h, &a.ip3, &a.ip3_timer, &a.gate_timer, &a.last_sync, &a.drive_acc].map(flat));
    parts.extend(a.carry.iter().map(flat));
    burn::tensor::Tensor::cat(parts, 1)
}

/// The inverse of [`pack_state`] for the first `packed_len` columns of `packed`.
pub(crate) fn unpack_state(snan: &Snan, packed: &burn::tensor::Tensor<2>, step: usize) -> SnanState {
    let (b, n) = (packed.dims()[0], snan.neurons());
    let [ha, wa] = snan.astro_grid();
    let na = ha * wa;
    let col = |i: usize, len: usize| packed.clone().narrow(1, i, len);
    let grid = |k: usize| col(5 * n + k * na, na).reshape([b, ha, wa]);
    SnanState {
        neurons: crate::IzhikevichState { v: col(0, n), u: col(n, n) },
        glutamate: col(2 * n, n),
        synaptic: col(3 * n, n),
        gate: col(4 * n, n),
        astrocytes: crate::AstrocyteState {
            ca: grid(0),
            h: grid(1),
            ip3: grid(2),
            ip3_timer: grid(3),
            gate_timer: grid(4),
            last_sync: grid(5),
            drive_acc: grid(6),
            carry: [grid(7), grid(8), grid(9)],
        },
        step,
    }
}

impl HostState {
    fn from_packed(x: &[f32], batch: usize, n: usize, na: usize, step: usize) -> Self {
        let len = packed_len(n, na);
        let field = |off: usize, w: usize| -> Vec<f32> { (0..batch).flat_map(|b| x[b * len + off..b * len + off + w].iter().copied()).collect() };
        let grid = |k: usize| field(5 * n + k * na, na);
        Self {
            batch,
            v: field(0, n),
            u: field(n, n),
            glutamate: field(2 * n, n),
            synaptic: field(3 * n, n),
            gate: field(4 * n, n),
            ca: grid(0),
            h: grid(1),
            ip3: grid(2),
            ip3_timer: grid(3),
            gate_timer: grid(4),
            last_sync: grid(5),
            drive_acc: grid(6),
            carry: [grid(7), grid(8), grid(9)],
            step,
        }
    }

    /// Packed rows followed by each sample's counts and activity.
    fn into_packed(self, records: &[RunRecord], n: usize, na: usize) -> Vec<f32> {
        let row = packed_len(n, na) + n + na;
        let mut out = Vec::with_capacity(self.batch * row);
        for b in 0..self.batch {
            let nf = |v: &Vec<f32>| v[b * n..(b + 1) * n].to_vec();
            let af = |v: &Vec<f32>| v[b * na..(b + 1) * na].to_vec();
            for f in [&self.v, &self.u, &self.glutamate, &self.synaptic, &self.gate] {
                out.extend(nf(f));
            }
            for f in [&self.ca, &self.h, &self.ip3, &self.ip3_timer, &self.gate_timer, &self.last_sync, &self.drive_acc] {
                out.extend(af(f));
            }
            for f in &self.carry {
                out.extend(af(f));
            }
            out.extend(&records[b].counts);
            out.extend(&records[b].activity);
        }
        out
    }
}

/// The host engine behind [`SnanBackend::snan_recall_window`] (any backend: reads the tensors to
/// the host, runs, writes back).
pub(crate) fn host_recall_window<B: burn::backend::Backend>(
    state: burn::backend::tensor::FloatTensor<B>,
    cues: burn::backend::tensor::FloatTensor<B>,
    snan: &Snan,
    cue_steps: usize,
    steps: usize,
    start: usize,
) -> burn::backend::tensor::FloatTensor<B> {
    use burn::backend::TensorMetadata;
    let read = |t: burn::backend::tensor::FloatTensor<B>| -> Vec<f32> {
        burn::backend::try_read_sync(B::float_into_data(t))
            .expect("the backend must support synchronous reads")
            .expect("reading the SNAN state failed")
            .convert::<f32>()
            .try_into_vec::<f32>()
            .expect("f32 state")
    };
    let device = state.device();
    let batch = state.shape()[0];
    let (n, na) = (snan.neurons(), snan.astro_grid()[0] * snan.astro_grid()[1]);
    let (x, cue) = (read(state), read(cues));
    let mut host = HostState::from_packed(&x, batch, n, na, start);
    let input = |t: usize, b: usize| -> Option<&[f32]> { (t < cue_steps).then(|| &cue[b * n..(b + 1) * n]) };
    let plan = RunPlan { steps, input: &input, record: true };
    let records = run(snan, &FusedCircuit::new(snan), &mut host, &plan);
    let out = host.into_packed(&records, n, na);
    B::float_from_data(burn::backend::TensorData::new(out, [batch, packed_len(n, na) + n + na]), &device)
}
