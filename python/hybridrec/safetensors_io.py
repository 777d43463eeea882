"""Minimal safetensors reader/writer on numpy + torch.

Debian ships no `safetensors` package, and the format is simple enough that the
C++ side (src/model/safetensors.cpp) and this module can agree on it exactly:
8-byte little-endian header length N, N bytes of JSON
{name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}}
padded with spaces to a multiple of 8, then the raw little-endian data buffer.
"""
import json
import os
import struct
import tempfile

import numpy as np
import torch

# dtype name -> (numpy dtype used to read the raw bytes, bytes per element)
_DTYPES = {
    "F64": (np.dtype("<f8"), 8),
    "F32": (np.dtype("<f4"), 4),
    "F16": (np.dtype("<f2"), 2),
    "BF16": (np.dtype("<u2"), 2),  # numpy has no bfloat16: read the bits, widen below
    "I64": (np.dtype("<i8"), 8),
    "I32": (np.dtype("<i4"), 4),
}

_TORCH_TO_NAME = {
    torch.float64: "F64",
    torch.float32: "F32",
    torch.float16: "F16",
    torch.bfloat16: "BF16",
    torch.int64: "I64",
    torch.int32: "I32",
}


class SafetensorsError(ValueError):
    """A malformed or truncated file; the message names the file and the tensor."""


def save_file(tensors, path, metadata=None):
    """Writes {name: tensor} atomically (temporary file + rename), in insertion order."""
    header = {}
    chunks = []
    offset = 0
    for name, tensor in tensors.items():
        t = torch.as_tensor(tensor).detach().cpu().contiguous()
        if t.dtype not in _TORCH_TO_NAME:
            raise SafetensorsError(f"{path}: tensor '{name}': unsupported dtype {t.dtype}")
        if t.dtype == torch.bfloat16:  # numpy cannot hold it: write the raw bits
            raw = t.view(torch.int16).numpy().astype("<i2", copy=False).tobytes()
        else:
            raw = t.numpy().astype(_DTYPES[_TORCH_TO_NAME[t.dtype]][0], copy=False).tobytes()
        header[name] = {"dtype": _TORCH_TO_NAME[t.dtype], "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blob = json.dumps(header, separators=(",", ":")).encode("utf-8")
    blob += b" " * ((8 - len(blob) % 8) % 8)  # keeps the data buffer 8-byte aligned

    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=os.path.basename(path) + ".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(struct.pack("<Q", len(blob)))
            out.write(blob)
            for chunk in chunks:
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_file(path, with_metadata=False):
    """Reads every tensor as a torch tensor (float/int dtypes kept; BF16 widened to float32).

    Returns {name: tensor}, or ({name: tensor}, metadata) when with_metadata is true.
    """
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 8:
        raise SafetensorsError(f"{path}: file is {len(data)} bytes, too short for a safetensors header")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise SafetensorsError(f"{path}: header length {n} exceeds the file (truncated?)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SafetensorsError(f"{path}: invalid JSON header: {e}") from e
    if not isinstance(header, dict):
        raise SafetensorsError(f"{path}: JSON header must be an object")
    buffer = memoryview(data)[8 + n:]
    metadata = header.pop("__metadata__", {}) or {}

    tensors = {}
    for name, info in header.items():
        try:
            dtype, shape, (begin, end) = info["dtype"], list(info["shape"]), info["data_offsets"]
        except (KeyError, TypeError, ValueError) as e:
            raise SafetensorsError(f"{path}: tensor '{name}': malformed entry {info!r}") from e
        if dtype not in _DTYPES:
            raise SafetensorsError(f"{path}: tensor '{name}': unsupported dtype {dtype}")
        np_dtype, width = _DTYPES[dtype]
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        if not (0 <= begin <= end <= len(buffer)) or end - begin != count * width:
            raise SafetensorsError(f"{path}: tensor '{name}': data_offsets [{begin}, {end}] do not fit "
                                   f"shape {shape} of {dtype} in a {len(buffer)}-byte buffer")
        array = np.frombuffer(buffer[begin:end], dtype=np_dtype, count=count).copy()
        if dtype == "BF16":
            array = (array.astype(np.uint32) << 16).view(np.float32)
        tensors[name] = torch.from_numpy(array.reshape(shape))
    return (tensors, metadata) if with_metadata else tensors
