#include "engine/cli/interrupt.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <thread>

#include "engine/common/log.h"

namespace mapengine::cli {
namespace {

std::atomic<bool> g_interrupted{false};
int g_wake[2] = {-1, -1};  // the handler writes a byte; the announcer thread reads it

void on_signal(int signal_number) {
  if (g_interrupted.exchange(true)) {
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
    return;
  }
  // Only async-signal-safe work here: the message is printed by the announcer thread, under the
  // console lock, so that it is written above the live progress lines, never between them.
  char byte = 1;
  ssize_t ignored = ::write(g_wake[1], &byte, 1);
  (void)ignored;
}

void announce() {
  char byte = 0;
  while (::read(g_wake[0], &byte, 1) < 0 && errno == EINTR) {
  }
  print_event(spdlog::level::warn, "interrupt",
              "mapengine: stopping after the current batch; a statement still waiting in 2 s is "
              "cancelled (press Ctrl-C again to abort now)");
}

}  // namespace

const std::atomic<bool>& install_interrupt_handler() {
  if (g_wake[0] < 0) {
    if (::pipe2(g_wake, O_CLOEXEC) != 0) g_wake[0] = g_wake[1] = -1;
    // Waits on the pipe for the life of the process; nothing to join.
    if (g_wake[0] >= 0) std::thread(announce).detach();
  }
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
  return g_interrupted;
}

}  // namespace mapengine::cli
