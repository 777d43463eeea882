#include "train/neural_recommender.h"

#include "core/error.h"

namespace hybridrec {

void NeuralRecommender::fit(const TrainingContext&) {
  throw Error("neural models are trained with run_training() (train/pipeline.h), which adds validation, "
              "early stopping and checkpoints");
}

}  // namespace hybridrec
