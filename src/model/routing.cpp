#include "model/routing.h"

#include <algorithm>

#include "model/abilities.h"

namespace hybridrec {

Route route_user(const Recommender& model, const std::string& cold_user_path, const UserFacts& user) {
  if (user.online_events > 0) {
    const bool trained = user.known && user.has_history;
    if (trained || user.online_events >= std::max<std::size_t>(user.fold_in_min_events, 1)) {
      if (model.history_fold_in()) return Route::fold_in;
      if (user.known && user.training_behaviour && model.feature_fold_in()) return Route::fold_in;
      if (!trained && model.content_scoring()) return Route::content;
    }
  }
  if (user.known && user.has_history) return Route::model;
  if (cold_user_path == "popularity") return Route::popularity;
  if (user.known) {
    if (!model.serves_cold_users()) return Route::popularity;
    // A family with a content path scores its cold users through it.
    return model.content_scoring() ? Route::content : Route::model;
  }
  if (user.has_attributes && model.content_scoring()) return Route::content;
  return Route::popularity;
}

const char* route_name(Route route) {
  switch (route) {
    case Route::model: return "model";
    case Route::content: return "content";
    case Route::popularity: return "popularity";
    case Route::fold_in: return "fold_in";
  }
  return "model";
}

}  // namespace hybridrec
