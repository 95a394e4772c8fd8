// with_retries: the one way mapengine redoes work after a transient error (Error::is_transient:
// the connection was lost, the server is restarting or failing over, a serialization failure, a
// deadlock).
//
// The budget is a duration, not a count: a server restart or a failover takes seconds to a
// minute whatever the work, so an operation is retried until it has failed for `budget` since
// its first failure (--retry-for, 60 s by default). Waits between attempts double from 200 ms to
// at most 5 s, and the next wait is cut so as not to overshoot the budget. `max_attempts` >= 0
// (the deprecated --retries) caps the number of retries too.
//
// The caller's duty: `step` must be safe to run again after it failed part way (a batch rolls
// back whole; the state updates are idempotent), and `before_retry` must drop whatever the failed
// attempt left broken (typically the connection, so that the next attempt opens a new one).
//
// Thread-safety: with_retries may run in any number of threads at once.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <string_view>

#include "engine/common/error.h"

namespace mapengine {

struct RetryPolicy {
  std::chrono::milliseconds budget{60000};
  int max_attempts = -1;                       // retries at most; -1: only the budget counts
  const std::atomic<bool>* interrupted = nullptr;  // no further attempt once set
};

// Parses a duration: "60s", "2min", "1500ms", "1h", or a bare number of seconds.
// Throws Error(kUsage) naming `flag` when it is not one.
std::chrono::milliseconds parse_duration(std::string_view text, std::string_view flag);

// After transient `error` in attempt `attempt` (0 for the first) of `what`: when the policy
// allows another attempt, logs it (event "retry") and sleeps; returns false when the error is
// to be thrown instead (not transient, budget spent, or interrupted).
bool wait_before_retry(const RetryPolicy& policy, std::string_view what, const Error& error,
                       int attempt, std::chrono::steady_clock::time_point first_failure);

// Runs `step()` until it succeeds, retrying transient errors as the policy allows; returns what
// `step` returns. `what` names the work in the log ("parts: batch 12").
template <typename Step>
auto with_retries(const RetryPolicy& policy, std::string_view what, Step&& step,
                  const std::function<void()>& before_retry = {}) -> decltype(step()) {
  std::chrono::steady_clock::time_point first_failure;
  for (int attempt = 0;; ++attempt) {
    try {
      return step();
    } catch (const Error& e) {
      if (attempt == 0) first_failure = std::chrono::steady_clock::now();
      if (!wait_before_retry(policy, what, e, attempt, first_failure)) throw;
      if (before_retry) before_retry();
    }
  }
}

}  // namespace mapengine
