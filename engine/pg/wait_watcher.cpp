#include "engine/pg/wait_watcher.h"

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include "engine/common/error.h"
#include "engine/common/log.h"
#include "engine/pg/connection.h"

namespace mapengine::pg {
namespace {

using Clock = std::chrono::steady_clock;

struct Wait {
  WaitInfo info;
  Clock::time_point started;
  Clock::time_point next_report;
  bool cancelled = false;
};

std::mutex g_mutex;
std::map<std::uint64_t, Wait> g_waits;
std::uint64_t g_next_id = 0;
std::atomic<bool> g_cancelled{false};

// A wait to report, copied out of the registry.
struct Report {
  WaitInfo info;
  long long seconds = 0;
};

// What the server says the backend waits for, or empty when it cannot tell.
std::string describe_backend(const WaitInfo& info) {
  if (info.backend_pid == 0 || info.conninfo.empty()) return {};
  try {
    Connection lookup(info.conninfo, info.role);
    // In a transaction of its own, so that the timeout holds behind a transaction-mode pooler.
    std::vector<Result> results = lookup.exec_each(
        "BEGIN; SET LOCAL statement_timeout = '3s'; SELECT coalesce(a.wait_event_type || ' ' || a.wait_event, a.state, ''),"
        " b.pid, coalesce(b.application_name, ''), coalesce(b.state, ''),"
        " left(regexp_replace(coalesce(b.query, ''), '\\s+', ' ', 'g'), 120)"
        " FROM pg_stat_activity a"
        " LEFT JOIN pg_stat_activity b ON b.pid = (pg_blocking_pids(a.pid))[1]"
        " WHERE a.pid = " + std::to_string(info.backend_pid) + "; COMMIT");
    const Result& row = results.at(2);
    if (row.rows() != 1) return {};
    std::string text = fmt::format("the server reports {}", row.value(0, 0));
    if (!row.is_null(0, 1)) {
      text += fmt::format(", blocked by the session of pid {} ({}, {}: {})", row.value(0, 1),
                          row.value(0, 2), row.value(0, 3), row.value(0, 4));
    }
    return text;
  } catch (const Error&) {
    return {};
  }
}

void report(const Report& wait) {
  std::string server = describe_backend(wait.info);
  log_event(spdlog::level::warn, "waiting",
            fmt::format("{}: still waiting after {} s for {}{}{}; Ctrl-C stops the run", wait.info.role,
                        wait.seconds, wait.info.what, server.empty() ? "" : ": ", server),
            {{"role", wait.info.role},
             {"seconds", wait.seconds},
             {"backend_pid", wait.info.backend_pid}});
}

}  // namespace

WaitScope::WaitScope(WaitInfo info) {
  auto now = Clock::now();
  std::lock_guard lock(g_mutex);
  id_ = ++g_next_id;
  g_waits.emplace(id_, Wait{std::move(info), now, now + kReportAfter, false});
}

WaitScope::~WaitScope() {
  std::lock_guard lock(g_mutex);
  g_waits.erase(id_);
}

bool wait_was_cancelled() { return g_cancelled.load(); }

WaitWatcher::WaitWatcher(const std::atomic<bool>* interrupted)
    : interrupted_(interrupted), thread_([this] { watch(); }) {}

WaitWatcher::~WaitWatcher() {
  done_ = true;
  thread_.join();
}

void WaitWatcher::watch() {
  std::optional<Clock::time_point> interrupted_at;
  while (!done_) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    auto now = Clock::now();
    if (!interrupted_at && interrupted_ != nullptr && interrupted_->load()) interrupted_at = now;
    std::vector<Report> reports;
    std::vector<std::shared_ptr<PGcancel>> cancels;
    {
      std::lock_guard lock(g_mutex);
      for (auto& [id, wait] : g_waits) {
        if (interrupted_at && !wait.cancelled && wait.info.cancel &&
            now - std::max(*interrupted_at, wait.started) >= kGraceAfterInterrupt) {
          wait.cancelled = true;
          g_cancelled = true;  // before the cancel, so that the error is seen as the interrupt
          cancels.push_back(wait.info.cancel);
        } else if (!interrupted_at && now >= wait.next_report) {
          wait.next_report = now + kReportEvery;
          reports.push_back(
              {wait.info,
               std::chrono::duration_cast<std::chrono::seconds>(now - wait.started).count()});
        }
      }
    }
    // Outside the lock: a cancel request and a look-up each open a connection.
    for (const auto& cancel : cancels) {
      char error[256];
      PQcancel(cancel.get(), error, sizeof error);
    }
    for (const Report& wait : reports) {
      if (done_) break;
      report(wait);
    }
  }
}

}  // namespace mapengine::pg
