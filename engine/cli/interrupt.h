// Ctrl-C handling: the first SIGINT or SIGTERM asks the run to stop after the current batch
// (committed or rolled back, never half-written); a statement still waiting kGraceAfterInterrupt
// later (a lock, a server that does not answer) is cancelled by the wait watcher
// (engine/pg/wait_watcher.h). A second one ends the process at once (the open batch transaction
// is then rolled back by the server).
#pragma once

#include <atomic>

namespace mapengine::cli {

// Installs the handlers; returns the flag they set.
const std::atomic<bool>& install_interrupt_handler();

}  // namespace mapengine::cli
