#pragma once
// A request the server refuses: carries the HTTP status (4xx) and a message that
// says what was wrong, returned to the client as {"error": message}.
#include "core/error.h"

namespace hybridrec::serve {

class RequestError : public Error {
 public:
  RequestError(int status, const std::string& message) : Error(message), status_(status) {}
  int status() const { return status_; }

 private:
  int status_;
};

}  // namespace hybridrec::serve
