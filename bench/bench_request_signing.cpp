// What signing costs a response and checking costs an event (issue #17): one
// RequestSigner::issue per served response (nonce, HMAC-SHA256, a keyed
// fingerprint per item) and one verify + in_response per posted event, timed in
// process beside the unsigned id the server issued before (model prefix and a
// counter, formatted), so the ratio is measured in one run.
//   build/bench/bench_request_signing [K=10] [ITERATIONS=200000]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "serve/request_signing.h"

using namespace hybridrec::serve;

namespace {
template <class F>
double microseconds_per_call(int iterations, F&& f) {
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) f(i);
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / iterations;
}
}  // namespace

int main(int argc, char** argv) {
  const int k = argc > 1 ? std::atoi(argv[1]) : 10;
  const int iterations = argc > 2 ? std::atoi(argv[2]) : 200000;
  const RequestSigner signer(std::string(32, '\x5a'));
  std::vector<std::string> items;
  for (int i = 0; i < k; ++i) items.push_back(fmt::format("i{:05d}", i * 37));
  const std::int64_t now = 1'700'000'000;
  std::size_t sink = 0;
  const double unsigned_us = microseconds_per_call(iterations, [&](int i) {
    sink += fmt::format("rec-model-v1.0.0-{:016x}", static_cast<unsigned>(i)).size();
  });
  const double issue_us = microseconds_per_call(iterations, [&](int i) {
    sink += signer.issue("rec-model-v1.0.0", "u" + std::to_string(i % 1000), items, now).size();
  });
  const std::string id = signer.issue("rec-model-v1.0.0", "u42", items, now);
  const double verify_us = microseconds_per_call(iterations, [&](int i) {
    const IssuedRequest r = signer.verify(id, now + 60, 86400);
    sink += signer.in_response(r, items[static_cast<std::size_t>(i % k)]);
  });
  std::printf("k=%d, %d iterations: unsigned id %.3f us; signed issue %.3f us (%.1fx, +%.3f us per response); "
              "verify + in_response %.3f us per event (sink %zu)\n",
              k, iterations, unsigned_us, issue_us, issue_us / unsigned_us, issue_us - unsigned_us, verify_us, sink);
}
