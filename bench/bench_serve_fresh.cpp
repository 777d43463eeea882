// Load generator for bench/run_serve_bench.sh's "every request follows an event"
// case (issue #19): each client thread runs sessions of one user u: a first
// GET /v1/recommendations/u?k=10 (untimed), then `--session` times { POST
// /v1/events (a click or a purchase of an item of u's last response, with that
// response's signed request_id, as a shop's page would send it), then GET
// /v1/recommendations/u?k=10 }, timing those GETs alone, so the latency fold-in
// adds (history lookup, exclusion, re-scoring after the cache entry went stale)
// is seen without the event's fsync. Prints GET p50/p99, timed GETs/s and
// events/s on one line.
//
// Usage: bench_serve_fresh --port P --users FILE [--threads 16]
//        [--seconds 10] [--new-users 0.25] [--session 4]
#include <Eigen/Core>  // before httplib.h: its <resolv.h> `_res` macro breaks Eigen's headers
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

std::vector<std::string> read_lines(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int port = 0, threads = 16, session = 4;
  double seconds = 10, new_share = 0.25;
  std::string users_file;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--port") port = std::stoi(value);
    else if (flag == "--threads") threads = std::stoi(value);
    else if (flag == "--seconds") seconds = std::stod(value);
    else if (flag == "--new-users") new_share = std::stod(value);
    else if (flag == "--session") session = std::max(1, std::stoi(value));
    else if (flag == "--users") users_file = value;
    else {
      std::fprintf(stderr, "unknown flag %s\n", flag.c_str());
      return 2;
    }
  }
  const auto users = read_lines(users_file);
  if (!port || users.empty()) {
    std::fprintf(stderr, "usage: bench_serve_fresh --port P --users FILE [--threads N] [--seconds S] [--session N]\n");
    return 2;
  }
  std::atomic<bool> stop{false};
  std::atomic<long> errors{0};
  std::vector<std::vector<double>> latencies(threads);
  std::vector<long> events(threads, 0);
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      httplib::Client client("127.0.0.1", port);
      client.set_keep_alive(true);
      // Headers and body leave in separate writes: with Nagle on, every POST would
      // wait for the server's delayed ACK (~40 ms) and bound the loop, not serving.
      client.set_tcp_nodelay(true);
      client.set_read_timeout(30, 0);
      std::mt19937_64 rng(1234 + t);
      std::uniform_real_distribution<double> coin(0, 1);
      auto get = [&](const std::string& user, nlohmann::json& answer) {
        auto got = client.Get(("/v1/recommendations/" + user + "?k=10").c_str());
        if (!got || got->status != 200) return ++errors, false;
        answer = nlohmann::json::parse(got->body);
        return true;
      };
      while (!stop.load(std::memory_order_relaxed)) {
        const std::string user = coin(rng) < new_share ? "new-" + std::to_string(rng() % 2000)
                                                       : users[rng() % users.size()];
        nlohmann::json last;
        if (!get(user, last)) continue;  // the page the session starts from, untimed
        for (int step = 0; step < session && !stop.load(std::memory_order_relaxed); ++step) {
          const auto& shown = last["items"];
          if (shown.empty()) break;
          const nlohmann::json event = {{"type", coin(rng) < 0.5 ? "click" : "purchase"},
                                        {"request_id", last["request_id"]},
                                        {"item_id", shown[rng() % shown.size()]["item_id"]}};
          auto posted = client.Post("/v1/events", event.dump(), "application/json");
          if (!posted || posted->status != 200) ++errors;
          ++events[t];
          const auto start = std::chrono::steady_clock::now();
          nlohmann::json next;
          const bool ok = get(user, next);
          latencies[t].push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
          if (!ok) break;
          last = std::move(next);
        }
      }
    });
  const auto began = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  std::vector<double> all;
  long total_events = 0;
  for (int t = 0; t < threads; ++t) {
    all.insert(all.end(), latencies[t].begin(), latencies[t].end());
    total_events += events[t];
  }
  if (all.empty()) {
    std::printf("no requests completed (errors %ld)\n", errors.load());
    return 1;
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all[std::min(all.size() - 1, static_cast<std::size_t>(p * all.size()))]; };
  std::printf("GET p50 %.2f ms  p99 %.2f ms  GETs/s %.0f  events/s %.0f  errors %ld\n", pct(0.50), pct(0.99),
              all.size() / elapsed, total_events / elapsed, errors.load());
  return errors.load() ? 1 : 0;
}
