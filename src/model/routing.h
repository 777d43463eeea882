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
#include <string>

#include "model/recommender.h"

namespace hybridrec {

enum class Route { model, content, popularity };

struct UserFacts {
  bool known = true;             // in the model's user id map
  bool has_history = true;       // has training interactions
  bool has_attributes = false;   // (unknown users) attributes to score from
};

Route route_user(const Recommender& model, const std::string& cold_user_path, const UserFacts& user);
// "model", "content" or "popularity" (what responses and logs call the path).
const char* route_name(Route route);

}  // namespace hybridrec
