//! Background noise of the SNAN: rectangular current pulses per neuron, fixed before a run
//! (called "Poisson noise" in the published code).

use burn::config::Config;
use rand::Rng;
use rand_distr::{Distribution, Poisson};

/// Background pulse schedule parameters (§3 of the SNAN spec).
#[derive(Config, Debug)]
pub struct BackgroundNoiseConfig {
    /// Pulses per neuron over a run.
    #[config(default = 15)]
    pub pulses: usize,
    /// Mean pulse rate (Hz); the gaps between onsets are Poisson with mean 1/(rate·dt) steps.
    #[config(default = 1.5)]
    pub rate_hz: f64,
    /// First onsets are uniform over this window (s).
    #[config(default = 1.5)]
    pub first_onset_window_s: f64,
    /// Pulse length in steps after the onset (the onset step itself is added: 301 steps ≈ 30 ms).
    #[config(default = 300)]
    pub pulse_steps: usize,
    /// Pulse amplitudes are uniform in ±this (mV/ms).
    #[config(default = 20.0)]
    pub amplitude: f64,
    /// Step length (s).
    #[config(default = 1e-4)]
    pub dt_s: f64,
}

/// A drawn schedule: per neuron, pulse onsets (steps) and amplitudes.
#[derive(Clone, Debug)]
pub struct NoiseSchedule {
    neurons: usize,
    pulses: usize,
    pulse_steps: usize,
    onsets: Vec<usize>,
    amplitudes: Vec<f32>,
}

impl NoiseSchedule {
    /// Draws a schedule for `neurons` cells.
    pub fn generate(config: &BackgroundNoiseConfig, neurons: usize, rng: &mut impl Rng) -> Self {
        let mean_gap = 1.0 / config.rate_hz / config.dt_s;
        let poisson = Poisson::new(mean_gap).expect("positive noise rate");
        let window = config.first_onset_window_s / config.dt_s;
        let mut onsets = vec![0usize; neurons * config.pulses];
        let mut amplitudes = vec![0f32; neurons * config.pulses];
        let mut gaps = vec![0usize; neurons * config.pulses];
        for g in gaps.iter_mut() {
            *g = poisson.sample(rng) as usize;
        }
        for n in 0..neurons {
            gaps[n * config.pulses] = (window * rng.random::<f64>()).trunc() as usize;
        }
        for (n, row) in gaps.chunks(config.pulses.max(1)).enumerate() {
            let mut t = 0usize;
            for (p, &g) in row.iter().enumerate() {
                t += g.max(1);
                onsets[n * config.pulses + p] = t;
            }
        }
        for a in amplitudes.iter_mut() {
            *a = ((rng.random::<f64>() - 0.5) * 2.0 * config.amplitude) as f32;
        }
        Self { neurons, pulses: config.pulses, pulse_steps: config.pulse_steps, onsets, amplitudes }
    }

    /// Number of neurons.
    pub fn neurons(&self) -> usize {
        self.neurons
    }

    /// Writes the noise current of every neuron at `step` into `out` (`neurons` long).
    pub fn current_at(&self, step: usize, out: &mut [f32]) {
        for (n, o) in out.iter_mut().enumerate().take(self.neurons) {
            let row = n * self.pulses..(n + 1) * self.pulses;
            *o = self.onsets[row.clone()]
                .iter()
                .zip(&self.amplitudes[row])
                .filter(|&(&on, _)| on <= step && step <= on + self.pulse_steps)
                .map(|(_, &a)| a)
                .sum();
        }
    }
}
