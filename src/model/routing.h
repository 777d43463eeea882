#pragma once
// The one routing decision for a user (docs/design/model-interface.md): which
// path ranks them. ModelBundle::recommend / recommend_new_user, the evaluator and
// the server all ask here, so the same user takes the same path everywhere.
//
//   known, with training history         -> the model
//   known, without history (cold)        -> the model's cold path (content branch
//                                           or the family's own cold scores) when it
//                                           serves cold users, else popularity
//   unknown, with attributes             -> the content path (ContentScoring), else popularity
//   unknown, without attributes          -> popularity
// model.cold_user_path "popularity" sends every user without history to
// popularity; "content" and "auto" (not decided yet) keep the model's cold path.
//
// With an online history (serving, issue #19) - events the model was not trained on:
//   known, with training history         -> fold-in: HistoryFoldIn when the family
//                                           has it, else FeatureFoldIn (behaviour
//                                           features recomputed, id embedding kept)
//                                           when the model saved its users' training
//                                           behaviour; else the model
//   without training history, with at    -> fold-in as above (FeatureFoldIn for a
//   least fold_in_min_events events         known user only), else the content path
//                                           with behaviour features from the history
//                                           (ContentScoring), else the rules above
// A family's own fold-in and content path beat popularity whatever
// model.cold_user_path says: that setting was chosen for users with no behaviour at all.
#include <string>

#include "model/recommender.h"

namespace hybridrec {

enum class Route { model, content, popularity, fold_in };

struct UserFacts {
  bool known = true;             // in the model's user id map
  bool has_history = true;       // has training interactions
  bool has_attributes = false;   // (unknown users) attributes to score from
  std::size_t online_events = 0;       // events since training (serving's online history)
  std::size_t fold_in_min_events = 1;  // a user without training history needs this many
  // The model's users' training behaviour is at hand (ModelBundle::training_behaviour),
  // so FeatureFoldIn can recompute a known user's behaviour features.
  bool training_behaviour = false;
};

Route route_user(const Recommender& model, const std::string& cold_user_path, const UserFacts& user);
// "model", "content", "popularity" or "fold_in" (what responses and logs call the path).
const char* route_name(Route route);

}  // namespace hybridrec
