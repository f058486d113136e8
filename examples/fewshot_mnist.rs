//! Few-shot MNIST in ~60 lines: k = 5 shots per class from the embedded MNIST subset, a plain CNN
//! and the SNAN-CNN (SNAN front-end + the same CNN), evaluated clean and under impulse noise 0.3.
//!
//! ```sh
//! cargo run -p snan-cli --example fewshot_mnist
//! ```

use burn::tensor::Device;
use snan_data::{Corruption, DatasetKind, corrupt_set, few_shot, load_mnist_like, resolve_data_dir};
use snan_models::frontend::{FrontEndConfig, SnanFrontEndConfig};
use snan_models::{Backbone, evaluate, train};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let device = Device::flex();
    let root = resolve_data_dir(None, "mnist");
    let split = load_mnist_like(&root.path, DatasetKind::Mnist)?;
    let (k, seed) = (5, 0);
    let task = few_shot(&split, k, Some(500), seed)?;
    println!(
        "{k}-shot MNIST: {} training images, {} test images ({})",
        task.train.len(),
        task.test.len(),
        root.path.display()
    );

    let noisy = corrupt_set(&task.test, &Corruption::Impulse { p: 0.3 }, 1234);
    let models = [
        ("cnn", FrontEndConfig::None),
        ("cnn+median", FrontEndConfig::Median3x3),
        ("snan-cnn", FrontEndConfig::Snan(SnanFrontEndConfig::new())),
    ];
    let only: Option<String> = std::env::args().nth(1);
    for (name, front) in models {
        if only.as_deref().is_some_and(|o| o != name) {
            continue;
        }
        let t0 = std::time::Instant::now();
        // 1. The front-end learns from the shots (the SNAN imprints them; filters do nothing).
        let mut fe = front.init();
        fe.fit(&task.train, &device);
        // 2. The backbone is trained on the front-end's outputs for the shots.
        let backbone = Backbone::cnn();
        let cfg = backbone.default_train_config().with_seed(seed);
        let model = train(&backbone, &fe.transform(&task.train, &device), &cfg, &device, &mut |p| {
            if p.epoch % 10 == 0 {
                println!("  {name}: epoch {}/{} loss {:.3}", p.epoch, p.epochs, p.loss);
            }
        });
        // 3. Test images (clean and noisy) go through the same front-end, then the backbone.
        let clean = evaluate(&model, &fe.transform(&task.test, &device), &device);
        let impulse = evaluate(&model, &fe.transform(&noisy, &device), &device);
        println!(
            "{name:<11} clean {:5.1} %   impulse 0.3 {:5.1} %   ({:.1} s)",
            100.0 * clean,
            100.0 * impulse,
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
