#include "engine/validate/record_stream.h"

#include "engine/common/error.h"

namespace mapengine::validate {
namespace {

constexpr size_t kBlockRecords = 2000;
constexpr size_t kBlockBytes = 1 << 20;

}  // namespace

RecordStream::RecordStream(std::string conninfo, std::string role, std::vector<std::string> setup,
                           std::string copy_sql, Handler handler)
    : conninfo_(std::move(conninfo)),
      role_(std::move(role)),
      setup_(std::move(setup)),
      copy_sql_(std::move(copy_sql)),
      handler_(std::move(handler)) {
  thread_ = std::thread([this] { produce(); });
}

RecordStream::~RecordStream() {
  stop_ = true;
  queue_.close();
  {
    // The server may be busy sorting before it sends the first row: cancel rather than wait.
    std::lock_guard lock(live_mutex_);
    if (live_ != nullptr) live_->cancel();
  }
  if (thread_.joinable()) thread_.join();
}

void RecordStream::produce() {
  try {
    pg::Connection connection(conninfo_, role_);
    {
      std::lock_guard lock(live_mutex_);
      live_ = &connection;
    }
    struct Unpublish {
      RecordStream* self;
      ~Unpublish() {
        std::lock_guard lock(self->live_mutex_);
        self->live_ = nullptr;
      }
    } unpublish{this};
    for (const auto& statement : setup_) connection.exec(statement);
    RecordBlock block;
    bool open = true;
    auto flush = [&] {
      if (block.ends.empty()) return true;
      bool pushed = queue_.push(std::move(block));
      block = RecordBlock();
      return pushed;
    };
    if (stop_) {
      queue_.close();
      return;
    }
    std::exception_ptr handler_failure;  // thrown by the handler: stop the COPY cleanly first
    connection.copy_out(copy_sql_, [&](std::string_view chunk) {
      if (stop_) return open = false;
      try {
        // A chunk holds one or more whole rows, each ending with a newline.
        while (!chunk.empty()) {
          size_t end = chunk.find('\n');
          std::string_view row = chunk.substr(0, end);
          chunk = end == std::string_view::npos ? std::string_view() : chunk.substr(end + 1);
          if (handler_) {
            handler_(row, block);
          } else {
            block.add(row);
          }
        }
      } catch (...) {
        handler_failure = std::current_exception();
        return open = false;
      }
      if (block.ends.size() >= kBlockRecords || block.data.size() >= kBlockBytes) {
        open = flush();
      }
      return open;
    });
    if (handler_failure) std::rethrow_exception(handler_failure);
    if (open && !stop_) {
      flush();
      if (connection.in_transaction()) connection.exec("COMMIT");
    }
  } catch (...) {
    failure_ = std::current_exception();
  }
  queue_.close();
}

void RecordStream::finish() {
  ended_ = true;
  if (thread_.joinable()) thread_.join();
  if (failure_) std::rethrow_exception(failure_);
}

bool RecordStream::next(std::string_view& record) {
  for (;;) {
    if (ended_) return false;
    if (current_ && index_ < current_->ends.size()) {
      size_t begin = index_ == 0 ? 0 : current_->ends[index_ - 1];
      record = std::string_view(current_->data).substr(begin, current_->ends[index_] - begin);
      ++index_;
      return true;
    }
    current_ = queue_.pop();
    index_ = 0;
    if (!current_) {
      finish();
      return false;
    }
  }
}

}  // namespace mapengine::validate
