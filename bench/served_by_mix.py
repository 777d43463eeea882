#!/usr/bin/env python3
"""Helpers of bench/run_serve_bench.sh's fresh case.

  served_by_mix.py BEFORE AFTER
      Two scrapes of /metrics: prints the share of responses each serving path gave
      between them (hybridrec_recommendations_total by served_by), e.g.
      "paths: model 53%, popularity 47%". Static and fresh serving of one request
      stream differ in this mix, which is what their throughputs are compared on.
  served_by_mix.py --trained-users MODEL_DIR
      Prints the ids of the model's users that have training interactions (nonzero
      seen_counts in serving.safetensors), one per line, in the id map's order.
"""
import json
import re
import struct
import sys
from collections import Counter
from pathlib import Path

LINE = re.compile(r'^hybridrec_recommendations_total\{[^}]*served_by="([^"]+)"[^}]*\}\s+([0-9.e+]+)$')


def counts(path):
    out = Counter()
    for line in open(path):
        m = LINE.match(line.strip())
        if m:
            out[m.group(1)] += float(m.group(2))
    return out


def mix(before, after):
    delta = counts(after)
    delta.subtract(counts(before))
    total = sum(v for v in delta.values() if v > 0)
    if total <= 0:
        return "paths: none counted"
    parts = [f"{path} {100 * n / total:.0f}%" for path, n in delta.most_common() if n > 0]
    return "paths: " + ", ".join(parts)


def safetensor(path, name):
    with open(path, "rb") as f:
        header_len = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(header_len))
        meta = header[name]
        if meta["dtype"] != "F32":
            raise SystemExit(f"{path}: tensor {name} is {meta['dtype']}, expected F32")
        start, end = meta["data_offsets"]
        f.seek(8 + header_len + start)
        raw = f.read(end - start)
    return struct.unpack(f"<{len(raw) // 4}f", raw)


def trained_users(model_dir):
    model_dir = Path(model_dir)
    ids = json.load(open(model_dir / "user_id_map.json"))
    seen = safetensor(model_dir / "serving.safetensors", "seen_counts")
    if len(seen) != len(ids):
        raise SystemExit(f"{model_dir}: {len(seen)} seen_counts for {len(ids)} users")
    return [user for user, n in zip(ids, seen) if n > 0]


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--trained-users":
        print("\n".join(trained_users(sys.argv[2])))
    elif len(sys.argv) == 3:
        print(mix(sys.argv[1], sys.argv[2]))
    else:
        raise SystemExit(__doc__)
