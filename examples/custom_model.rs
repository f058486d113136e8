//! Putting a `Snan` into your own Burn model: a module that holds the circuit next to a trainable
//! linear read-out. The circuit has no parameters and its memory is an explicit `SnanState`, so the
//! model stays an ordinary Burn module (its record holds only the linear layer's weights).
//!
//! ```sh
//! cargo run -p snan-cli --example custom_model
//! ```

use burn::module::Module;
use burn::nn::loss::CrossEntropyLossConfig;
use burn::nn::{Linear, LinearConfig};
use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData};
use snan::{AstrocyteConfig, Presentation, RecallConfig, Snan, SnanConfig, SnanState};
use snan_data::{DatasetKind, ImageSet, few_shot, load_mnist_like, resolve_data_dir};

/// A SNAN front-end and a linear classifier over its spike counts.
#[derive(Module, Debug)]
struct SpikingClassifier {
    snan: Snan,
    head: Linear,
}

impl SpikingClassifier {
    /// Recalls `cues` ([batch, 784] currents) from the imprinted `memory` and classifies the counts.
    fn forward(&self, memory: &SnanState, cues: Tensor<2>) -> Tensor<2> {
        let recall = RecallConfig::new().with_cue_steps(500).with_readout_steps(600);
        let (_, out) = self.snan.recall(memory.repeat(cues.dims()[0]), cues, &recall);
        // Counts are constants for the optimiser: the circuit is not differentiable.
        self.head.forward(out.counts.detach() / 21.0)
    }
}

/// Binary stroke currents (8 mV/ms where the pixel is on).
fn cues(set: &ImageSet, device: &Device) -> Tensor<2> {
    let data: Vec<f32> = set.images.iter().map(|&x| if x > 0.5 { 8.0 } else { 0.0 }).collect();
    Tensor::from_data(TensorData::new(data, [set.len(), 784]), device)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Device::flex().autodiff();
    let split = load_mnist_like(&resolve_data_dir(None, "mnist").path, DatasetKind::Mnist)?;
    let task = few_shot(&split, 10, Some(300), 0)?;
    let snan = SnanConfig::new().with_height(28).with_width(28).with_astrocyte(AstrocyteConfig::fast()).init(&device);
    let mut model = SpikingClassifier { snan, head: LinearConfig::new(784, 10).init(&device) };

    // Imprint the union of the training strokes: the astrocytes remember where strokes were.
    let union: Vec<f32> = (0..784).map(|p| (0..task.train.len()).any(|i| task.train.image(i)[p] > 0.5) as u8 as f32 * 80.0).collect();
    let learn = Presentation { current: Tensor::from_data(TensorData::new(union, [1, 784]), &device), onset: 1, offset: 2000 };
    let memory = model.snan.imprint(model.snan.init_state(1, &device), &[learn], 9000);

    let (x_train, x_test) = (cues(&task.train, &device), cues(&task.test, &device));
    let labels = |s: &ImageSet| s.labels_tensor(&device);
    let mut optim = AdamConfig::new().init();
    let loss_fn = CrossEntropyLossConfig::new().init(&device);
    for epoch in 1..=30 {
        let logits = model.forward(&memory, x_train.clone());
        let loss = loss_fn.forward(logits, labels(&task.train));
        let grads = GradientsParams::from_grads(loss.backward(), &model);
        model = optim.step(1e-2, model, grads);
        if epoch % 10 == 0 {
            let pred = model.forward(&memory, x_test.clone()).argmax(1).flatten::<1>(0, 1);
            let correct = pred.equal(labels(&task.test)).int().sum().into_scalar::<i64>();
            println!("epoch {epoch}: loss {:.3}, test accuracy {:.1} %", loss.into_scalar::<f32>(), 100.0 * correct as f32 / task.test.len() as f32);
        }
    }
    Ok(())
}
