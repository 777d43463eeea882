#include "report/online_events.h"

#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

namespace hybridrec::report {

std::filesystem::path online_events_path(const std::filesystem::path& workspace) {
  return workspace / "serving" / "events.jsonl";
}

OnlineEvents read_online_events(const std::filesystem::path& events_file) {
  OnlineEvents out;
  std::ifstream in(events_file);
  out.file_exists = static_cast<bool>(in);
  struct Seen {
    std::set<std::string> any, clicked, carted, converted;
  };
  std::map<std::string, Seen> seen;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto e = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!e.is_object() || !e.contains("model_id") || !e["model_id"].is_string() || !e.contains("request_id") ||
        !e["request_id"].is_string() || !e.contains("type") || !e["type"].is_string()) {
      ++out.skipped_lines;  // a torn last line after a crash, or junk
      continue;
    }
    const std::string model = e["model_id"], request = e["request_id"], type = e["type"];
    if (type != "impression" && type != "click" && type != "add_to_cart" && type != "purchase") {
      ++out.skipped_lines;
      continue;
    }
    OnlineCounts& c = out.by_model[model];
    Seen& s = seen[model];
    ++c.events;
    const std::string at = e.value("received_at", std::string());
    if (!at.empty() && (c.first_event.empty() || at < c.first_event)) c.first_event = at;
    if (at > c.last_event) c.last_event = at;
    if (s.any.insert(request).second) ++c.responses;
    if (type == "click" && s.clicked.insert(request).second) ++c.clicked;
    if (type == "add_to_cart" && s.carted.insert(request).second) ++c.carted;
    if (type == "purchase" && s.converted.insert(request).second) ++c.converted;
  }
  return out;
}

}  // namespace hybridrec::report
