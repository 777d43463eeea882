#pragma once
// A crowd of bad clients on loopback for the slow-client tests of `serve` and
// `ui`: connections that connect and say nothing, and connections that trickle
// a request line a byte at a time and never finish it. It only ever connects to
// 127.0.0.1, and the destructor closes every socket (so a failing test still
// stops the crowd).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace hybridrec::testing {

// Raises the open-file limit to what `needed` sockets take; false when the
// hard limit is lower.
inline bool allow_open_files(std::size_t needed) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
  if (limit.rlim_cur >= needed) return true;
  if (limit.rlim_max < needed) return false;
  limit.rlim_cur = needed;
  return setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

class SlowClientCrowd {
 public:
  // Opens `idle` silent connections and `trickling` ones, then a thread sends
  // each trickling connection one more byte of an endless request line every
  // `period` until the crowd is destroyed.
  SlowClientCrowd(int port, std::size_t idle, std::size_t trickling,
                  std::chrono::milliseconds period = std::chrono::milliseconds(250)) {
    for (std::size_t i = 0; i < idle; ++i) idle_.push_back(connect_loopback(port));
    for (std::size_t i = 0; i < trickling; ++i) trickling_.push_back(connect_loopback(port));
    trickler_ = std::thread([this, period] {
      static const std::string line = "GET /healthz?slow=" + std::string(4000, 'x');
      for (std::size_t byte = 0; !stop_ && byte < line.size(); ++byte) {
        for (int fd : trickling_) (void)::send(fd, &line[byte], 1, MSG_NOSIGNAL | MSG_DONTWAIT);
        for (auto waited = std::chrono::milliseconds(0); !stop_ && waited < period; waited += std::chrono::milliseconds(10))
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
    });
  }
  ~SlowClientCrowd() {
    stop_ = true;
    trickler_.join();
    for (int fd : idle_) ::close(fd);
    for (int fd : trickling_) ::close(fd);
  }
  SlowClientCrowd(const SlowClientCrowd&) = delete;
  SlowClientCrowd& operator=(const SlowClientCrowd&) = delete;

  // How many of the crowd's connections the server has closed so far.
  std::size_t closed_by_server() const {
    std::size_t closed = 0;
    char byte;
    for (const auto* group : {&idle_, &trickling_})
      for (int fd : *group)
        if (::recv(fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK) == 0) ++closed;
    return closed;
  }

 private:
  static int connect_loopback(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) throw std::runtime_error("socket() failed: out of file descriptors?");
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd);
      throw std::runtime_error("connect() to 127.0.0.1 failed");
    }
    return fd;
  }

  std::vector<int> idle_, trickling_;
  std::atomic<bool> stop_{false};
  std::thread trickler_;
};

}  // namespace hybridrec::testing
