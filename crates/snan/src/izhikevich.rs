//! Izhikevich (2003) "simple model" neurons as a Burn module.
//!
//! `dV/dt = 0.04 V² + 5 V + 140 − U + I`, `dU/dt = a (b V − U)`, with V and U in mV, time in ms and
//! the current I in the model's mV/ms units. When V reaches the peak it is reset to `c` and U jumps by
//! `d`. The SNAN of Gordleeva et al. (2021) uses the fast-spiking (FS) preset integrated by forward
//! Euler at 0.1 ms in a fixed order (see [`Integration::ForwardEuler`]).

use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Tensor};

/// How one time step of the neuron equations is integrated.
#[derive(Config, Debug, PartialEq, Eq, Copy)]
pub enum Integration {
    /// The published SNAN order: reset the neurons that peaked in the previous step, clip the input,
    /// one Euler step of V, then one of U using the *new* V, then clip V at the peak.
    ForwardEuler,
    /// Izhikevich's own scheme: V advanced in two half-steps (0.5 ms each at `dt_ms = 1`) for
    /// numerical stability, then U once with the new V.
    HalfSteps,
}

/// Configuration of a population of Izhikevich neurons.
///
/// The defaults are the SNAN's fast-spiking (FS) neuron: a = 0.1 /ms, b = 0.2, c = −65 mV,
/// d = 2 mV/ms, peak 30 mV, input clipped at 25, V₀ = −70 mV, U₀ = 0, dt = 0.1 ms.
#[derive(Config, Debug)]
pub struct IzhikevichConfig {
    /// Recovery time scale (1/ms).
    #[config(default = 0.1)]
    pub a: f64,
    /// Sensitivity of the recovery variable to V (dimensionless).
    #[config(default = 0.2)]
    pub b: f64,
    /// After-spike reset value of V (mV).
    #[config(default = -65.0)]
    pub c: f64,
    /// After-spike jump of U (mV).
    #[config(default = 2.0)]
    pub d: f64,
    /// Spike peak (mV): V is clipped here and a neuron at the peak is reset at the next step.
    #[config(default = 30.0)]
    pub v_peak: f64,
    /// Upper clip of the total input current (mV/ms); `None` disables it. The SNAN clips at 25.
    #[config(default = "Some(25.0)")]
    pub input_clip: Option<f64>,
    /// Lower bound of V (mV). Not part of the published model: it only acts for strongly negative
    /// currents, where the quadratic term would otherwise overflow f32 to inf/NaN.
    #[config(default = -120.0)]
    pub v_floor: f64,
    /// Initial membrane potential (mV).
    #[config(default = -70.0)]
    pub v_init: f64,
    /// Initial recovery variable (mV). The SNAN starts at 0, not at b·V₀.
    #[config(default = 0.0)]
    pub u_init: f64,
    /// Integration step (ms).
    #[config(default = 0.1)]
    pub dt_ms: f64,
    /// Integration scheme.
    #[config(default = "Integration::ForwardEuler")]
    pub integration: Integration,
}

impl IzhikevichConfig {
    /// Fast spiking (interneuron): the SNAN's neuron.
    pub fn fast_spiking() -> Self {
        Self::new()
    }

    /// Regular spiking (cortical excitatory): a = 0.02, b = 0.2, c = −65 mV, d = 8.
    pub fn regular_spiking() -> Self {
        Self::new().with_a(0.02).with_d(8.0)
    }

    /// Intrinsically bursting: a = 0.02, b = 0.2, c = −55 mV, d = 4.
    pub fn intrinsically_bursting() -> Self {
        Self::new().with_a(0.02).with_c(-55.0).with_d(4.0)
    }

    /// Chattering: a = 0.02, b = 0.2, c = −50 mV, d = 2.
    pub fn chattering() -> Self {
        Self::new().with_a(0.02).with_c(-50.0).with_d(2.0)
    }

    /// Builds the population (it has no trainable parameters).
    pub fn init(&self) -> Izhikevich {
        Izhikevich {
            a: self.a as f32,
            b: self.b as f32,
            c: self.c as f32,
            d: self.d as f32,
            v_peak: self.v_peak as f32,
            input_clip: self.input_clip.map(|x| x as f32),
            v_floor: self.v_floor as f32,
            v_init: self.v_init as f32,
            u_init: self.u_init as f32,
            dt_ms: self.dt_ms as f32,
            integration: self.integration,
        }
    }
}

/// A population of Izhikevich neurons; see [`IzhikevichConfig`].
#[derive(Module, Debug)]
pub struct Izhikevich {
    pub(crate) a: f32,
    pub(crate) b: f32,
    pub(crate) c: f32,
    pub(crate) d: f32,
    pub(crate) v_peak: f32,
    pub(crate) input_clip: Option<f32>,
    pub(crate) v_floor: f32,
    pub(crate) v_init: f32,
    pub(crate) u_init: f32,
    pub(crate) dt_ms: f32,
    #[module(skip)]
    pub(crate) integration: Integration,
}

/// Membrane state `(v, u)`, each `[batch, neurons]`, passed in and returned by every step.
#[derive(Clone, Debug)]
pub struct IzhikevichState {
    /// Membrane potential (mV).
    pub v: Tensor<2>,
    /// Recovery variable (mV).
    pub u: Tensor<2>,
}

impl IzhikevichState {
    /// Replicates a state of batch 1 (or any batch) `times` along the batch axis.
    pub fn repeat(&self, times: usize) -> Self {
        Self { v: self.v.clone().repeat_dim(0, times), u: self.u.clone().repeat_dim(0, times) }
    }
}

impl Izhikevich {
    /// The resting state of `batch × neurons` cells.
    pub fn init_state(&self, batch: usize, neurons: usize, device: &Device) -> IzhikevichState {
        IzhikevichState {
            v: Tensor::full([batch, neurons], self.v_init, device),
            u: Tensor::full([batch, neurons], self.u_init, device),
        }
    }

    /// Spike peak (mV).
    pub fn v_peak(&self) -> f32 {
        self.v_peak
    }

    /// Integration step (ms).
    pub fn dt_ms(&self) -> f32 {
        self.dt_ms
    }

    /// Advances the population by one step of `dt_ms`.
    ///
    /// A neuron has spiked in this step when the returned `v` equals the peak; it is reset at the
    /// start of the next step (the published order). The result is finite for any finite input.
    ///
    /// # Shapes
    /// - `state.v`, `state.u`: `[batch, neurons]`
    /// - `input`: `[batch, neurons]` or `[1, neurons]` (broadcast over the batch)
    /// - returns the new state, `[batch, neurons]`
    pub fn step(&self, state: IzhikevichState, input: Tensor<2>) -> IzhikevichState {
        let IzhikevichState { v, u } = state;
        let fired = v.clone().greater_equal_elem(self.v_peak);
        let v = v.mask_fill(fired.clone(), self.c);
        let u = u.clone().mask_where(fired, u + self.d);
        let input = match self.input_clip {
            Some(clip) => input.clamp_max(clip),
            None => input,
        };
        // Clamping the drive keeps V² finite in f32 even for currents of ±1e30; the bounds are far
        // outside anything a neuron in range [v_floor, v_peak] can produce, so dynamics are unchanged.
        let dvdt = |v: Tensor<2>, u: Tensor<2>, i: Tensor<2>| {
            (v.clone() * v.clone() * 0.04 + v * 5.0 + 140.0 - u + i).clamp(-1e9, 1e9)
        };
        let dt = self.dt_ms;
        let v = match self.integration {
            Integration::ForwardEuler => v.clone() + dvdt(v, u.clone(), input) * dt,
            Integration::HalfSteps => {
                let half = dt * 0.5;
                let v = (v.clone() + dvdt(v, u.clone(), input.clone()) * half)
                    .clamp(self.v_floor, self.v_peak);
                v.clone() + dvdt(v, u.clone(), input) * half
            }
        };
        let v = v.clamp(self.v_floor, f32::MAX);
        let u = u.clone() + (v.clone() * self.b - u) * (self.a * dt);
        let v = v.clamp_max(self.v_peak);
        IzhikevichState { v, u }
    }

    /// Runs `T` steps and returns the spike train (1 where V reached the peak) and the final state.
    ///
    /// # Shapes
    /// - `input`: `[T, batch, neurons]`
    /// - `state`: `[batch, neurons]`; `None` starts at rest
    /// - returns spikes `[T, batch, neurons]` (0/1) and the state after the last step
    pub fn forward(
        &self,
        input: Tensor<3>,
        state: Option<IzhikevichState>,
    ) -> (Tensor<3>, IzhikevichState) {
        let [steps, batch, neurons] = input.dims();
        let mut state =
            state.unwrap_or_else(|| self.init_state(batch, neurons, &input.device()));
        let mut spikes = Vec::with_capacity(steps);
        for t in 0..steps {
            let i_t = input.clone().narrow(0, t, 1).reshape([batch, neurons]);
            state = self.step(state, i_t);
            spikes.push(state.v.clone().greater_equal_elem(self.v_peak).float());
        }
        (Tensor::stack(spikes, 0), state)
    }
}
