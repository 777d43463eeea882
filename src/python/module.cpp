// _hybridrec: the Python package's native part (pybind11 over the library, a
// layer on top like cli/). python/hybridrec/model.py wraps it in the
// implicit/LightFM-style Model; this file only moves data across: configuration
// as JSON text, ids as strings, indices and scores as numpy arrays. The GIL is
// released around everything that takes time (fit, batch recommend, evaluate).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <filesystem>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "data/load_config.h"
#include "model/model_families.h"
#include "python/native_model.h"
#include "train/config.h"

namespace py = pybind11;
using namespace hybridrec;

namespace {

using IndexArray = py::array_t<std::uint32_t, py::array::c_style | py::array::forcecast>;

std::span<const std::uint32_t> as_span(const IndexArray& a) {
  if (a.ndim() != 1) throw Error("expected a 1-D array of indices");
  return {a.data(), static_cast<std::size_t>(a.size())};
}

// (indices [n, k] int64 padded with -1, scores [n, k] float32 padded with NaN)
py::tuple to_arrays(const std::vector<std::vector<ScoredItem>>& lists, std::size_t k) {
  const auto n = static_cast<py::ssize_t>(lists.size());
  const auto kk = static_cast<py::ssize_t>(k);
  py::array_t<std::int64_t> ids({n, kk});
  py::array_t<float> scores({n, kk});
  auto i = ids.mutable_unchecked<2>();
  auto s = scores.mutable_unchecked<2>();
  for (py::ssize_t u = 0; u < n; ++u)
    for (py::ssize_t r = 0; r < kk; ++r) {
      const bool has = static_cast<std::size_t>(r) < lists[u].size();
      i(u, r) = has ? lists[u][r].item : -1;
      s(u, r) = has ? lists[u][r].score : std::numeric_limits<float>::quiet_NaN();
    }
  return py::make_tuple(ids, scores);
}

}  // namespace

PYBIND11_MODULE(_hybridrec, m) {
  m.doc() = "hybridrec's C++ library (use the hybridrec package, not this module)";

  // C++ errors keep their message; the hierarchy maps onto Python's (a bad
  // setting or bad data is a ValueError). Translators registered later are tried first.
  py::register_exception<Error>(m, "Error", PyExc_RuntimeError);
  py::register_exception<ConfigError>(m, "ConfigError", PyExc_ValueError);
  py::register_exception<DataError>(m, "DataError", PyExc_ValueError);

  m.def("default_config", [] { return default_config().dump(); }, "configs/default.yaml as JSON text");
  m.def(
      "resolve_config",
      [](const std::optional<std::string>& config_file, const std::vector<std::string>& overrides,
         const std::string& overlay_json) {
        nlohmann::json config =
            load_config(config_file ? std::optional<std::filesystem::path>(*config_file) : std::nullopt, overrides);
        merge_config(config, nlohmann::json::parse(overlay_json));
        return config.dump();
      },
      py::arg("config_file"), py::arg("overrides"), py::arg("overlay_json"),
      "the merged configuration: defaults, a YAML file, section.key=value overrides, then a JSON overlay");
  m.def("model_families", [] { return model_family_names(true); });

  py::class_<NativeModel>(m, "NativeModel")
      .def_static("fit", &NativeModel::fit, py::arg("config_json"), py::arg("data_path"), py::arg("users_file"),
                  py::arg("items_file"), py::arg("out_dir"), py::arg("quiet"),
                  py::call_guard<py::gil_scoped_release>())
      .def_static("load", &NativeModel::load, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def("save", &NativeModel::save, py::arg("path"), py::call_guard<py::gil_scoped_release>())
      .def_property_readonly("family", [](const NativeModel& m) { return m.bundle().type(); })
      .def_property_readonly("config_json", [](const NativeModel& m) { return m.bundle().config.dump(); })
      .def_property_readonly("metrics_json", [](const NativeModel& m) { return m.metrics().dump(); })
      .def_property_readonly("user_ids", [](const NativeModel& m) { return m.bundle().users.ids(); })
      .def_property_readonly("item_ids", [](const NativeModel& m) { return m.bundle().items.ids(); })
      .def_property_readonly("serves_cold_users_from_attributes",
                             [](const NativeModel& m) { return m.bundle().route_new_user(true) == Route::content; })
      .def("find_users",
           [](const NativeModel& m, const std::vector<std::string>& ids) {
             py::array_t<std::int64_t> out(static_cast<py::ssize_t>(ids.size()));
             auto o = out.mutable_unchecked<1>();
             for (std::size_t i = 0; i < ids.size(); ++i) {
               auto index = m.bundle().users.find(ids[i]);
               o(static_cast<py::ssize_t>(i)) = index ? static_cast<std::int64_t>(*index) : -1;
             }
             return out;
           })
      .def("find_items",
           [](const NativeModel& m, const std::vector<std::string>& ids) {
             py::array_t<std::int64_t> out(static_cast<py::ssize_t>(ids.size()));
             auto o = out.mutable_unchecked<1>();
             for (std::size_t i = 0; i < ids.size(); ++i) {
               auto index = m.bundle().items.find(ids[i]);
               o(static_cast<py::ssize_t>(i)) = index ? static_cast<std::int64_t>(*index) : -1;
             }
             return out;
           })
      .def("seen_items",
           [](const NativeModel& m, std::uint32_t user) {
             if (user >= m.bundle().seen.size()) return std::vector<std::uint32_t>{};
             return m.bundle().seen[user];
           })
      .def(
          "recommend",
          [](const NativeModel& m, const IndexArray& users, std::size_t k, bool exclude_seen, int threads) {
            std::vector<std::vector<ScoredItem>> lists;
            std::vector<std::string> routes;
            {
              py::gil_scoped_release release;
              lists = m.recommend(as_span(users), k, exclude_seen, threads, &routes);
            }
            py::tuple arrays = to_arrays(lists, k);
            return py::make_tuple(arrays[0], arrays[1], routes);
          },
          py::arg("users"), py::arg("k"), py::arg("exclude_seen"), py::arg("threads"))
      .def(
          "recommend_new_users",
          [](const NativeModel& m, const std::vector<std::map<std::string, std::string>>& attributes, std::size_t k) {
            std::vector<std::vector<ScoredItem>> lists;
            std::vector<std::string> routes;
            {
              py::gil_scoped_release release;
              lists = m.recommend_new_users(attributes, k, &routes);
            }
            py::tuple arrays = to_arrays(lists, k);
            return py::make_tuple(arrays[0], arrays[1], routes);
          },
          py::arg("attributes"), py::arg("k"))
      .def(
          "similar_items",
          [](const NativeModel& m, const IndexArray& items, std::size_t k) {
            std::vector<std::vector<ScoredItem>> lists;
            {
              py::gil_scoped_release release;
              lists = m.similar_items(as_span(items), k);
            }
            return to_arrays(lists, k);
          },
          py::arg("items"), py::arg("k"))
      .def(
          "score",
          [](const NativeModel& m, const IndexArray& users, const IndexArray& items) {
            std::vector<float> scores;
            {
              py::gil_scoped_release release;
              scores = m.score(as_span(users), as_span(items));
            }
            return py::array_t<float>(static_cast<py::ssize_t>(scores.size()), scores.data());
          },
          py::arg("users"), py::arg("items"))
      .def("evaluate", &NativeModel::evaluate, py::arg("data_path"), py::arg("users_file"), py::arg("items_file"),
           py::arg("part"), py::arg("ks"), py::call_guard<py::gil_scoped_release>());
}
