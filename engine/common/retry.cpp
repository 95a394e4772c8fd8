#include "engine/common/retry.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <thread>

#include "engine/common/log.h"

namespace mapengine {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::chrono::milliseconds kFirstWait{200};
constexpr std::chrono::milliseconds kLongestWait{5000};

}  // namespace

std::chrono::milliseconds parse_duration(std::string_view text, std::string_view flag) {
  size_t digits = 0;
  while (digits < text.size() && std::isdigit(static_cast<unsigned char>(text[digits]))) {
    ++digits;
  }
  std::string_view unit = text.substr(digits);
  long long amount = digits == 0 || digits > 9 ? -1 : std::stoll(std::string(text.substr(0, digits)));
  long long factor = unit.empty() || unit == "s" ? 1000
                     : unit == "ms"              ? 1
                     : unit == "min" || unit == "m" ? 60000
                     : unit == "h"               ? 3600000
                                                 : -1;
  if (amount < 0 || factor < 0) {
    throw Error::usage(fmt::format("{} takes a duration such as 60s, 2min or 500ms, not \"{}\"",
                                   flag, text));
  }
  return std::chrono::milliseconds(amount * factor);
}

bool wait_before_retry(const RetryPolicy& policy, std::string_view what, const Error& error,
                       int attempt, Clock::time_point first_failure) {
  if (!error.is_transient()) return false;
  if (policy.max_attempts >= 0 && attempt >= policy.max_attempts) return false;
  if (policy.interrupted != nullptr && policy.interrupted->load()) return false;
  auto spent = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - first_failure);
  if (spent >= policy.budget) return false;
  std::chrono::milliseconds wait = kFirstWait * (1LL << std::min(attempt, 5));
  wait = std::min({wait, kLongestWait, policy.budget - spent});
  log_event(spdlog::level::warn, "retry",
            fmt::format("{} failed ({}); retrying in {} ms ({:.1f} s of the {:.0f} s retry "
                        "budget spent)",
                        what, error.what(), wait.count(), spent.count() / 1000.0,
                        policy.budget.count() / 1000.0),
            {{"what", what}, {"attempt", attempt + 1}, {"wait_ms", wait.count()}});
  // In slices, so that Ctrl-C is not kept waiting.
  auto until = Clock::now() + wait;
  while (Clock::now() < until) {
    if (policy.interrupted != nullptr && policy.interrupted->load()) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(until - Clock::now(),
                                                          std::chrono::milliseconds(100)));
  }
  return true;
}

}  // namespace mapengine
