#include "data/load_config.h"

#include <sstream>

#include "core/error.h"
#include "core/text.h"
#include "data/column_mapping.h"

namespace hybridrec {

namespace {

std::string text_at(const nlohmann::json& j, const std::string& key, const std::string& where) {
  if (!j.contains(key) || j[key].is_null()) return "";
  if (j[key].is_number_integer()) return std::to_string(j[key].get<long long>());  // a position
  if (!j[key].is_string()) throw ConfigError(where + "." + key + " must be a string (a column name or position)");
  return j[key].get<std::string>();
}

constexpr ColumnRole kRoles[] = {ColumnRole::User,   ColumnRole::Item,  ColumnRole::Time, ColumnRole::Rating,
                                 ColumnRole::Weight, ColumnRole::Event, ColumnRole::Split};

void set_if(std::string& target, const std::string& value) {
  if (!value.empty() && value != "auto") target = value;
}

}  // namespace

std::vector<std::string> parse_column_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream ss(text);
  std::string part;
  while (std::getline(ss, part, ',')) out.emplace_back(trim(part));
  return out;
}

void apply_data_config(const nlohmann::json& data, LoadOptions& o) {
  if (!data.is_object()) return;
  set_if(o.format, text_at(data, "format", "data"));
  set_if(o.separator, text_at(data, "separator", "data"));
  set_if(o.weight_transform, text_at(data, "weight_transform", "data"));
  if (data.contains("columns") && !data["columns"].is_null()) {
    const auto& c = data["columns"];
    if (!c.is_object())
      throw ConfigError("data.columns must be a map of role -> column (user, item, time, rating, weight, event, split)");
    for (auto it = c.begin(); it != c.end(); ++it) {
      bool known = false;
      for (ColumnRole role : kRoles)
        if (it.key() == role_name(role)) {
          set_if(column_option(o, role), text_at(c, it.key(), "data.columns"));
          known = true;
        }
      if (!known)
        throw ConfigError("data.columns." + it.key() +
                          ": unknown role (expected user, item, time, rating, weight, event, split)");
    }
  }
  if (data.contains("column_order") && data["column_order"].is_array() && !data["column_order"].empty())
    o.columns = data["column_order"].get<std::vector<std::string>>();
  if (data.contains("header") && data["header"].is_boolean()) o.header = data["header"].get<bool>();
  auto roles = [&](const char* key, std::map<std::string, std::string>& out) {
    if (!data.contains(key) || data[key].is_null()) return;
    if (!data[key].is_object())
      throw ConfigError(std::string("data.") + key + " must map column names to categorical, multi, multi:SEP, "
                        "numeric or ignore");
    for (auto it = data[key].begin(); it != data[key].end(); ++it) out[it.key()] = it.value().get<std::string>();
  };
  roles("item_roles", o.item_roles);
  roles("user_roles", o.user_roles);
  if (auto t = text_at(data, "items", "data"); !t.empty()) o.items_file = t;
  if (auto t = text_at(data, "users", "data"); !t.empty()) o.users_file = t;
  set_if(o.item_key, text_at(data, "item_key", "data"));
  set_if(o.user_key, text_at(data, "user_key", "data"));
  if (data.contains("item_links") && data["item_links"].is_array() && !data["item_links"].empty()) {
    o.item_links.clear();
    for (const auto& link : data["item_links"]) o.item_links.emplace_back(link.get<std::string>());
  }
  if (data.contains("split_files") && data["split_files"].is_object()) {
    const auto& f = data["split_files"];
    if (auto t = text_at(f, "train", "data.split_files"); !t.empty()) o.split_train = t;
    if (auto t = text_at(f, "validation", "data.split_files"); !t.empty()) o.split_validation = t;
    if (auto t = text_at(f, "test", "data.split_files"); !t.empty()) o.split_test = t;
  }
}

nlohmann::json load_options_to_json(const LoadOptions& o) {
  nlohmann::json columns = nlohmann::json::object();
  for (ColumnRole role : kRoles) columns[std::string(role_name(role))] = column_option(o, role);
  nlohmann::json j = {{"format", o.format},
                      {"separator", o.separator},
                      {"columns", columns},
                      {"column_order", o.columns},
                      {"weight_transform", o.weight_transform}};
  if (o.header) j["header"] = *o.header;
  auto absolute = [](const std::filesystem::path& p) {
    return p.empty() ? std::string() : std::filesystem::absolute(p).string();
  };
  j["items"] = absolute(o.items_file);
  j["users"] = absolute(o.users_file);
  j["item_key"] = o.item_key;
  j["user_key"] = o.user_key;
  j["item_links"] = nlohmann::json::array();
  for (const auto& link : o.item_links) j["item_links"].push_back(absolute(link));
  j["item_roles"] = o.item_roles;
  j["user_roles"] = o.user_roles;
  if (o.supplied_split_files())
    j["split_files"] = {{"train", std::filesystem::absolute(o.split_train).string()},
                        {"validation", o.split_validation.empty() ? std::string()
                                                                  : std::filesystem::absolute(o.split_validation).string()},
                        {"test", std::filesystem::absolute(o.split_test).string()}};
  return j;
}

void overlay_load_options(const LoadOptions& flags, LoadOptions& base) {
  const LoadOptions defaults;
  set_if(base.format, flags.format);
  set_if(base.separator, flags.separator);
  for (ColumnRole role : kRoles) set_if(column_option(base, role), column_option(flags, role));
  if (flags.weight_transform != defaults.weight_transform) base.weight_transform = flags.weight_transform;
  if (!flags.columns.empty()) base.columns = flags.columns;
  if (flags.header) base.header = flags.header;
  if (!flags.items_file.empty()) base.items_file = flags.items_file;
  if (!flags.users_file.empty()) base.users_file = flags.users_file;
  set_if(base.item_key, flags.item_key);
  set_if(base.user_key, flags.user_key);
  if (!flags.item_links.empty()) base.item_links = flags.item_links;
  for (const auto& [k, v] : flags.item_roles) base.item_roles[k] = v;
  for (const auto& [k, v] : flags.user_roles) base.user_roles[k] = v;
  if (flags.supplied_split_files()) {
    base.split_train = flags.split_train;
    base.split_validation = flags.split_validation;
    base.split_test = flags.split_test;
  }
}

}  // namespace hybridrec
