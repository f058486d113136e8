//! The SNAN front-end (decision 2 of `paper-facts.md`): imprint the k-shot training images into a
//! spiking neuron–astrocyte network, then present every image (training or test, clean or
//! corrupted) as a weak cue and hand the recalled spike-count map to the backbone.
//!
//! Why it can help: during the imprint, the territories that the training strokes drive hold Ca²⁺
//! for seconds. A cue that makes ≥ 6 neurons of such a territory fire in the same 0.1 ms sample gets
//! the synapses onto that territory potentiated ~21-fold, so coherent strokes are amplified and
//! completed while isolated impulse pixels, which rarely fire in synchrony, stay at the cue rate.

use burn::tensor::{Device, Tensor, TensorData};
use snan::{AstrocyteConfig, HebbianImprint, Presentation, RecallConfig, Snan, SnanConfig, SnanState};
use snan_data::ImageSet;

use super::FrontEnd;

/// How the recalled spike counts become the backbone's input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Readout {
    /// Counts divided by the image's largest count (values in [0, 1]).
    MaxNormalised,
    /// Counts divided by a fixed number of spikes (then clipped to 1).
    Fixed(f32),
    /// 1 where the count exceeds the threshold, else 0.
    Binary(f32),
}

/// Configuration of the SNAN front-end. Times are in steps of 0.1 ms, currents in mV/ms.
#[derive(Clone, Debug)]
pub struct SnanFrontEndConfig {
    /// Circuit constants; its grid is replaced by the image size.
    pub snan: SnanConfig,
    /// Pixels above this are "on" (MNIST strokes are bright).
    pub binarize_threshold: f32,
    /// A pixel is on in the imprint pattern when at least this fraction of the k-shot images have it on.
    pub imprint_min_fraction: f32,
    /// Learning current (clipped to 25 by the neurons).
    pub learn_amplitude: f32,
    /// Learning presentation (steps).
    pub learn_steps: usize,
    /// Pause between the end of learning and the cues (steps): lets the Ca²⁺ rise.
    pub pause_steps: usize,
    /// Cue current for an "on" pixel.
    pub cue_amplitude: f32,
    /// Whether cues are binarised (true) or graded (current ∝ pixel value).
    pub binary_cues: bool,
    /// Cue duration (steps).
    pub cue_steps: usize,
    /// Read-out window from the cue onset (steps).
    pub readout_steps: usize,
    /// Read-out normalisation.
    pub readout: Readout,
    /// Hebbian imprint of the k-shot patterns into the synapses.
    pub hebbian: HebbianImprint,
    /// Images recalled per batch (bounds memory).
    pub batch_size: usize,
}

impl Default for SnanFrontEndConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl SnanFrontEndConfig {
    /// The default hybrid front-end (see `docs/results/design-log.md` for how it was chosen).
    pub fn new() -> Self {
        Self {
            snan: SnanConfig::new().with_astrocyte(AstrocyteConfig::fast()),
            binarize_threshold: 0.5,
            imprint_min_fraction: 0.0,
            learn_amplitude: 80.0,
            learn_steps: 2000,
            pause_steps: 7000,
            cue_amplitude: 8.0,
            binary_cues: true,
            cue_steps: 500,
            readout_steps: 600,
            readout: Readout::MaxNormalised,
            hebbian: HebbianImprint::None,
            batch_size: 256,
        }
    }

    /// The named design variants measured in `docs/results/design-log.md` (name, what changes).
    pub const VARIANTS: [(&'static str, &'static str); 10] = [
        ("v0-union", "imprint the union of the k-shot strokes; binary cues of 8; 50 ms cue, 60 ms read-out; max-normalised counts"),
        ("v1-graded", "v0 with graded cues (current ∝ pixel value)"),
        ("v2-published-windows", "v0 with the published 150 ms cue and 250 ms read-out"),
        ("v3-binary-readout", "v0 with a binary read-out (count > 8)"),
        ("v4-hebbian", "v0 plus a co-activity Hebbian imprint of the k-shot patterns (×2 / ×0.5 weights)"),
        ("v5-weak-cue", "v0 with a weaker cue (5 mV/ms: 43 Hz alone) so that only gated territories fire fast"),
        ("v6-low-sync", "v0 with synchrony threshold 4 of 16 instead of 6"),
        ("v7-typical", "v0 imprinting only pixels on in ≥ 10 % of the k-shot images"),
        ("v8-weak-binary", "v5's weak cue with a binary read-out (count > 4: above the ungated rate)"),
        ("v9-fixed-norm", "v0 with counts divided by a fixed 21 spikes (the clipped maximum in 60 ms) instead of the image's maximum"),
    ];

    /// A named design variant (see [`Self::VARIANTS`]).
    pub fn variant(name: &str) -> Option<Self> {
        let base = Self::new();
        Some(match name {
            "v0-union" => base,
            "v1-graded" => Self { binary_cues: false, ..base },
            "v2-published-windows" => Self { cue_steps: 1501, readout_steps: 2501, ..base },
            "v3-binary-readout" => Self { readout: Readout::Binary(8.0), ..base },
            "v4-hebbian" => Self { hebbian: HebbianImprint::CoActive { potentiation: 1.0, depression: 0.5 }, ..base },
            "v5-weak-cue" => Self { cue_amplitude: 5.0, ..base },
            "v6-low-sync" => {
                let snan = base.snan.clone().with_astrocyte(AstrocyteConfig::fast().with_min_sync(4));
                Self { snan, ..base }
            }
            "v7-typical" => Self { imprint_min_fraction: 0.1, ..base },
            "v8-weak-binary" => Self { cue_amplitude: 5.0, readout: Readout::Binary(4.0), ..base },
            "v9-fixed-norm" => Self { readout: Readout::Fixed(21.0), ..base },
            _ => return None,
        })
    }

    /// Builds the (not yet imprinted) front-end.
    pub fn init(&self) -> SnanFrontEnd {
        SnanFrontEnd { config: self.clone(), fitted: None }
    }
}

/// The SNAN front-end; see [`SnanFrontEndConfig`].
pub struct SnanFrontEnd {
    config: SnanFrontEndConfig,
    fitted: Option<(Snan, SnanState)>,
}

impl SnanFrontEnd {
    fn on(&self, value: f32) -> bool {
        value > self.config.binarize_threshold
    }

    /// Cue currents for a chunk of images, `[n, pixels]`.
    fn cues(&self, images: &ImageSet, range: std::ops::Range<usize>, device: &Device) -> Tensor<2> {
        let px = images.height * images.width;
        let amp = self.config.cue_amplitude;
        let data: Vec<f32> = range
            .clone()
            .flat_map(|i| images.image(i).iter())
            .map(|&x| if self.config.binary_cues { if self.on(x) { amp } else { 0.0 } } else { x.clamp(0.0, 1.0) * amp })
            .collect();
        Tensor::from_data(TensorData::new(data, [range.len(), px]), device)
    }
}

impl FrontEnd for SnanFrontEnd {
    fn name(&self) -> String {
        "snan".into()
    }

    fn fit(&mut self, train: &ImageSet, device: &Device) {
        let c = &self.config;
        let px = train.height * train.width;
        let mut hits = vec![0usize; px];
        for i in 0..train.len() {
            for (h, &x) in hits.iter_mut().zip(train.image(i)) {
                *h += self.on(x) as usize;
            }
        }
        let need = ((c.imprint_min_fraction * train.len() as f32).ceil() as usize).max(1);
        let pattern: Vec<bool> = hits.iter().map(|&h| h >= need).collect();
        let patterns: Vec<Vec<bool>> =
            (0..train.len()).map(|i| train.image(i).iter().map(|&x| self.on(x)).collect()).collect();
        let snan = c.snan.clone().with_height(train.height).with_width(train.width).init(device);
        let snan = snan.with_imprint(&patterns, &c.hebbian);
        let learn = snan::encoding::currents(&[pattern], c.learn_amplitude, device);
        let presentation = [Presentation { current: learn, onset: 1, offset: c.learn_steps }];
        let state = snan.imprint(snan.init_state(1, device), &presentation, c.learn_steps + c.pause_steps);
        self.fitted = Some((snan, state));
    }

    fn transform(&self, images: &ImageSet, device: &Device) -> ImageSet {
        let (snan, state) = self.fitted.as_ref().expect("SnanFrontEnd::fit must run before transform");
        let c = &self.config;
        let px = images.height * images.width;
        assert_eq!(snan.grid(), [images.height, images.width], "images must match the imprinted grid");
        let recall = RecallConfig::new().with_cue_steps(c.cue_steps).with_readout_steps(c.readout_steps);
        let mut out = Vec::with_capacity(images.images.len());
        let mut start = 0;
        while start < images.len() {
            let end = (start + c.batch_size.max(1)).min(images.len());
            let cues = self.cues(images, start..end, device);
            let (_, rec) = snan.recall(state.repeat(end - start), cues, &recall);
            let counts: Vec<f32> = rec.counts.into_data().convert::<f32>().try_to_vec::<f32>().expect("f32 counts");
            for row in counts.chunks(px) {
                let scale = match c.readout {
                    Readout::MaxNormalised => row.iter().cloned().fold(0.0f32, f32::max).max(1.0),
                    Readout::Fixed(s) => s.max(f32::MIN_POSITIVE),
                    Readout::Binary(_) => 1.0,
                };
                out.extend(row.iter().map(|&n| match c.readout {
                    Readout::Binary(t) => (n > t) as u8 as f32,
                    _ => (n / scale).clamp(0.0, 1.0),
                }));
            }
            start = end;
        }
        ImageSet {
            images: out,
            labels: images.labels.clone(),
            height: images.height,
            width: images.width,
            num_classes: images.num_classes,
        }
    }
}
