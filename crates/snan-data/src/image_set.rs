//! `ImageSet`: the in-memory form every loader produces and every model consumes.

use burn::tensor::{Device, Int, Tensor, TensorData};

/// Grayscale images in [0,1], row-major, n × height × width, with class labels.
///
/// Foreground is bright (1.0) on a dark (0.0) background for every data set (Omniglot is inverted
/// on load), so corruptions can treat 0 as background uniformly.
#[derive(Clone, Debug)]
pub struct ImageSet {
    /// `len() * height * width` pixel values in [0, 1].
    pub images: Vec<f32>,
    /// One class label per image, each `< num_classes`.
    pub labels: Vec<u32>,
    /// Image height in pixels.
    pub height: usize,
    /// Image width in pixels.
    pub width: usize,
    /// Number of classes of the data set (not necessarily all present in a subset).
    pub num_classes: usize,
}

/// A train / test pair. Few-shot training examples come only from `train` and evaluation only from
/// `test`, so the two never share an image.
#[derive(Clone, Debug)]
pub struct Split {
    /// The training split.
    pub train: ImageSet,
    /// The test split.
    pub test: ImageSet,
}

impl ImageSet {
    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether the set holds no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Pixels of one image per image (`height * width`).
    pub fn pixels_per_image(&self) -> usize {
        self.height * self.width
    }

    /// Pixels of image `i` (row-major). Panics if `i >= len()` like slice indexing.
    pub fn image(&self, i: usize) -> &[f32] {
        let p = self.pixels_per_image();
        &self.images[i * p..(i + 1) * p]
    }

    /// Mutable pixels of image `i`.
    pub fn image_mut(&mut self, i: usize) -> &mut [f32] {
        let p = self.pixels_per_image();
        &mut self.images[i * p..(i + 1) * p]
    }

    /// The images at `idx`, in that order (indices may repeat). Panics on an out-of-range index.
    pub fn subset(&self, idx: &[usize]) -> ImageSet {
        let p = self.pixels_per_image();
        let mut images = Vec::with_capacity(idx.len() * p);
        for &i in idx {
            images.extend_from_slice(self.image(i));
        }
        ImageSet {
            images,
            labels: idx.iter().map(|&i| self.labels[i]).collect(),
            height: self.height,
            width: self.width,
            num_classes: self.num_classes,
        }
    }

    /// Number of images of each class, `num_classes` entries.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut c = vec![0; self.num_classes];
        for &l in &self.labels {
            if let Some(slot) = c.get_mut(l as usize) {
                *slot += 1;
            }
        }
        c
    }

    /// Indices of the images of each class, in set order (`num_classes` lists).
    pub fn indices_by_class(&self) -> Vec<Vec<usize>> {
        let mut by = vec![Vec::new(); self.num_classes];
        for (i, &l) in self.labels.iter().enumerate() {
            if let Some(slot) = by.get_mut(l as usize) {
                slot.push(i);
            }
        }
        by
    }

    /// The set with three more copies of every class, rotated by 90°, 180° and 270° (clockwise), as
    /// new classes `c + k·num_classes` (k = 1, 2, 3): the class augmentation prototypical networks
    /// use on Omniglot (a rotated character is a different character). Square images only.
    ///
    /// Panics if the images are not square.
    pub fn with_rotated_classes(&self) -> ImageSet {
        assert_eq!(self.height, self.width, "rotated classes need square images, got {}×{}", self.height, self.width);
        let side = self.width;
        let mut out = self.clone();
        let mut current = self.clone();
        for k in 1..=3u32 {
            let mut rotated = current.clone();
            for i in 0..current.len() {
                let src = current.image(i);
                let dst = rotated.image_mut(i);
                // Clockwise: the pixel at (r, c) moves to (c, side − 1 − r).
                for r in 0..side {
                    for c in 0..side {
                        dst[c * side + (side - 1 - r)] = src[r * side + c];
                    }
                }
            }
            out.images.extend_from_slice(&rotated.images);
            out.labels.extend(self.labels.iter().map(|&l| l + k * self.num_classes as u32));
            current = rotated;
        }
        out.num_classes = 4 * self.num_classes;
        out
    }

    /// All images as a `[n, 1, height, width]` float tensor.
    pub fn to_tensor(&self, device: &Device) -> Tensor<4> {
        Tensor::<4>::from_data(
            TensorData::new(
                self.images.clone(),
                [self.len(), 1, self.height, self.width],
            ),
            device,
        )
    }

    /// Labels as a `[n]` integer tensor.
    pub fn labels_tensor(&self, device: &Device) -> Tensor<1, Int> {
        let v: Vec<i64> = self.labels.iter().map(|&l| l as i64).collect();
        Tensor::<1, Int>::from_data(TensorData::new(v, [self.len()]), device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> ImageSet {
        ImageSet {
            images: (0..3 * 4).map(|v| v as f32 / 11.0).collect(),
            labels: vec![1, 0, 1],
            height: 2,
            width: 2,
            num_classes: 3,
        }
    }

    #[test]
    fn rotated_classes_are_new_classes_of_rotated_images() {
        let s = ImageSet { images: vec![1.0, 2.0, 3.0, 4.0], labels: vec![0], height: 2, width: 2, num_classes: 2 };
        let r = s.with_rotated_classes();
        assert_eq!(r.num_classes, 8);
        assert_eq!(r.labels, vec![0, 2, 4, 6]);
        // [[1, 2], [3, 4]] clockwise → [[3, 1], [4, 2]] → [[4, 3], [2, 1]] → [[2, 4], [1, 3]].
        assert_eq!(r.image(1), &[3.0, 1.0, 4.0, 2.0]);
        assert_eq!(r.image(2), &[4.0, 3.0, 2.0, 1.0]);
        assert_eq!(r.image(3), &[2.0, 4.0, 1.0, 3.0]);
    }

    #[test]
    fn subset_and_counts() {
        let s = toy();
        assert_eq!(s.len(), 3);
        assert_eq!(s.class_counts(), vec![1, 2, 0]);
        let sub = s.subset(&[2, 0]);
        assert_eq!(sub.labels, vec![1, 1]);
        assert_eq!(sub.image(0), s.image(2));
        assert_eq!(sub.image(1), s.image(0));
        assert_eq!(s.indices_by_class(), vec![vec![1], vec![0, 2], vec![]]);
    }

    #[test]
    fn tensors_have_the_right_shape_and_values() {
        let s = toy();
        let dev = Device::flex();
        let t = s.to_tensor(&dev);
        assert_eq!(t.dims(), [3, 1, 2, 2]);
        let back: Vec<f32> = t.into_data().try_to_vec().unwrap();
        assert_eq!(back, s.images);
        let l = s.labels_tensor(&dev);
        assert_eq!(l.dims(), [3]);
        let lv: Vec<i64> = l.into_data().convert::<i64>().try_to_vec().unwrap();
        assert_eq!(lv, vec![1, 0, 1]);
    }
}
