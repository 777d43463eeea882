#!/usr/bin/env bash
# The main job on the embedded default: generate a sample shop, validate it, print
# dataset/split/feature statistics, train the hybrid model (evaluated against the
# baselines), log the run and register the model in a SQLite workspace, and print
# recommendations for a known and a brand-new customer.
# Usage: scripts/demo.sh [OUTPUT_DIR]   (default: ./hybridrec-demo)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bash "$root/scripts/build.sh" --target hybridrec_cli >/dev/null
bin="${HYBRIDREC_BUILD_DIR:-$root/build}/hybridrec"
out="$(realpath -m "${1:-hybridrec-demo}")"
mkdir -p "$out"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "generate a sample shop"
"$bin" generate --out "$out/shop" --seed 7
step "validate it"
"$bin" validate --data "$out/shop"
step "dataset, split and feature statistics"
"$bin" stats --data "$out/shop"
step "train the hybrid model, evaluate it against the baselines, log the run, register it as champion"
"$bin" train --data "$out/shop" --model hybrid --workspace "$out/workspace" --out "$out/model" --promote
step "registered models"
"$bin" models list --workspace "$out/workspace"
step "recommendations"
user="$(sed -n 2p "$out/shop/interactions.csv" | cut -d, -f1)"
"$bin" recommend --model "$out/model" --user "$user" --k 5
"$bin" recommend --model "$out/model" --user brand-new-customer --attr age_group=25-34 --attr location=urban --attr segment=premium --k 5
