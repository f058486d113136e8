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
    /// (step, neuron, change of current) sorted by step: +amplitude at an onset, −amplitude on the
    /// step after the pulse ends. Lets a long run update the current in O(changes) per step.
    events: Vec<(usize, u32, f32)>,
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
        let mut events: Vec<(usize, u32, f32)> = Vec::with_capacity(2 * onsets.len());
        for (k, (&on, &amp)) in onsets.iter().zip(&amplitudes).enumerate() {
            let neuron = (k / config.pulses.max(1)) as u32;
            events.push((on, neuron, amp));
            events.push((on + config.pulse_steps + 1, neuron, -amp));
        }
        events.sort_by_key(|e| e.0);
        Self { neurons, pulses: config.pulses, pulse_steps: config.pulse_steps, onsets, amplitudes, events }
    }

    /// Index of the first change at a step after `step`.
    pub(crate) fn cursor_after(&self, step: usize) -> usize {
        self.events.partition_point(|e| e.0 <= step)
    }

    /// Applies the changes at exactly `step` to `current`, starting at `cursor`; returns the new cursor.
    pub(crate) fn advance(&self, step: usize, mut cursor: usize, current: &mut [f32]) -> usize {
        while let Some(&(s, n, delta)) = self.events.get(cursor) {
            if s != step {
                break;
            }
            current[n as usize] += delta;
            cursor += 1;
        }
        cursor
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    /// The incremental event stream reproduces the direct evaluation at every step: exactly for
    /// the published schedule (pulses never overlap), within rounding when a fast rate makes
    /// pulses overlap.
    #[test]
    fn events_reproduce_current_at() {
        for (rate, tolerance) in [(1.5, 0.0), (40.0, 1e-4)] {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
            let cfg = BackgroundNoiseConfig::new().with_rate_hz(rate).with_first_onset_window_s(0.05);
            let schedule = NoiseSchedule::generate(&cfg, 30, &mut rng);
            let (mut direct, mut incremental) = (vec![0f32; 30], vec![0f32; 30]);
            schedule.current_at(1, &mut incremental);
            let mut cursor = schedule.cursor_after(1);
            let mut nonzero = 0;
            for step in 2..40_000 {
                cursor = schedule.advance(step, cursor, &mut incremental);
                schedule.current_at(step, &mut direct);
                for (d, i) in direct.iter().zip(&incremental) {
                    assert!((d - i).abs() <= tolerance, "step {step}: {d} vs {i} (rate {rate} Hz)");
                }
                nonzero += direct.iter().filter(|&&x| x != 0.0).count();
            }
            assert!(nonzero > 0);
        }
    }
}
