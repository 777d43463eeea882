#pragma once
// Metric, parameter and tag names as MLflow accepts them. MLflow allows only
// ASCII letters, digits, '_', '-', '.', ' ' and '/' in a name, and since its file
// store keeps each one as a file path, a name must be its own normalised path
// (no leading, trailing or doubled '/', no "." or ".." component). Our metric
// names ("test_ndcg@10") break the first rule, so an export renames them:
//   1. "@" becomes "_at_"                 (test_ndcg@10 -> test_ndcg_at_10)
//   2. any other character MLflow refuses becomes "_"   (hit:rate -> hit_rate)
//   3. '/' runs collapse, leading/trailing '/' go, a "." or ".." component
//      becomes "_" or "__"                 (/val//ndcg/ -> val/ndcg)
//   4. an empty result becomes "_"; longer than 250 bytes is cut to 250
//   5. names are taken in sorted order of the originals. A later name that
//      would need a folder where an earlier one is a file, or the reverse
//      (loss, then loss/train), has its '/' replaced by '_' (loss_train); a
//      later name equal to an earlier one (ndcg@10 after ndcg:at:10, both
//      ndcg_at_10) gets the first free "_2", "_3", ... suffix.
#include <map>
#include <string>
#include <vector>

namespace hybridrec::store {

// Rules 1-4 for one name.
std::string mlflow_safe_name(const std::string& name);

// Rules 1-5 for a set of names (one run's metrics, params or tags): original -> exported.
std::map<std::string, std::string> mlflow_names(const std::vector<std::string>& originals);

// Whether MLflow accepts `name` as a metric, parameter or tag key (what the test checks exports against).
bool is_valid_mlflow_name(const std::string& name);

}  // namespace hybridrec::store
