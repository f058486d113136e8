#!/usr/bin/env python3
"""Cut the small embedded data subset shipped in `datasets/` from the full data sets.

Usage: python3 scripts/cut-datasets.py SRC_DATASETS_DIR DEST_DATASETS_DIR

SRC holds `mnist/`, `fashion-mnist/` (4 standard IDX .gz files each), `omniglot/` (the two zips) and
`wm-digits/`. Python 3 standard library only. The output is deterministic (gzip MTIME 0, no file name;
zip entries keep the source entries' timestamps, stored uncompressed because PNGs are compressed
already), so re-running it reproduces the shipped files byte for byte.

Selection rules:
- MNIST / Fashion-MNIST train: the first 50 images of each class in file order (500 images).
- MNIST / Fashion-MNIST test: the first 100 images of each class in file order (1,000 images);
  order within each output file is the original file order.
- Omniglot: whole alphabets, in the source layout `images_background/Alphabet/characterXX/NNNN_DD.png`.
- wm-digits: the ten JPEGs copied byte for byte.
"""
import gzip
import os
import shutil
import struct
import sys
import zipfile

TRAIN_PER_CLASS = 50
TEST_PER_CLASS = 100
OMNIGLOT = {
    "images_background": ["Alphabet_of_the_Magi", "Blackfoot_(Canadian_Aboriginal_Syllabics)", "Braille"],
    "images_evaluation": ["Angelic", "Keble"],
}
WM_DIGITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype != 0x08:
        sys.exit(f"{path}: not an unsigned-byte IDX file")
    dims = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return dims, data[4 + 4 * ndim :]


def write_idx(path, dims, payload):
    header = struct.pack(">HBB", 0, 0x08, len(dims)) + struct.pack(">" + "I" * len(dims), *dims)
    # mtime=0 and no FNAME so that the bytes depend only on the content.
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as f:
            f.write(header + payload)


def cut_mnist_like(src, dst):
    os.makedirs(dst, exist_ok=True)
    for prefix, per_class in (("train", TRAIN_PER_CLASS), ("t10k", TEST_PER_CLASS)):
        idims, pixels = read_idx(os.path.join(src, f"{prefix}-images-idx3-ubyte.gz"))
        ldims, labels = read_idx(os.path.join(src, f"{prefix}-labels-idx1-ubyte.gz"))
        n, h, w = idims
        if ldims[0] != n:
            sys.exit(f"{src}: {prefix} image/label count mismatch")
        taken = [0] * 10
        keep = []
        for i, lab in enumerate(labels):
            if taken[lab] < per_class:
                taken[lab] += 1
                keep.append(i)
        if any(t < per_class for t in taken):
            sys.exit(f"{src}: {prefix} has a class with fewer than {per_class} images")
        size = h * w
        img = b"".join(pixels[i * size : (i + 1) * size] for i in keep)
        lab = bytes(labels[i] for i in keep)
        write_idx(os.path.join(dst, f"{prefix}-images-idx3-ubyte.gz"), (len(keep), h, w), img)
        write_idx(os.path.join(dst, f"{prefix}-labels-idx1-ubyte.gz"), (len(keep),), lab)
        print(f"{dst}: {prefix} {len(keep)} images")


def cut_omniglot(src, dst):
    os.makedirs(dst, exist_ok=True)
    for split, alphabets in OMNIGLOT.items():
        with zipfile.ZipFile(os.path.join(src, f"{split}.zip")) as zin, zipfile.ZipFile(
            os.path.join(dst, f"{split}.zip"), "w", compression=zipfile.ZIP_STORED
        ) as zout:
            count = 0
            for info in sorted(zin.infolist(), key=lambda i: i.filename):
                parts = info.filename.split("/")
                if len(parts) < 2 or parts[0] != split or parts[1] not in alphabets:
                    continue
                out = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                out.external_attr = info.external_attr
                zout.writestr(out, zin.read(info) if not info.is_dir() else b"")
                count += info.filename.endswith(".png")
            print(f"{dst}/{split}.zip: {count} images")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    src, dst = sys.argv[1], sys.argv[2]
    cut_mnist_like(os.path.join(src, "mnist"), os.path.join(dst, "mnist"))
    cut_mnist_like(os.path.join(src, "fashion-mnist"), os.path.join(dst, "fashion-mnist"))
    cut_omniglot(os.path.join(src, "omniglot"), os.path.join(dst, "omniglot"))
    os.makedirs(os.path.join(dst, "wm-digits"), exist_ok=True)
    for d in WM_DIGITS:
        shutil.copyfile(os.path.join(src, "wm-digits", f"{d}.jpg"), os.path.join(dst, "wm-digits", f"{d}.jpg"))
    print(f"{dst}/wm-digits: 10 images")


if __name__ == "__main__":
    main()
