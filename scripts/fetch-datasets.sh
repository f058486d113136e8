#!/usr/bin/env bash
# Fetch the full data sets used by snan and verify them against the published checksums.
#
#   scripts/fetch-datasets.sh [--dest DIR]              download (needs internet)
#   scripts/fetch-datasets.sh --local SRC [--dest DIR]  offline: verify SRC/<dataset>/<file> and
#                                                       symlink the verified files into DIR
#
# DIR defaults to $SNAN_DATA_DIR, else ~/.cache/snan-data. Afterwards: export SNAN_DATA_DIR=DIR.
# Layout produced: DIR/mnist, DIR/fashion-mnist (4 IDX .gz each), DIR/omniglot (2 zips), DIR/wm-digits.
# Checksums (see shared/datasets/SOURCES.md): MNIST / Fashion-MNIST by their published MD5; the
# Omniglot zips by the original MD5, or, for this project's rebuilt mirror, its SHA-256 (the PNGs
# inside are the originals; the zip bytes are not); wm-digits by SHA-256.
set -euo pipefail

DEST="${SNAN_DATA_DIR:-$HOME/.cache/snan-data}"
LOCAL=""
while [ $# -gt 0 ]; do
  case "$1" in
    --local) LOCAL="${2:?--local needs a folder}"; shift 2 ;;
    --dest) DEST="${2:?--dest needs a folder}"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# dataset file md5|- sha256|- url
FILES=$(cat <<'LIST'
mnist train-images-idx3-ubyte.gz f68b3c2dcbeaaa9fbdd348bbdeb94873 - https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz
mnist train-labels-idx1-ubyte.gz d53e105ee54ea40749a09fcbcd1e9432 - https://ossci-datasets.s3.amazonaws.com/mnist/train-labels-idx1-ubyte.gz
mnist t10k-images-idx3-ubyte.gz 9fb629c4189551a2d022fa330f9573f3 - https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz
mnist t10k-labels-idx1-ubyte.gz ec29112dd5afa0611ce80d1b7f02629c - https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz
fashion-mnist train-images-idx3-ubyte.gz 8d4fb7e6c68d591d4c3dfef9ec88bf0d - http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz
fashion-mnist train-labels-idx1-ubyte.gz 25c81989df183df01b3e8a0aad5dffbe - http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-labels-idx1-ubyte.gz
fashion-mnist t10k-images-idx3-ubyte.gz bef4ecab320f06d8554ea6380940ec79 - http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-images-idx3-ubyte.gz
fashion-mnist t10k-labels-idx1-ubyte.gz bb300cfdad3c16e7a12a480ee83cd310 - http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-labels-idx1-ubyte.gz
omniglot images_background.zip 68d2efa1b9178cc56df9314c21c6e718 df55c7abbb35d90499e47c782d8b19cab4ef856d8c12c04b73b8159a94b10766 https://raw.githubusercontent.com/brendenlake/omniglot/master/python/images_background.zip
omniglot images_evaluation.zip 6b91aef0f799c5bb55b94e3f2daec811 efc1da5734b330ef539ade31375b7a5f0eb4f4fa78bb91e8d5da230d9d5cc6a2 https://raw.githubusercontent.com/brendenlake/omniglot/master/python/images_evaluation.zip
wm-digits zero.jpg - 508e2057025a4d815f4e61b8959a3894f08d7f8e831dd31bec652f4276b1713e https://raw.githubusercontent.com/altergot/neuro-astro-network/44a9fca9960a83f1b69a3e7f62c2ebb5fcb18227/images/zero.jpg
wm-digits one.jpg - bec74e5f58717510ed0796014d95ef0b8d49b70112a29da002180073d624c4c7 https://raw.githubusercontent.com/altergot/neuro-astro-network/44a9fca9960a83f1b69a3e7f62c2ebb5fcb18227/images/one.jpg
wm-digits two.jpg - 032bd2dfcd35200808a810099b04c6f8772c42dddfbfe62ee1b8d70ec81c6506 https://raw.githubusercontent.com/altergot/neuro-astro-network/44a9fca9960a83f1b69a3e7f62c2ebb5fcb18227/images/two.jpg
wm-digits three.jpg - a3efc33fb4085e17c434da4b001089d563f4d47520b0e8490817f18ea0f49f23 https://raw.githubusercontent.com/altergot/neuro-astro-network/44a9fca9960a83f1b69a3e7f62c2ebb5fcb18227/images/three.jpg
wm-digits four.jpg - a6849c2e022ca3d820cd4aa66ac9c49297a4e1332489e78c4db2b4bfa374f820 https://raw.githubusercontent.com/altergot/neuro-astro-network/44a9fca9960a83f1b69a3e7f62c2ebb5fcb18227/images/four.jpg
wm-digits five.jpg - a812ddddcf6445dc3f05b934efce9caeeda9e0267cc9bdf51a50820b57281e46 https://raw.githubusercontent.com/altergot/neuro-astro-network/44a9fca9960a83f1b69a3e7f62c2ebb5fcb18227/images/five.jpg
wm-digits six.jpg - 931c230f7189b66d205402a8ee55c6bfe5683139f4f1da0c6e3ea501b54d2918 https://raw.githubusercontent.com/altergot/neuro-astro-network/44a9fca9960a83f1b69a3e7f62c2ebb5fcb18227/images/six.jpg
wm-digits seven.jpg - dbeb7e395ca235bb07984f423afe8ed303b7cc7c14423fdb6019538dc5bf2861 https://raw.githubusercontent.com/altergot/neuro-astro-network/44a9fca9960a83f1b69a3e7f62c2ebb5fcb18227/images/seven.jpg
wm-digits eight.jpg - 0b674ab4d9c1db97f44000c7999c3be2dd8a769c1f1544aba61af7da6ad2ca35 https://raw.githubusercontent.com/altergot/neuro-astro-network/44a9fca9960a83f1b69a3e7f62c2ebb5fcb18227/images/eight.jpg
wm-digits nine.jpg - 098072fb83add15470fb61cec2d4dc64cb864ba565c246ab14ea44923b6722ea https://raw.githubusercontent.com/altergot/neuro-astro-network/44a9fca9960a83f1b69a3e7f62c2ebb5fcb18227/images/nine.jpg
LIST
)

# verify FILE MD5 SHA256 -> prints a verdict, returns 0 if either known digest matches.
verify() {
  local f="$1" md5="$2" sha="$3" got_md5 got_sha
  got_md5=$(md5sum "$f" | cut -d' ' -f1)
  got_sha=$(sha256sum "$f" | cut -d' ' -f1)
  if [ "$md5" != "-" ] && [ "$got_md5" = "$md5" ]; then echo "ok (md5 $md5)"; return 0; fi
  if [ "$sha" != "-" ] && [ "$got_sha" = "$sha" ]; then echo "ok (sha256 ${sha:0:16}…)"; return 0; fi
  echo "MISMATCH: expected md5 $md5 / sha256 $sha, got md5 $got_md5 sha256 $got_sha"
  return 1
}

fetch() {
  local url="$1" out="$2"
  if command -v curl >/dev/null; then curl -fL --retry 2 -o "$out" "$url"
  elif command -v wget >/dev/null; then wget -O "$out" "$url"
  else echo "error: neither curl nor wget is installed" >&2; return 1; fi
}

if [ -n "$LOCAL" ] && [ ! -d "$LOCAL" ]; then
  echo "error: --local $LOCAL: folder not found" >&2; exit 1
fi
mkdir -p "$DEST"
bad=0
while read -r ds file md5 sha url; do
  [ -z "$ds" ] && continue
  mkdir -p "$DEST/$ds"
  target="$DEST/$ds/$file"
  if [ -n "$LOCAL" ]; then
    src="$LOCAL/$ds/$file"
    if [ ! -f "$src" ]; then echo "$ds/$file: MISSING in $LOCAL"; bad=1; continue; fi
    if verdict=$(verify "$src" "$md5" "$sha"); then
      ln -sfn "$(cd "$(dirname "$src")" && pwd)/$file" "$target"
      echo "$ds/$file: $verdict -> linked"
    else
      echo "$ds/$file: $verdict (not linked)"; bad=1
    fi
  else
    if [ -f "$target" ] && verify "$target" "$md5" "$sha" >/dev/null; then
      echo "$ds/$file: already present and verified"; continue
    fi
    if ! fetch "$url" "$target.part"; then echo "$ds/$file: download FAILED from $url"; rm -f "$target.part"; bad=1; continue; fi
    if verdict=$(verify "$target.part" "$md5" "$sha"); then
      mv "$target.part" "$target"; echo "$ds/$file: $verdict"
    else
      echo "$ds/$file: $verdict (kept as $target.part)"; bad=1
    fi
  fi
done <<< "$FILES"

if [ "$bad" -ne 0 ]; then
  echo "error: some files are missing or do not match their published checksums (see above)" >&2
  exit 1
fi
echo "all files verified in $DEST"
echo "use them with: export SNAN_DATA_DIR=$DEST"
