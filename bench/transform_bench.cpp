// Transform throughput: runs typical column pipelines over generated values (1M by default) and
// prints values per second for each, next to the cost of a plain copy of the same values
// measured in the same run, so the ratio stays meaningful on any machine.
//
//   build/transform_bench [values] [pipeline-name-substring]
//
// Both loops read string_views into one contiguous buffer (as values arrive from COPY) and
// append each result to a reused output buffer (as the COPY writer does); the pipeline loop also
// runs the column's compiled pipeline. Each measurement is the best of three runs, in CPU time of
// the benchmark thread (so other load on the machine does not count).
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <time.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "engine/spec/mapping_spec.h"
#include "engine/transform/pipeline.h"

namespace {

using mapengine::ColumnPipeline;
using mapengine::Value;
// The calling thread's CPU time: on a shared machine, wall time mostly measures the neighbours.
struct ThreadCpuClock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<ThreadCpuClock>;
  static constexpr bool is_steady = true;
  static time_point now() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
  }
};
using Clock = ThreadCpuClock;

struct BenchCase {
  std::string name;
  std::vector<std::string> from;
  std::string steps;  // YAML flow list, as in a mapping file
  std::function<std::string(size_t row, size_t input)> value;
};

std::unique_ptr<ColumnPipeline> compile(const BenchCase& bench) {
  mapengine::spec::ColumnSpec column;
  column.name = bench.name;
  column.from = bench.from;
  for (const YAML::Node& node : YAML::Load(bench.steps)) {
    mapengine::spec::TransformStep step;
    if (node.IsScalar()) {
      step.name = node.Scalar();
    } else {
      step.name = node.begin()->first.Scalar();
      step.main = node.begin()->second;
      step.options = node;
    }
    column.transforms.push_back(step);
  }
  mapengine::Diagnostics diagnostics;
  auto pipeline = ColumnPipeline::compile(column, diagnostics);
  for (const auto& d : diagnostics.items()) fmt::print(stderr, "{}\n", d.to_string());
  if (!pipeline) std::exit(1);
  return pipeline;
}

// Seconds for the best of three runs of `body`.
double best_of_three(const std::function<void()>& body) {
  double best = 1e300;
  for (int run = 0; run < 3; ++run) {
    const auto start = Clock::now();
    body();
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t rows = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 1000000;
  const std::string only = argc > 2 ? argv[2] : "";
  const std::vector<BenchCase> cases = {
      {"trim+lower+null_if", {"email"}, "[trim, lower, {null_if: ''}]",
       [](size_t i, size_t) {
         if (i % 10 == 0) return std::string("   ");
         if (i % 3 == 0) return fmt::format("user{}@example.com", i);  // already clean
         return fmt::format("  User{}@Example.COM ", i);
       }},
      {"map", {"status"}, "[{map: {A: active, I: inactive, S: suspended}, default: unknown}]",
       [](size_t i, size_t) { return std::string(1, "AAAIISX"[i % 7]); }},
      {"scale", {"price"}, "[{scale: 100}]",
       [](size_t i, size_t) { return fmt::format("{}.{:02}", i % 100000, i % 100); }},
      {"assume_timezone", {"created_at"}, "[{assume_timezone: America/Chicago}]",
       [](size_t i, size_t) {
         return fmt::format("20{:02}-{:02}-{:02} {:02}:{:02}:{:02}", 10 + i % 30, 1 + i % 12,
                            1 + i % 28, i % 24, i % 60, (i * 7) % 60);
       }},
      {"join+trim", {"first_name", "last_name"}, "[{join: ' '}, trim]",
       [](size_t i, size_t input) {
         if (input == 0) return i % 5 == 0 ? std::string() : fmt::format("First{}", i % 1000);
         return fmt::format("Last{} ", i % 5000);
       }},
      {"uuid_v5", {"id"}, "[uuid_v5]", [](size_t i, size_t) { return std::to_string(i); }},
  };

  fmt::print("transform throughput over {} values per pipeline (thread CPU time, best of 3)\n",
             rows);
  fmt::print("{:<20} {:>14} {:>14} {:>8} {:>9}\n", "pipeline", "values/s", "copy values/s",
             "ratio", "rejects");
  for (const BenchCase& bench : cases) {
    if (bench.name.find(only) == std::string::npos) continue;
    const auto pipeline = compile(bench);
    const size_t inputs_per_row = bench.from.size();

    // One contiguous buffer, like a COPY batch; values are views into it.
    std::string buffer;
    std::vector<std::pair<size_t, size_t>> spans;
    std::vector<std::string> keys;
    spans.reserve(rows * inputs_per_row);
    for (size_t i = 0; i < rows; ++i) {
      for (size_t input = 0; input < inputs_per_row; ++input) {
        const std::string text = bench.value(i, input);
        spans.emplace_back(buffer.size(), text.size());
        buffer += text;
      }
      keys.push_back(std::to_string(i));
    }
    std::vector<Value> values;
    values.reserve(spans.size());
    for (const auto& [at, size] : spans) values.push_back(Value::view({buffer.data() + at, size}));

    std::string sink;
    sink.reserve(1 << 20);
    size_t checksum = 0, rejects = 0;
    const auto flush = [&] {
      if (sink.size() > (1 << 19)) {
        checksum += sink.size();
        sink.clear();
      }
    };

    const double copy_seconds = best_of_three([&] {
      for (size_t i = 0; i < rows; ++i) {
        for (size_t input = 0; input < inputs_per_row; ++input) {
          sink.append(values[i * inputs_per_row + input].text());
          sink.push_back('\t');
        }
        flush();
      }
    });
    const double pipeline_seconds = best_of_three([&] {
      rejects = 0;
      Value out;
      for (size_t i = 0; i < rows; ++i) {
        const mapengine::RowContext row{"bench", "public.bench", keys[i]};
        const std::span<const Value> inputs(&values[i * inputs_per_row], inputs_per_row);
        if (pipeline->run(inputs, out, row)) {
          ++rejects;
        } else {
          sink.append(out.is_null() ? std::string_view("\\N") : out.text());
          sink.push_back('\t');
        }
        flush();
      }
    });
    fmt::print("{:<20} {:>14.0f} {:>14.0f} {:>7.1f}x {:>9}\n", bench.name, rows / pipeline_seconds,
               rows / copy_seconds, pipeline_seconds / copy_seconds, rejects);
    if (checksum == 0) fmt::print("(no output)\n");
  }
  fmt::print("ratio = time of the pipeline loop / time of the plain copy loop\n");
  return 0;
}
