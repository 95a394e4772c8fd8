// RecordStream: runs one COPY ... TO STDOUT statement on its own connection in a background thread
// and hands its rows to the consumer in blocks through a bounded queue. Several sorted streams can
// so be walked side by side (a merge join) with flat memory, while the servers sort and send and
// the consumer compares at the same time.
//
// An optional handler turns each raw COPY row into zero or more records (the source stream runs
// the row program there, on the streaming thread); by default a record is the raw row without
// its newline.
//
// Thread-safety: the handler runs on the stream's thread; next() is called by one consumer
// thread. Destroying a stream cancels the statement and joins the thread.
#pragma once

#include <atomic>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "engine/common/bounded_queue.h"
#include "engine/pg/connection.h"

namespace mapengine::validate {

struct RecordBlock {
  std::string data;
  std::vector<size_t> ends;  // end offset of each record in `data`

  void add(std::string_view record) {
    data.append(record);
    ends.push_back(data.size());
  }
};

class RecordStream {
 public:
  // Appends the records made from one COPY row (without its newline) to `block`.
  using Handler = std::function<void(std::string_view row, RecordBlock& block)>;

  // Connects with `conninfo`, runs `setup` (for example BEGIN ... READ ONLY; SET LOCAL ...),
  // then `copy_sql`, then COMMIT. REQUIRES: copy_sql is a COPY ... TO STDOUT in text format.
  RecordStream(std::string conninfo, std::string role, std::vector<std::string> setup,
               std::string copy_sql, Handler handler = {});
  RecordStream(const RecordStream&) = delete;
  RecordStream& operator=(const RecordStream&) = delete;
  ~RecordStream();

  // The next record, valid until the following call. false at the end of the stream. Throws the
  // Error that stopped the streaming thread, if any.
  bool next(std::string_view& record);

 private:
  void produce();
  void finish();

  std::string conninfo_;
  std::string role_;
  std::vector<std::string> setup_;
  std::string copy_sql_;
  Handler handler_;
  BoundedQueue<RecordBlock> queue_{4};
  std::atomic<bool> stop_{false};
  std::exception_ptr failure_;  // written by the thread before it closes the queue
  std::mutex live_mutex_;
  pg::Connection* live_ = nullptr;  // the streaming connection, for cancelling
  std::thread thread_;
  std::optional<RecordBlock> current_;
  size_t index_ = 0;
  bool ended_ = false;
};

}  // namespace mapengine::validate
