"""hybridrec for Python.

- ``hybridrec.Model``: the C++ library through its native module ``_hybridrec``
  (pybind11): fit, batched recommend, similar_items, score, save/load of any model
  folder the CLI trained, evaluate. See python/hybridrec/model.py.
- The specification's PyTorch classes and a loader of model folders into them
  (``load_model``, ``score``, ``HybridRecommender``, ...), imported on first use so
  that ``import hybridrec`` does not pay for torch.

Use Debian's interpreter, /usr/bin/python3 (it has numpy, pandas, scipy, torch);
scripts/build.sh makes ``import hybridrec`` work there (scripts/install-python.sh).
"""
import importlib

try:
    from .model import ConfigError, DataError, Error, Model, model_families
except ImportError as error:  # the native module is not built: the PyTorch side still works
    _NATIVE_IMPORT_ERROR = error

# Names served by the PyTorch side, by the module that defines them.
_TORCH_NAMES = {
    "ModelBundle": "load", "load_model": "load", "score": "load",
    "HybridRecommender": "models", "NeuralCollaborativeFiltering": "models", "bce_loss": "models",
    "bpr_loss": "models", "compute_loss": "models", "make_optimizer": "models", "mse_loss": "models",
    "SafetensorsError": "safetensors_io", "load_file": "safetensors_io", "save_file": "safetensors_io",
}


def __getattr__(name):
    if name in _TORCH_NAMES:
        value = getattr(importlib.import_module("." + _TORCH_NAMES[name], __name__), name)
        globals()[name] = value
        return value
    if name in ("ConfigError", "DataError", "Error", "Model", "model_families"):
        raise ImportError(f"hybridrec.{name} needs the native module _hybridrec, which did not import "
                          f"({_NATIVE_IMPORT_ERROR}); build it with scripts/build.sh") from _NATIVE_IMPORT_ERROR
    raise AttributeError(f"module 'hybridrec' has no attribute {name!r}")


__all__ = ["ConfigError", "DataError", "Error", "Model", "model_families", *sorted(_TORCH_NAMES)]
