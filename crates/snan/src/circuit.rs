//! The spiking neuron–astrocyte network (SNAN) of Gordleeva et al. (2021): Izhikevich neurons on an
//! H×W grid, random local excitatory synapses, and an astrocyte grid that stores recent strong
//! activity as Ca²⁺ and, when cued, potentiates the synapses of its territory ~21-fold.
//!
//! Data flow of one 0.1 ms step: neurons (input + synaptic + noise current) → glutamate trace →
//! synaptic current for the next step (gated by the astrocytes of the previous step) → astrocytes.

use burn::config::Config;
use burn::backend::Dispatch;
use burn::module::Module;
use burn::tensor::{Device, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::astrocytes::{AstrocyteConfig, AstrocyteState, Astrocytes};
use crate::fused::{self, FusedCircuit, HostState, RunPlan, SnanBackend};
use crate::izhikevich::{Izhikevich, IzhikevichConfig, IzhikevichState};
use crate::noise::{BackgroundNoiseConfig, NoiseSchedule};
use crate::synapses::{Connectivity, ConnectivityConfig, HebbianImprint, SynapseConfig, Synapses};

/// How multi-step calls are executed: [`Snan::imprint`] and [`Snan::recall`], and the sequence
/// forward of [`Lif`](crate::Lif) (whose fused path is `fused_lif.rs`).
#[derive(Config, Debug, PartialEq, Eq, Copy)]
pub enum Engine {
    /// Burn tensor ops, one step at a time: runs on every backend; the reference.
    Reference,
    /// Fused: all steps of a call in one pass. On the CPU, over host state, parallel over samples,
    /// the reference's operations in the same order (bit-identical on flex). The recall window is a
    /// Burn backend extension (`fused.rs`); with the `wgpu` feature it runs as CubeCL kernels on
    /// wgpu devices (`fused_cube.rs`), while the imprint (and circuits with background noise) still
    /// run on the host.
    Fused,
}

/// Configuration of a whole SNAN circuit.
#[derive(Config, Debug)]
pub struct SnanConfig {
    /// Neuron grid rows.
    #[config(default = 79)]
    pub height: usize,
    /// Neuron grid columns.
    #[config(default = 79)]
    pub width: usize,
    /// Neuron model (fast spiking by default).
    #[config(default = "IzhikevichConfig::new()")]
    pub neuron: IzhikevichConfig,
    /// Synaptic conductances.
    #[config(default = "SynapseConfig::new()")]
    pub synapse: SynapseConfig,
    /// Random connectivity.
    #[config(default = "ConnectivityConfig::new()")]
    pub connectivity: ConnectivityConfig,
    /// Astrocyte grid and coupling.
    #[config(default = "AstrocyteConfig::new()")]
    pub astrocyte: AstrocyteConfig,
    /// Glutamate decay rate α_glu (1/s): τ = 100 ms.
    #[config(default = 10.0)]
    pub glutamate_decay: f64,
    /// Glutamate released per spike sample k_glu (1/s): +0.06 per 0.1 ms sample at the peak.
    #[config(default = 600.0)]
    pub glutamate_release: f64,
    /// Background pulse noise; off by default (the working-memory protocol turns it on).
    #[config(default = "None")]
    pub noise: Option<BackgroundNoiseConfig>,
    /// Seed of the noise schedule.
    #[config(default = 7)]
    pub noise_seed: u64,
    /// Execution engine of multi-step calls.
    #[config(default = "Engine::Fused")]
    pub engine: Engine,
}

impl SnanConfig {
    /// The published working-memory circuit: 79×79 FS neurons, 26×26 astrocytes, background noise.
    pub fn working_memory() -> Self {
        Self::new().with_noise(Some(BackgroundNoiseConfig::new()))
    }

    /// Checks that every constant is finite and in range; the error names the field.
    pub fn validate(&self) -> Result<(), String> {
        let n = &self.neuron;
        let a = &self.astrocyte;
        let s = &self.synapse;
        let finite = [
            ("neuron.a", n.a), ("neuron.b", n.b), ("neuron.c", n.c), ("neuron.d", n.d), ("neuron.v_peak", n.v_peak),
            ("neuron.v_floor", n.v_floor), ("neuron.v_init", n.v_init), ("neuron.u_init", n.u_init),
            ("neuron.input_clip", n.input_clip.unwrap_or(0.0)), ("synapse.g_syn", s.g_syn),
            ("synapse.astro_gain", s.astro_gain), ("synapse.e_syn", s.e_syn), ("synapse.k_syn", s.k_syn),
            ("astrocyte.d_ca", a.d_ca), ("astrocyte.d_ip3", a.d_ip3), ("astrocyte.ca_init", a.ca_init),
            ("astrocyte.h_init", a.h_init), ("astrocyte.ip3_init", a.ip3_init),
            ("astrocyte.glutamate_threshold", a.glutamate_threshold), ("astrocyte.ip3_drive", a.ip3_drive),
            ("astrocyte.ca_threshold", a.ca_threshold), ("glutamate_decay", self.glutamate_decay),
            ("glutamate_release", self.glutamate_release), ("connectivity.mean_distance", self.connectivity.mean_distance),
        ];
        if let Some((name, v)) = finite.iter().find(|(_, v)| !v.is_finite()) {
            return Err(format!("SNAN config: `{name}` must be finite, got {v}"));
        }
        let positive = [
            ("neuron.dt_ms", n.dt_ms), ("astrocyte.dt_s", a.dt_s), ("synapse.k_syn", s.k_syn),
            ("connectivity.mean_distance", self.connectivity.mean_distance), ("astrocyte.ip3_pulse_s", a.ip3_pulse_s),
            ("astrocyte.gate_s", a.gate_s), ("astrocyte.check_interval_s", a.check_interval_s),
        ];
        if let Some((name, v)) = positive.iter().find(|(_, v)| !(v.is_finite() && *v > 0.0)) {
            return Err(format!("SNAN config: `{name}` must be a positive number, got {v}"));
        }
        if self.height == 0 || self.width == 0 {
            return Err(format!("SNAN config: grid {}×{} is empty", self.height, self.width));
        }
        if self.connectivity.out_degree >= self.height * self.width {
            return Err(format!(
                "SNAN config: out_degree {} needs more than {} neurons",
                self.connectivity.out_degree,
                self.height * self.width
            ));
        }
        if a.territory == 0 || a.stride == 0 {
            return Err("SNAN config: astrocyte territory and stride must be positive".into());
        }
        Ok(())
    }

    /// Builds the circuit, drawing its connectivity (and noise) from the config's seeds.
    ///
    /// # Panics
    /// If [`SnanConfig::validate`] fails (as Burn's own `init`s do for invalid configs).
    pub fn init(&self, device: &Device) -> Snan {
        if let Err(e) = self.validate() {
            panic!("{e}");
        }
        let connectivity = Connectivity::generate(self.height, self.width, &self.connectivity);
        let noise = self.noise.as_ref().map(|cfg| {
            let mut rng = ChaCha8Rng::seed_from_u64(self.noise_seed);
            NoiseSchedule::generate(cfg, self.height * self.width, &mut rng)
        });
        self.init_with(connectivity, noise, device)
    }

    /// Builds the circuit from an explicit connectivity and noise schedule (e.g. drawn from one
    /// RNG stream in a protocol's order).
    pub fn init_with(&self, connectivity: Connectivity, noise: Option<NoiseSchedule>, device: &Device) -> Snan {
        assert_eq!(
            (connectivity.height, connectivity.width),
            (self.height, self.width),
            "connectivity grid must match the config's grid"
        );
        let astrocytes = self.astrocyte.clone().with_neuron_dt_s(self.neuron.dt_ms * 1e-3).init(self.height, self.width);
        let [ha, wa] = astrocytes.grid();
        let stride = self.astrocyte.stride;
        // Each neuron is gated by exactly one astrocyte; in shared rows the later one wins.
        let neur2astro: Vec<i64> = (0..self.height)
            .flat_map(|r| {
                (0..self.width).map(move |c| ((r / stride).min(ha - 1) * wa + (c / stride).min(wa - 1)) as i64)
            })
            .collect();
        Snan {
            neurons: self.neuron.init(),
            synapses: self.synapse.init(&connectivity, device),
            astrocytes,
            neur2astro: Tensor::from_data(TensorData::new(neur2astro, [self.height * self.width]), device),
            glutamate_decay: self.glutamate_decay as f32,
            glutamate_release: self.glutamate_release as f32,
            dt_s: (self.neuron.dt_ms * 1e-3) as f32,
            height: self.height,
            width: self.width,
            connectivity,
            noise,
            engine: self.engine,
        }
    }
}

/// A SNAN circuit; see [`SnanConfig`]. It has no trainable parameters: its memory lives in the
/// explicit [`SnanState`], which is passed in and returned, never stored in the module.
#[derive(Module, Debug)]
pub struct Snan {
    pub(crate) neurons: Izhikevich,
    pub(crate) synapses: Synapses,
    pub(crate) astrocytes: Astrocytes,
    /// Gating astrocyte of every neuron, `[neurons]`.
    pub(crate) neur2astro: Tensor<1, Int>,
    pub(crate) glutamate_decay: f32,
    pub(crate) glutamate_release: f32,
    pub(crate) dt_s: f32,
    pub(crate) height: usize,
    pub(crate) width: usize,
    #[module(skip)]
    pub(crate) connectivity: Connectivity,
    #[module(skip)]
    pub(crate) noise: Option<NoiseSchedule>,
    #[module(skip)]
    pub(crate) engine: Engine,
}

/// The full dynamic state of a batch of SNAN circuits.
#[derive(Clone, Debug)]
pub struct SnanState {
    /// Membrane state, `[batch, neurons]`.
    pub neurons: IzhikevichState,
    /// Glutamate trace per neuron, `[batch, neurons]`.
    pub glutamate: Tensor<2>,
    /// Synaptic current computed at the end of the last step, used in the next, `[batch, neurons]`.
    pub synaptic: Tensor<2>,
    /// 1 where the neuron's astrocyte potentiates its synapses, `[batch, neurons]`.
    pub gate: Tensor<2>,
    /// Astrocyte grid state, `[batch, grid_h, grid_w]`.
    pub astrocytes: AstrocyteState,
    /// Index of the last step taken (the first step is 1).
    pub step: usize,
}

impl SnanState {
    /// Batch size.
    pub fn batch(&self) -> usize {
        self.glutamate.dims()[0]
    }

    /// Replicates a state `times` along the batch axis: learn once, recall in parallel.
    pub fn repeat(&self, times: usize) -> Self {
        Self {
            neurons: self.neurons.repeat(times),
            glutamate: self.glutamate.clone().repeat_dim(0, times),
            synaptic: self.synaptic.clone().repeat_dim(0, times),
            gate: self.gate.clone().repeat_dim(0, times),
            astrocytes: self.astrocytes.repeat(times),
            step: self.step,
        }
    }
}

/// What one step emits besides the new state.
#[derive(Clone, Debug)]
pub struct StepOutput {
    /// Spike mask (V > peak − 1 mV, as the published read-out), `[batch, neurons]`, 0/1.
    pub spikes: Tensor<2>,
    /// Astrocytes potentiating their synapses in this step, `[batch, grid_h, grid_w]`, 0/1.
    pub active: Tensor<3>,
}

/// A presentation of an input current over an inclusive range of steps.
#[derive(Clone, Debug)]
pub struct Presentation {
    /// Applied current `[batch or 1, neurons]` (mV/ms).
    pub current: Tensor<2>,
    /// First step with the input.
    pub onset: usize,
    /// Last step with the input (inclusive).
    pub offset: usize,
}

/// Timing of a recall (cue phase), in steps.
#[derive(Config, Debug)]
pub struct RecallConfig {
    /// Steps with the cue current on (1501 ≈ 150 ms at 0.1 ms, as published).
    #[config(default = 1501)]
    pub cue_steps: usize,
    /// Steps counted from the cue onset (2501 ≈ 250 ms: the cue plus 100 ms).
    #[config(default = 2501)]
    pub readout_steps: usize,
}

/// What a recall returns.
#[derive(Clone, Debug)]
pub struct RecallOutput {
    /// Spike samples (V > peak − 1 mV) per neuron over the read-out window, `[batch, neurons]`.
    pub counts: Tensor<2>,
    /// `counts` as a rate (Hz), `[batch, neurons]`.
    pub rates: Tensor<2>,
    /// Fraction of read-out steps each astrocyte was potentiating, `[batch, grid_h, grid_w]`.
    pub astro_activity: Tensor<3>,
    /// Ca²⁺ at the end of the read-out (µM), `[batch, grid_h, grid_w]`.
    pub calcium: Tensor<3>,
}

impl Snan {
    /// Neuron grid `[height, width]`.
    pub fn grid(&self) -> [usize; 2] {
        [self.height, self.width]
    }

    /// Number of neurons.
    pub fn neurons(&self) -> usize {
        self.height * self.width
    }

    /// Astrocyte grid `[grid_h, grid_w]`.
    pub fn astro_grid(&self) -> [usize; 2] {
        self.astrocytes.grid()
    }

    /// The fixed connectivity.
    pub fn connectivity(&self) -> &Connectivity {
        &self.connectivity
    }

    /// Step length (s).
    pub fn dt_s(&self) -> f32 {
        self.dt_s
    }

    /// Returns the circuit with its synaptic weights imprinted from `patterns` (Hebbian variant).
    pub fn with_imprint(self, patterns: &[Vec<bool>], rule: &HebbianImprint) -> Self {
        let synapses = self.synapses.imprint(&self.connectivity, patterns, rule);
        Self { synapses, ..self }
    }

    /// The resting state of `batch` circuits at step 0.
    pub fn init_state(&self, batch: usize, device: &Device) -> SnanState {
        let n = self.neurons();
        SnanState {
            neurons: self.neurons.init_state(batch, n, device),
            glutamate: Tensor::zeros([batch, n], device),
            synaptic: Tensor::zeros([batch, n], device),
            gate: Tensor::zeros([batch, n], device),
            astrocytes: self.astrocytes.init_state(batch, device),
            step: 0,
        }
    }

    /// Takes one step (number `state.step + 1`).
    ///
    /// # Shapes
    /// - `input`: applied current `[batch or 1, neurons]` (mV/ms), `None` for no input
    /// - returns the new state and this step's [`StepOutput`]
    pub fn step(&self, state: SnanState, input: Option<Tensor<2>>) -> (SnanState, StepOutput) {
        let step = state.step + 1;
        let device = state.glutamate.device();
        let mut current = state.synaptic;
        if let Some(input) = input {
            current = current + input;
        }
        if let Some(noise) = &self.noise {
            let mut buf = vec![0f32; noise.neurons()];
            noise.current_at(step, &mut buf);
            current = current + Tensor::<2>::from_data(TensorData::new(buf, [1, noise.neurons()]), &device);
        }
        let neurons = self.neurons.step(state.neurons, current);
        let peak = self.neurons.v_peak();
        let v = neurons.v.clone();
        let spikes = v.clone().greater_elem(peak - 1.0).float();
        let at_peak = v.clone().greater_equal_elem(peak).float();
        let glutamate = state.glutamate.clone()
            - (state.glutamate * self.glutamate_decay - at_peak * self.glutamate_release) * self.dt_s;
        let synaptic = self.synapses.forward(v, state.gate);
        let (astrocytes, active) = self.astrocytes.forward(state.astrocytes, glutamate.clone(), spikes.clone(), step);
        let [batch, ha, wa] = active.dims();
        let active = active.float();
        let gate = active.clone().reshape([batch, ha * wa]).select(1, self.neur2astro.clone());
        (SnanState { neurons, glutamate, synaptic, gate, astrocytes, step }, StepOutput { spikes, active })
    }

    /// The engine of multi-step calls.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// The same circuit with another engine (e.g. to compare with the reference).
    pub fn with_engine(self, engine: Engine) -> Self {
        Self { engine, ..self }
    }

    /// Runs up to and including step `until`, applying each presentation's current during its
    /// steps (no input elsewhere): the learning phase.
    pub fn imprint(&self, mut state: SnanState, presentations: &[Presentation], until: usize) -> SnanState {
        if self.engine == Engine::Fused && state.step < until {
            let device = state.glutamate.device();
            let batch = state.batch();
            let n = self.neurons();
            let currents: Vec<(usize, usize, usize, Vec<f32>)> = presentations
                .iter()
                .map(|p| {
                    let rows = p.current.dims()[0];
                    let data = p.current.clone().into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 current");
                    (p.onset, p.offset, rows, data)
                })
                .collect();
            let start = state.step;
            let input = |t: usize, b: usize| -> Option<&[f32]> {
                let step = start + t + 1;
                currents.iter().find(|(on, off, _, _)| *on <= step && step <= *off).map(|(_, _, rows, data)| {
                    let row = if *rows == 1 { 0 } else { b };
                    &data[row * n..(row + 1) * n]
                })
            };
            let mut host = HostState::from_state(&state);
            let plan = RunPlan { steps: until - state.step, input: &input, record: false };
            fused::run(self, &FusedCircuit::new(self), &mut host, &plan);
            debug_assert_eq!(host.batch, batch);
            return host.into_state(self, &device);
        }
        while state.step < until {
            let next = state.step + 1;
            let input = presentations.iter().find(|p| p.onset <= next && next <= p.offset).map(|p| p.current.clone());
            state = self.step(state, input).0;
        }
        state
    }

    /// Presents `cues` from the next step on and counts spikes over the read-out window: the
    /// recall phase. The batch of `state` must match the cues (see [`SnanState::repeat`]).
    ///
    /// # Shapes
    /// - `cues`: `[batch, neurons]` applied currents (mV/ms)
    /// - returns the state after the read-out window and a [`RecallOutput`]
    pub fn recall(&self, mut state: SnanState, cues: Tensor<2>, config: &RecallConfig) -> (SnanState, RecallOutput) {
        let [batch, n] = cues.dims();
        let device = cues.device();
        let [ha, wa] = self.astro_grid();
        let window_s = config.readout_steps as f32 * self.dt_s;
        assert_eq!(state.batch(), batch, "state batch must match the cues (see SnanState::repeat)");
        if self.engine == Engine::Fused {
            let start = state.step;
            let packed = fused::pack_state(&state);
            let out: Tensor<2> = Tensor::from_dispatch(Dispatch::snan_recall_window(
                packed.into_dispatch(),
                cues.into_dispatch(),
                self.clone(),
                config.cue_steps,
                config.readout_steps,
                start,
            ));
            let len = fused::packed_len(n, ha * wa);
            let state = fused::unpack_state(self, &out, start + config.readout_steps);
            let counts = out.clone().narrow(1, len, n);
            let steps = config.readout_steps.max(1) as f32;
            let output = RecallOutput {
                rates: counts.clone() / window_s,
                counts,
                astro_activity: out.narrow(1, len + n, ha * wa).reshape([batch, ha, wa]) / steps,
                calcium: state.astrocytes.ca.clone(),
            };
            return (state, output);
        }
        let mut counts = Tensor::<2>::zeros([batch, n], &device);
        let mut activity = Tensor::<3>::zeros([batch, ha, wa], &device);
        for t in 0..config.readout_steps {
            let input = (t < config.cue_steps).then(|| cues.clone());
            let (next, out) = self.step(state, input);
            state = next;
            counts = counts + out.spikes;
            activity = activity + out.active;
        }
        let output = RecallOutput {
            rates: counts.clone() / window_s,
            counts,
            astro_activity: activity / config.readout_steps.max(1) as f32,
            calcium: state.astrocytes.ca.clone(),
        };
        (state, output)
    }
}
