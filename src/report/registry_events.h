#pragma once
// The registry's audit trail (store::ModelEvent: an event name and a JSON
// details object) as rows a person reads: when, what happened, to which model
// version, from which model to which, and why or by whom. The dashboard used to
// print the details as raw JSON; every event kind the registry writes
// (registered, promoted, demoted, deployed, rolled_back, restored) gets words,
// and any other is summarised key by key, so a row is never raw JSON.
//
//   for (const auto& row : registry_event_rows(ws.registry().events(), versions)) ...
#include <map>
#include <string>
#include <vector>

#include "store/registry.h"

namespace hybridrec::report {

struct RegistryEventRow {
  std::string time;      // "2026-12-01 23:22:21 UTC" (occurred_at as stored when it is not ISO 8601)
  std::string event;     // "promoted"
  std::string model_id;  // the model the event is about
  std::string version;   // "v1.2.0"; "" when unknown
  std::string from, to;  // champion before and after, environment, base model...; "" when not applicable
  std::string reason;    // "gate passed: ndcg@10 0.3600 vs champion 0.3400", "forced past the gate: ..."
};

// model_versions: model id -> version (from Registry::list()); ids not in it
// show the version the id ends with ("rec-model-v1.2.0" -> "v1.2.0"), if any.
std::vector<RegistryEventRow> registry_event_rows(const std::vector<store::ModelEvent>& events,
                                                  const std::map<std::string, std::string>& model_versions = {});

// One event's details in words (the reason column).
std::string event_reason(const store::ModelEvent& event);

// "2026-12-01T23:22:21.123Z" -> "2026-12-01 23:22:21 UTC"; anything else unchanged.
std::string readable_time(const std::string& iso);

}  // namespace hybridrec::report
