"""PyTorch side of hybridrec: the specification's model classes, a safetensors
reader/writer, and a loader for model directories written by the C++ trainer.

Use Debian's interpreter (it has torch): /usr/bin/python3, with python/ on PYTHONPATH.
"""
from .load import ModelBundle, load_model, score
from .models import (HybridRecommender, NeuralCollaborativeFiltering, bce_loss, bpr_loss, compute_loss,
                     make_optimizer, mse_loss)
from .safetensors_io import SafetensorsError, load_file, save_file

__all__ = ["HybridRecommender", "NeuralCollaborativeFiltering", "ModelBundle", "SafetensorsError", "bce_loss",
           "bpr_loss", "compute_loss", "load_file", "load_model", "make_optimizer", "mse_loss", "save_file",
           "score"]
