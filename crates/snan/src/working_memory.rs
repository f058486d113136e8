//! The published working-memory protocol (Gordleeva et al. 2021) on 79×79 binary digits: learn a few
//! digits with a strong current, then cue with 20 %-flipped versions and read the recall out.
//!
//! The memory is held by the astrocytes (no synaptic learning): strongly driven territories raise
//! their Ca²⁺ for ~4 s, and a later cue that makes their neurons fire together gets their synapses
//! potentiated, which completes the pattern.

use burn::config::Config;
use burn::tensor::Device;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::astrocytes::AstrocyteConfig;
use crate::circuit::{Presentation, RecallConfig, SnanConfig, SnanState};
use crate::encoding::{currents, flip_pixels};
use crate::noise::{BackgroundNoiseConfig, NoiseSchedule};
use crate::synapses::Connectivity;

/// Timings (s), amplitudes (mV/ms) and flips of the protocol; defaults are the published ones.
#[derive(Config, Debug)]
pub struct WorkingMemoryConfig {
    /// Digits learned, in order.
    #[config(default = "vec![0, 1, 2, 3]")]
    pub learn: Vec<usize>,
    /// Cues presented, in order; `None` interleaves each learned digit with an unlearned one
    /// (0, 5, 1, 6, 2, 7, 3, 8 for the default `learn`).
    #[config(default = "None")]
    pub cues: Option<Vec<usize>>,
    /// Seed of the one RNG stream: learning flips → cue flips → connectivity → noise.
    #[config(default = 42)]
    pub seed: u64,
    /// Learn once, then recall every cue from the same snapshot in one batch.
    #[config(default = false)]
    pub parallel: bool,
    /// Astrocyte → synapse feedback; `false` is the ablation (a_ep = 0).
    #[config(default = true)]
    pub astro_feedback: bool,
    /// Astrocyte integration step (s).
    #[config(default = 1e-4)]
    pub astro_dt_s: f64,
    /// First learning onset (s).
    #[config(default = 0.5)]
    pub learn_onset_s: f64,
    /// Time between learning onsets (s).
    #[config(default = 0.3)]
    pub learn_period_s: f64,
    /// Duration of one learning presentation (s).
    #[config(default = 0.2)]
    pub learn_duration_s: f64,
    /// Learning current (clipped to 25 by the neurons).
    #[config(default = 80.0)]
    pub learn_amplitude: f64,
    /// Fraction of pixels flipped in a learning presentation.
    #[config(default = 0.05)]
    pub learn_flip: f64,
    /// First cue onset (s).
    #[config(default = 2.3)]
    pub cue_onset_s: f64,
    /// Time between cue onsets (s).
    #[config(default = 0.4)]
    pub cue_period_s: f64,
    /// Duration of one cue (s).
    #[config(default = 0.15)]
    pub cue_duration_s: f64,
    /// Cue current.
    #[config(default = 8.0)]
    pub cue_amplitude: f64,
    /// Fraction of pixels flipped in a cue.
    #[config(default = 0.2)]
    pub cue_flip: f64,
    /// Read-out window from each cue onset (s).
    #[config(default = 0.25)]
    pub readout_s: f64,
    /// Largest read-out threshold (spikes per window) tried.
    #[config(default = 30)]
    pub max_threshold: u32,
}

/// Result of one protocol run.
#[derive(Clone, Debug)]
pub struct WorkingMemoryResult {
    /// The read-out threshold θ (recall = count > θ) that maximises the mean similarity.
    pub threshold: u32,
    /// Similarity (balanced accuracy) of each learned digit's recall to its clean image.
    pub learned: Vec<(usize, f64)>,
    /// Mean over the learned digits: the published figure of merit.
    pub mean: f64,
    /// Similarity of each unlearned cue's read-out to its own clean image, at the same θ.
    pub novel: Vec<(usize, f64)>,
    /// The cue order and, per cue, its noisy input and its spike counts (`neurons` long).
    pub cues: Vec<CueRecord>,
}

/// One cue of a run.
#[derive(Clone, Debug)]
pub struct CueRecord {
    /// Digit shown.
    pub digit: usize,
    /// The flipped input pattern.
    pub input: Vec<bool>,
    /// Spike samples per neuron over the read-out window.
    pub counts: Vec<f32>,
}

/// Balanced accuracy of `counts > threshold` against `truth`: ½ (TP/|on| + TN/|off|).
pub fn similarity(counts: &[f32], truth: &[bool], threshold: u32) -> f64 {
    let (mut tp, mut on, mut tn, mut off) = (0usize, 0usize, 0usize, 0usize);
    for (&c, &t) in counts.iter().zip(truth) {
        let est = c > threshold as f32;
        if t {
            on += 1;
            tp += est as usize;
        } else {
            off += 1;
            tn += (!est) as usize;
        }
    }
    0.5 * (tp as f64 / on.max(1) as f64 + tn as f64 / off.max(1) as f64)
}

fn steps(seconds: f64, dt: f64) -> usize {
    // Truncation of floating-point times, as the published code's fix().
    (seconds / dt).trunc() as usize
}

impl WorkingMemoryConfig {
    /// The cue order actually used.
    pub fn cue_order(&self) -> Vec<usize> {
        if let Some(cues) = &self.cues {
            return cues.clone();
        }
        let novel: Vec<usize> = (5..15).map(|d| d % 10).filter(|d| !self.learn.contains(d)).collect();
        self.learn.iter().zip(novel).flat_map(|(&l, n)| [l, n]).collect()
    }

    /// Runs the protocol on `patterns` (the ten digits, index = digit, each 79×79 row-major, on =
    /// stroke). `progress(done, total)` is called every 1,000 steps.
    pub fn run(&self, patterns: &[Vec<bool>], device: &Device, mut progress: impl FnMut(usize, usize)) -> WorkingMemoryResult {
        let cue_order = self.cue_order();
        for &d in self.learn.iter().chain(&cue_order) {
            assert!(d < patterns.len(), "digit {d} has no pattern");
        }
        let mut snan_config = SnanConfig::working_memory()
            .with_astrocyte(AstrocyteConfig::new().with_dt_s(self.astro_dt_s));
        if !self.astro_feedback {
            snan_config.synapse.astro_gain = 0.0;
        }
        let dt = snan_config.neuron.dt_ms * 1e-3;
        let n = snan_config.height * snan_config.width;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let learn_inputs: Vec<Vec<bool>> =
            self.learn.iter().map(|&d| flip_pixels(&patterns[d], self.learn_flip, &mut rng)).collect();
        let cue_inputs: Vec<Vec<bool>> =
            cue_order.iter().map(|&d| flip_pixels(&patterns[d], self.cue_flip, &mut rng)).collect();
        let connectivity =
            Connectivity::generate_with(snan_config.height, snan_config.width, &snan_config.connectivity, &mut rng);
        let noise = NoiseSchedule::generate(&BackgroundNoiseConfig::new(), n, &mut rng);
        let snan = snan_config.init_with(connectivity, Some(noise), device);

        let learn = currents(&learn_inputs, self.learn_amplitude as f32, device);
        let presentations: Vec<Presentation> = (0..self.learn.len())
            .map(|k| {
                let on = self.learn_onset_s + k as f64 * self.learn_period_s;
                Presentation {
                    current: learn.clone().narrow(0, k, 1),
                    onset: steps(on, dt),
                    offset: steps(on + self.learn_duration_s, dt),
                }
            })
            .collect();
        let cue_onsets: Vec<usize> =
            (0..cue_order.len()).map(|k| steps(self.cue_onset_s + k as f64 * self.cue_period_s, dt)).collect();
        let cue_steps = steps(self.cue_onset_s + self.cue_duration_s, dt) - cue_onsets[0] + 1;
        let readout_steps = steps(self.readout_s, dt) + 1;
        let cues = currents(&cue_inputs, self.cue_amplitude as f32, device);

        let first_cue = cue_onsets[0];
        let total = if self.parallel {
            first_cue - 1 + readout_steps
        } else {
            cue_onsets[cue_onsets.len() - 1] + readout_steps
        };
        let mut state = snan.init_state(1, device);
        let mut done = 0;
        let mut advance = |state: SnanState, until: usize, pres: &[Presentation]| {
            let mut state = state;
            while state.step < until {
                let chunk = (state.step + 1000).min(until);
                state = snan.imprint(state, pres, chunk);
                done = state.step;
                progress(done, total);
            }
            state
        };
        let counts: Vec<Vec<f32>> = if self.parallel {
            state = advance(state, first_cue - 1, &presentations);
            let batch = state.repeat(cue_order.len());
            let recall = RecallConfig::new().with_cue_steps(cue_steps).with_readout_steps(readout_steps);
            let (_, out) = snan.recall(batch, cues, &recall);
            progress(total, total);
            let flat: Vec<f32> = out.counts.into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 counts");
            flat.chunks(n).map(<[f32]>::to_vec).collect()
        } else {
            let mut all = Vec::new();
            for (k, &onset) in cue_onsets.iter().enumerate() {
                state = advance(state, onset - 1, &presentations);
                let recall = RecallConfig::new().with_cue_steps(cue_steps).with_readout_steps(readout_steps);
                let (next, out) = snan.recall(state, cues.clone().narrow(0, k, 1), &recall);
                state = next;
                all.push(out.counts.into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 counts"));
            }
            progress(total, total);
            all
        };

        let mut learned_idx: Vec<usize> = self.learn.clone();
        learned_idx.sort_unstable();
        learned_idx.dedup();
        let scored: Vec<(usize, usize)> = learned_idx
            .iter()
            .filter_map(|&d| cue_order.iter().position(|&c| c == d).map(|k| (d, k)))
            .collect();
        let mean_at = |thr: u32| {
            scored.iter().map(|&(d, k)| similarity(&counts[k], &patterns[d], thr)).sum::<f64>() / scored.len().max(1) as f64
        };
        let threshold = (1..=self.max_threshold.max(1))
            .fold((1, f64::MIN), |best, thr| {
                let m = mean_at(thr);
                if m > best.1 { (thr, m) } else { best }
            })
            .0;
        let learned: Vec<(usize, f64)> =
            scored.iter().map(|&(d, k)| (d, similarity(&counts[k], &patterns[d], threshold))).collect();
        let novel: Vec<(usize, f64)> = cue_order
            .iter()
            .enumerate()
            .filter(|(_, d)| !self.learn.contains(d))
            .map(|(k, &d)| (d, similarity(&counts[k], &patterns[d], threshold)))
            .collect();
        WorkingMemoryResult {
            threshold,
            mean: mean_at(threshold),
            learned,
            novel,
            cues: cue_order
                .iter()
                .zip(cue_inputs)
                .zip(counts)
                .map(|((&digit, input), counts)| CueRecord { digit, input, counts })
                .collect(),
        }
    }
}
