// Bounded waits: every statement a Connection sends is registered while it runs, so that one
// watcher thread can say what the process is waiting for and end the wait on Ctrl-C.
//
//  - A statement still running after kReportAfter is logged once, then every kReportEvery, with
//    what the server says its backend waits for (pg_stat_activity: wait event, and the session
//    holding the lock, when there is one), read on a connection of the watcher's own.
//  - Once the interrupt flag is set, a statement still running kGraceAfterInterrupt later (a
//    batch normally ends well within it) is cancelled (PQcancel). Its error then counts as the
//    interruption (ErrorKind::kInterrupted), not as a database failure: the batch rolls back,
//    committed batches stay, and the command exits like any interrupted run.
//
// Connecting is bounded separately: Connection gives libpq a connect_timeout unless the
// connection string or PGCONNECT_TIMEOUT sets one.
//
// Thread-safety: WaitScope and wait_was_cancelled may be used from any thread; one WaitWatcher
// per process, created and destroyed by the main thread.
#pragma once

#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace mapengine::pg {

inline constexpr std::chrono::seconds kReportAfter{5};
inline constexpr std::chrono::seconds kReportEvery{30};
inline constexpr std::chrono::seconds kGraceAfterInterrupt{2};

// What a running statement is, for the watcher. Filled by Connection.
struct WaitInfo {
  std::shared_ptr<PGcancel> cancel;  // may be null (then the wait cannot be cancelled)
  std::string role;                  // "source" / "target"
  std::string what;                  // `statement "COPY ..."`
  std::string conninfo;              // to look the backend up (never printed)
  int backend_pid = 0;
};

// Registers a wait for its lifetime.
class WaitScope {
 public:
  explicit WaitScope(WaitInfo info);
  ~WaitScope();
  WaitScope(const WaitScope&) = delete;
  WaitScope& operator=(const WaitScope&) = delete;

 private:
  std::uint64_t id_;
};

// True once the watcher has cancelled a statement because the user asked to stop.
bool wait_was_cancelled();

class WaitWatcher {
 public:
  // `interrupted` (may be null) is the flag set by the first SIGINT/SIGTERM; it must outlive
  // the watcher.
  explicit WaitWatcher(const std::atomic<bool>* interrupted);
  ~WaitWatcher();
  WaitWatcher(const WaitWatcher&) = delete;
  WaitWatcher& operator=(const WaitWatcher&) = delete;

 private:
  void watch();

  const std::atomic<bool>* interrupted_;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace mapengine::pg
