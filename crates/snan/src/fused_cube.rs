//! The SNAN recall window as CubeCL kernel launches of many steps each ([`SnanBackend`] on Burn's
//! CubeCL backends; cargo feature `wgpu`).
//!
//! One cube (workgroup) per sample runs a chunk of the window's steps in a loop (a few hundred per
//! launch, see `steps_per_launch`); its threads stride
//! over the neurons, then over the astrocytes, with barriers between the phases of a step, in the
//! order of the host engine (`fused.rs`): neurons → synaptic currents → territory counts and timers
//! → RK4 (every `substeps`) → gating check → gate map. What other threads read — the presynaptic
//! sigmoids, spike flags and glutamate of the neurons, the astrocytes' Ca²⁺ and IP₃ (diffusion) and
//! their gating flags — lives in shared memory; each thread's own state stays in the output buffer.
//!
//! Differences from the host engine: the synaptic sum is gathered over each neuron's in-table
//! (the host pushes from active presynaptic neurons), so float additions happen in another order and
//! results agree statistically, not bit for bit. Circuits with background noise (the
//! working-memory circuit) or with more neurons than fit in 16 KiB of shared memory run on the host.

use burn::backend::cubecl::dtype_to_storage_type;
use burn::backend::tensor::FloatTensor;
use burn::backend::ops::FloatTensorOps;
use burn::backend::{TensorData, TensorMetadata};
use burn_cubecl::CubeBackend;
use burn_cubecl::kernel::into_contiguous;
use cubecl::prelude::*;

use crate::circuit::Snan;
use crate::fused::{FusedCircuit, SnanBackend, host_recall_window};
use crate::izhikevich::Integration;

// Indices into the constants tensor.
const V_PEAK: usize = 0;
const C: usize = 1;
const D: usize = 2;
const A: usize = 3;
const B: usize = 4;
const DT_MS: usize = 5;
const CLIP: usize = 6;
const V_FLOOR: usize = 7;
const K_SYN: usize = 8;
const GLU_DECAY: usize = 9;
const GLU_RELEASE: usize = 10;
const DT_S: usize = 11;
const ASTRO_GAIN: usize = 12;
const G_SYN: usize = 13;
const E_SYN: usize = 14;
const C0: usize = 15;
const C1: usize = 16;
const V1: usize = 17;
const V2: usize = 18;
const V3: usize = 19;
const V4: usize = 20;
const V6: usize = 21;
const K1: usize = 22;
const K2: usize = 23;
const K3: usize = 24;
const K4: usize = 25;
const D1: usize = 26;
const D2: usize = 27;
const D3: usize = 28;
const D5: usize = 29;
const ALPHA: usize = 30;
const A2: usize = 31;
const IP3_REST: usize = 32;
const IP3_RATE: usize = 33;
const D_CA: usize = 34;
const D_IP3: usize = 35;
const ASTRO_DT: usize = 36;
const GLU_THRESHOLD: usize = 37;
const MIN_ACTIVE: usize = 38;
const IP3_DRIVE: usize = 39;
const IP3_PULSE: usize = 40;
const CA_THRESHOLD: usize = 41;
const MIN_SYNC: usize = 42;
const SYNC_WINDOW: usize = 43;
const GATE_STEPS: usize = 44;
const N_CONSTANTS: usize = 45;

/// Shared floats per cube: sigmoid, spike and glutamate per neuron; Ca, IP₃, their Laplacians and
/// the gating flag per astrocyte. WebGPU guarantees 16 KiB of workgroup memory.
fn shared_floats(n: usize, na: usize) -> usize {
    3 * n + 5 * na
}
const SHARED_LIMIT_FLOATS: usize = 16 * 1024 / 4;

#[cube]
fn dvdt<F: Float>(v: F, u: F, i: F) -> F {
    F::clamp(v * v * F::new(0.04) + v * F::new(5.0) + F::new(140.0) - u + i, F::new(-1e9), F::new(1e9))
}

/// d[Ca]/dt of the Ullah model (`Astrocytes::rates`, same operations).
#[cube]
fn rate_ca<F: Float>(ca: F, h: F, ip3: F, lap_ca: F, p: &Tensor<F>) -> F {
    let m = ip3 / (ip3 + p[D1]);
    let nn = ca / (ca + p[D5]);
    let er = (-ca + p[C0]) / p[C1] - ca;
    let mnh = m * nn * h;
    let j_chan = mnh * mnh * mnh * er * (p[C1] * p[V1]);
    let j_leak = er * (p[C1] * p[V2]);
    let ca2 = ca * ca;
    let j_pump = ca2 * p[V3] / (ca2 + p[K3] * p[K3]);
    let ip3sq = ip3 * ip3;
    let j_in = ip3sq * p[V6] / (ip3sq + p[K2] * p[K2]);
    j_chan - j_pump + j_leak + j_in - ca * p[K1] + lap_ca * p[D_CA]
}

/// dh/dt of the Ullah model.
#[cube]
fn rate_h<F: Float>(ca: F, h: F, ip3: F, p: &Tensor<F>) -> F {
    let q2 = (ip3 + p[D1]) / (ip3 + p[D3]) * p[D2];
    let q2ca = q2 + ca;
    (q2 / q2ca - h) * q2ca * p[A2]
}

/// d[IP₃]/dt of the Ullah model with the glutamate-driven production `drive`.
#[cube]
fn rate_ip3<F: Float>(ca: F, ip3: F, drive: F, lap_ip3: F, p: &Tensor<F>) -> F {
    let plc = (ca + (F::new(1.0) - p[ALPHA]) * p[K4]) / (ca + p[K4]) * p[V4];
    (-ip3 + p[IP3_REST]) * p[IP3_RATE] + plc + drive + lap_ip3 * p[D_IP3]
}

/// Kahan-compensated `out[at] += inc` with the carry in `out[carry_at]`.
#[cube]
fn kahan_add<F: Float>(out: &mut Tensor<F>, at: usize, carry_at: usize, inc: F) {
    let y = out[at];
    let t = inc - out[carry_at];
    let sum = y + t;
    out[carry_at] = (sum - y) - t;
    out[at] = sum;
}

#[cube(launch)]
#[allow(clippy::too_many_arguments)]
fn snan_window_kernel<F: Float>(
    cues: &Tensor<F>,   // [B, n]
    p: &Tensor<F>,      // [N_CONSTANTS]
    tables: &Tensor<F>, // in-table (pre, weight), neuron → astrocyte, territories, neighbours
    out: &mut Tensor<F>, // [B, S + n + na]: state, counts, activity; updated in place
    steps: u32,
    cue_steps: u32,
    start: u32,
    t0: u32,
    max_in: u32,
    substeps: u32,
    check_every: u32,
    half_steps: u32,
    off_n2a: u32,
    off_ts: u32,
    off_tn: u32,
    off_nb: u32,
    #[comptime] n: usize,
    #[comptime] na: usize,
    #[define(F)] _dtype: ElemType,
) {
    let b = CUBE_POS_X as usize;
    let tid = UNIT_POS_X as usize;
    let threads = CUBE_DIM_X as usize;
    let s_len = 5 * n + 10 * na;
    let base = b * (s_len + n + na);
    let o_u = n;
    let o_g = 2 * n;
    let o_isyn = 3 * n;
    let o_gate = 4 * n;
    let o_ca = 5 * n;
    let o_h = o_ca + na;
    let o_ip3 = o_ca + 2 * na;
    let o_ipt = o_ca + 3 * na;
    let o_gt = o_ca + 4 * na;
    let o_ls = o_ca + 5 * na;
    let o_da = o_ca + 6 * na;
    let o_k0 = o_ca + 7 * na;
    let o_cnt = s_len;
    let o_act = s_len + n;
    let max_in = max_in as usize;
    let off_n2a = off_n2a as usize;
    let off_ts = off_ts as usize;
    let off_tn = off_tn as usize;
    let off_nb = off_nb as usize;

    let mut sig = Shared::<[F]>::new_slice(n);
    let mut spike = Shared::<[F]>::new_slice(n);
    let mut glu = Shared::<[F]>::new_slice(n);
    let mut ca_sh = Shared::<[F]>::new_slice(na);
    let mut ip3_sh = Shared::<[F]>::new_slice(na);
    let mut lca = Shared::<[F]>::new_slice(na);
    let mut lip3 = Shared::<[F]>::new_slice(na);
    let mut active = Shared::<[F]>::new_slice(na);

    let zero = F::new(0.0);
    let one = F::new(1.0);
    let mut a = tid;
    while a < na {
        ca_sh[a] = out[base + o_ca + a];
        ip3_sh[a] = out[base + o_ip3 + a];
        a += threads;
    }
    sync_cube();

    let v_peak = p[V_PEAK];
    let dt = p[DT_MS];
    let half = dt * F::new(0.5);
    let astro_dt = p[ASTRO_DT];
    for r in 0..steps {
        let t = t0 + r;
        let step = start + t + 1;
        let step_f = F::cast_from(step);
        // Neurons.
        let mut j = tid;
        while j < n {
            let mut v = out[base + j];
            let mut u = out[base + o_u + j];
            if v >= v_peak {
                v = p[C];
                u += p[D];
            }
            let mut cur = out[base + o_isyn + j];
            if t < cue_steps {
                cur += cues[b * n + j];
            }
            cur = F::min(cur, p[CLIP]);
            if half_steps == 1 {
                let v1 = F::clamp(v + dvdt::<F>(v, u, cur) * half, p[V_FLOOR], v_peak);
                v = v1 + dvdt::<F>(v1, u, cur) * half;
            } else {
                v += dvdt::<F>(v, u, cur) * dt;
            }
            v = F::max(v, p[V_FLOOR]);
            u += (v * p[B] - u) * (p[A] * dt);
            v = F::min(v, v_peak);
            out[base + j] = v;
            out[base + o_u + j] = u;
            let mut s = zero;
            if v > v_peak - one {
                s = one;
            }
            let mut at_peak = zero;
            if v >= v_peak {
                at_peak = one;
            }
            let g_old = out[base + o_g + j];
            let g = g_old - (g_old * p[GLU_DECAY] - at_peak * p[GLU_RELEASE]) * p[DT_S];
            out[base + o_g + j] = g;
            glu[j] = g;
            spike[j] = s;
            let x = v / p[K_SYN];
            let mut sg = zero;
            if x >= zero {
                sg = one / (one + (-x).exp());
            } else if x >= F::new(-104.0) {
                let e = x.exp();
                sg = e / (one + e);
            }
            sig[j] = sg;
            out[base + o_cnt + j] += s;
            j += threads;
        }
        sync_cube();
        // Synaptic currents for the next step (gathered over the in-table).
        let mut j = tid;
        while j < n {
            let mut drive = zero;
            for k in 0..max_in {
                let at = j * max_in + k;
                let pre = u32::cast_from(tables[at]) as usize;
                drive += sig[pre] * tables[n * max_in + at];
            }
            let gsyn = out[base + o_gate + j] * p[ASTRO_GAIN] + p[G_SYN];
            out[base + o_isyn + j] = gsyn * (-out[base + j] + p[E_SYN]) * drive;
            j += threads;
        }
        // Territory counts and timers.
        let mut a = tid;
        while a < na {
            let lo = u32::cast_from(tables[off_ts + a]) as usize;
            let hi = u32::cast_from(tables[off_ts + a + 1]) as usize;
            let mut act = zero;
            let mut sync = zero;
            for q in lo..hi {
                let nj = u32::cast_from(tables[off_tn + q]) as usize;
                if glu[nj] >= p[GLU_THRESHOLD] {
                    act += one;
                }
                sync += spike[nj];
            }
            if sync >= p[MIN_SYNC] - F::new(0.5) {
                out[base + o_ls + a] = step_f;
            }
            if act >= p[MIN_ACTIVE] - F::new(0.5) {
                out[base + o_ipt + a] = p[IP3_PULSE];
            }
            let timer = out[base + o_ipt + a];
            let mut d = zero;
            if timer > zero {
                d = p[IP3_DRIVE];
            }
            out[base + o_ipt + a] = F::max(timer - one, zero);
            out[base + o_da + a] += d;
            a += threads;
        }
        if step % substeps == 0 {
            sync_cube();
            let mut a = tid;
            while a < na {
                let nb = off_nb + 4 * a;
                let n0 = u32::cast_from(tables[nb]) as usize;
                let n1 = u32::cast_from(tables[nb + 1]) as usize;
                let n2 = u32::cast_from(tables[nb + 2]) as usize;
                let n3 = u32::cast_from(tables[nb + 3]) as usize;
                lca[a] = ca_sh[n0] + ca_sh[n1] + ca_sh[n2] + ca_sh[n3] - ca_sh[a] * F::new(4.0);
                lip3[a] = ip3_sh[n0] + ip3_sh[n1] + ip3_sh[n2] + ip3_sh[n3] - ip3_sh[a] * F::new(4.0);
                a += threads;
            }
            sync_cube();
            let mut a = tid;
            while a < na {
                let drive = out[base + o_da + a] / F::cast_from(substeps);
                let ca = out[base + o_ca + a];
                let h = out[base + o_h + a];
                let ip3 = out[base + o_ip3 + a];
                let lc = lca[a];
                let li = lip3[a];
                let k1c = rate_ca::<F>(ca, h, ip3, lc, p);
                let k1h = rate_h::<F>(ca, h, ip3, p);
                let k1i = rate_ip3::<F>(ca, ip3, drive, li, p);
                let hd = astro_dt / F::new(2.0);
                let c2 = ca + k1c * hd;
                let h2 = h + k1h * hd;
                let i2 = ip3 + k1i * hd;
                let k2c = rate_ca::<F>(c2, h2, i2, lc, p);
                let k2h = rate_h::<F>(c2, h2, i2, p);
                let k2i = rate_ip3::<F>(c2, i2, drive, li, p);
                let c3 = ca + k2c * hd;
                let h3 = h + k2h * hd;
                let i3 = ip3 + k2i * hd;
                let k3c = rate_ca::<F>(c3, h3, i3, lc, p);
                let k3h = rate_h::<F>(c3, h3, i3, p);
                let k3i = rate_ip3::<F>(c3, i3, drive, li, p);
                let c4 = ca + k3c * astro_dt;
                let h4 = h + k3h * astro_dt;
                let i4 = ip3 + k3i * astro_dt;
                let k4c = rate_ca::<F>(c4, h4, i4, lc, p);
                let k4h = rate_h::<F>(c4, h4, i4, p);
                let k4i = rate_ip3::<F>(c4, i4, drive, li, p);
                let w = astro_dt / F::new(6.0);
                let two = F::new(2.0);
                kahan_add::<F>(out, base + o_ca + a, base + o_k0 + a, (k1c + k2c * two + k3c * two + k4c) * w);
                kahan_add::<F>(out, base + o_h + a, base + o_k0 + na + a, (k1h + k2h * two + k3h * two + k4h) * w);
                kahan_add::<F>(out, base + o_ip3 + a, base + o_k0 + 2 * na + a, (k1i + k2i * two + k3i * two + k4i) * w);
                out[base + o_da + a] = zero;
                ca_sh[a] = out[base + o_ca + a];
                ip3_sh[a] = out[base + o_ip3 + a];
                a += threads;
            }
        }
        // Gating check, then the gate timers and activity.
        let mut a = tid;
        while a < na {
            if step % check_every == 0
                && out[base + o_ca + a] > p[CA_THRESHOLD]
                && step_f - out[base + o_ls + a] <= p[SYNC_WINDOW]
            {
                out[base + o_gt + a] = p[GATE_STEPS];
            }
            let gt = out[base + o_gt + a];
            let mut now = zero;
            if gt > zero {
                now = one;
            }
            active[a] = now;
            out[base + o_gt + a] = F::max(gt - one, zero);
            out[base + o_act + a] += now;
            a += threads;
        }
        sync_cube();
        let mut j = tid;
        while j < n {
            out[base + o_gate + j] = active[u32::cast_from(tables[off_n2a + j]) as usize];
            j += threads;
        }
    }
}

/// Loop iterations one thread may run per launch. Mesa's llvmpipe (lavapipe) stops any shader loop
/// after 65,535 iterations (`LP_MAX_TGSI_LOOP_ITERATIONS`), counting nested loops together; a long
/// window is therefore split into launches that stay below it (a few hundred steps each; on a GPU
/// this costs a handful of extra launches per window).
const LOOP_BUDGET: usize = 60_000;

/// Steps per launch: `LOOP_BUDGET` over an upper bound of one thread's loop iterations per step
/// (its neurons with their in-tables, its astrocytes with their territories, and the loop heads).
fn steps_per_launch(n: usize, na: usize, max_in: usize, territory: usize, threads: usize) -> usize {
    let per_step = 1 + n.div_ceil(threads) * (3 + max_in) + na.div_ceil(threads) * (4 + territory);
    (LOOP_BUDGET / per_step).max(1)
}

/// Constants of `snan` in the kernel's order.
fn constants(snan: &Snan) -> Vec<f32> {
    let (nr, sy, a) = (&snan.neurons, &snan.synapses, &snan.astrocytes);
    let mut p = vec![0f32; N_CONSTANTS];
    for (i, v) in [
        (V_PEAK, nr.v_peak),
        (C, nr.c),
        (D, nr.d),
        (A, nr.a),
        (B, nr.b),
        (DT_MS, nr.dt_ms),
        (CLIP, nr.input_clip.unwrap_or(f32::MAX)),
        (V_FLOOR, nr.v_floor),
        (K_SYN, sy.k_syn),
        (GLU_DECAY, snan.glutamate_decay),
        (GLU_RELEASE, snan.glutamate_release),
        (DT_S, snan.dt_s),
        (ASTRO_GAIN, sy.astro_gain),
        (G_SYN, sy.g_syn),
        (E_SYN, sy.e_syn),
        (C0, a.c0),
        (C1, a.c1),
        (V1, a.v1),
        (V2, a.v2),
        (V3, a.v3),
        (V4, a.v4),
        (V6, a.v6),
        (K1, a.k1),
        (K2, a.k2),
        (K3, a.k3),
        (K4, a.k4),
        (D1, a.d1),
        (D2, a.d2),
        (D3, a.d3),
        (D5, a.d5),
        (ALPHA, a.alpha),
        (A2, a.a2),
        (IP3_REST, a.ip3_rest),
        (IP3_RATE, a.ip3_rate),
        (D_CA, a.d_ca),
        (D_IP3, a.d_ip3),
        (ASTRO_DT, a.dt_s),
        (GLU_THRESHOLD, a.glutamate_threshold),
        (MIN_ACTIVE, a.min_active),
        (IP3_DRIVE, a.ip3_drive),
        (IP3_PULSE, a.ip3_pulse_steps),
        (CA_THRESHOLD, a.ca_threshold),
        (MIN_SYNC, a.min_sync),
        (SYNC_WINDOW, a.sync_window_steps),
        (GATE_STEPS, a.gate_steps),
    ] {
        p[i] = v;
    }
    p
}

/// The kernel's tables as floats (indices < 2²⁴ are exact) and the offsets of their parts:
/// presynaptic index and weight per in-table slot (padded slots: index 0, weight 0), the gating
/// astrocyte of each neuron, the territories (CSR), the 4 neighbours of each astrocyte.
fn tables(snan: &Snan) -> (Vec<f32>, [usize; 4]) {
    let conn = &snan.connectivity;
    let w = snan.synapses.weights();
    let circuit = FusedCircuit::new(snan);
    let mut t: Vec<f32> = conn.in_index.iter().map(|&i| i as f32).collect();
    t.extend(w.iter().zip(&conn.in_mask).map(|(w, m)| w * m));
    let off_n2a = t.len();
    t.extend(circuit.neur2astro.iter().map(|&a| a as f32));
    let off_ts = t.len();
    t.extend(circuit.terr_start.iter().map(|&s| s as f32));
    let off_tn = t.len();
    t.extend(circuit.terr_neuron.iter().map(|&j| j as f32));
    let off_nb = t.len();
    t.extend(circuit.neighbours.iter().flat_map(|nb| nb.map(|x| x as f32)));
    (t, [off_n2a, off_ts, off_tn, off_nb])
}

impl SnanBackend for CubeBackend {
    fn snan_recall_window(
        state: FloatTensor<Self>,
        cues: FloatTensor<Self>,
        snan: Snan,
        cue_steps: usize,
        steps: usize,
        start: usize,
    ) -> FloatTensor<Self> {
        let n = snan.neurons();
        let [ha, wa] = snan.astro_grid();
        let na = ha * wa;
        if snan.noise.is_some() || shared_floats(n, na) > SHARED_LIMIT_FLOATS {
            return host_recall_window::<Self>(state, cues, &snan, cue_steps, steps, start);
        }
        let cues = into_contiguous(cues);
        let batch = state.shape()[0];
        let device = state.device.clone();
        let upload = |v: Vec<f32>, shape: Vec<usize>| into_contiguous(Self::float_from_data(TensorData::new(v, shape), &device));
        // The kernel works in place on [state | counts | activity].
        let zeros = upload(vec![0.0; batch * (n + na)], vec![batch, n + na]);
        let out = into_contiguous(Self::float_cat(vec![into_contiguous(state), zeros], 1));
        let (client, dtype) = (out.client.clone(), out.dtype);
        let p = constants(&snan);
        let p = upload(p.clone(), vec![p.len()]);
        let (t, [off_n2a, off_ts, off_tn, off_nb]) = tables(&snan);
        let t = upload(t.clone(), vec![t.len()]);
        let a = &snan.astrocytes;
        let threads = 256u32.min(client.properties().hardware.max_cube_dim.0) as usize;
        let max_in = snan.connectivity.max_in_degree;
        let chunk = steps_per_launch(n, na, max_in, a.territory * a.territory, threads);
        let mut t0 = 0;
        while t0 < steps {
            let len = chunk.min(steps - t0);
            snan_window_kernel::launch(
                &client,
                CubeCount::Static(batch as u32, 1, 1),
                CubeDim::new_1d(threads as u32),
                cues.clone().into_tensor_arg(),
                p.clone().into_tensor_arg(),
                t.clone().into_tensor_arg(),
                out.clone().into_tensor_arg(),
                len as u32,
                cue_steps as u32,
                start as u32,
                t0 as u32,
                max_in as u32,
                a.substeps as u32,
                a.check_every as u32,
                u32::from(snan.neurons.integration == Integration::HalfSteps),
                off_n2a as u32,
                off_ts as u32,
                off_tn as u32,
                off_nb as u32,
                n,
                na,
                dtype_to_storage_type(dtype),
            );
            t0 += len;
        }
        out
    }
}
