// Properties of the transform library that a table of cases cannot state: UUID stability and
// uniqueness over many keys, scale round trips, DST behaviour over whole days, lint diagnostics
// and their locations, and sharing a compiled pipeline between threads.
#include <date/date.h>
#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>

#include "engine/pg/connection.h"
#include "engine/spec/mapping_spec.h"
#include "engine/transform/pipeline.h"
#include "engine/transform/registry.h"
#include "engine/transform/uuid.h"
#include "tests/support/test_database.h"

using mapengine::ColumnPipeline;
using mapengine::Diagnostics;
using mapengine::RowContext;
using mapengine::Severity;
using mapengine::Value;
using mapengine::ValueType;
namespace spec = mapengine::spec;

namespace {

constexpr std::string_view kNamespaceDns = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";
constexpr std::string_view kNamespaceUrl = "6ba7b811-9dad-11d1-80b4-00c04fd430c8";

// A column with steps written as YAML flow text, e.g. "[trim, {truncate: 3}]".
spec::ColumnSpec column_of(std::vector<std::string> from, const std::string& steps_yaml) {
  spec::ColumnSpec column;
  column.name = "col";
  column.from = std::move(from);
  column.where = {"mapping.yaml", 10, 3};
  const YAML::Node steps = YAML::Load(steps_yaml);
  int line = 11;
  for (const YAML::Node& node : steps) {
    spec::TransformStep step;
    step.where = {"mapping.yaml", line++, 7};
    if (node.IsScalar()) {
      step.name = node.Scalar();
    } else {
      step.name = node.begin()->first.Scalar();
      step.main = node.begin()->second;
      step.options = node;
    }
    column.transforms.push_back(step);
  }
  return column;
}

std::unique_ptr<ColumnPipeline> compile_ok(std::vector<std::string> from, const std::string& steps) {
  Diagnostics diagnostics;
  auto pipeline = ColumnPipeline::compile(column_of(std::move(from), steps), diagnostics);
  for (const auto& d : diagnostics.items()) UNSCOPED_INFO(d.to_string());
  REQUIRE(pipeline != nullptr);
  return pipeline;
}

// Runs a one-input pipeline; rejections come back as "REJECT: reason".
std::string run_one(const ColumnPipeline& pipeline, std::string_view input,
                    const RowContext& row = {}) {
  const Value in = Value::view(input);
  Value out;
  if (auto rejection = pipeline.run(std::span<const Value>(&in, 1), out, row)) {
    return "REJECT: " + *rejection;
  }
  return out.is_null() ? "NULL" : std::string(out.text());
}

std::string cents_to_dollars_text(long long cents) {
  const long long magnitude = cents < 0 ? -cents : cents;
  return fmt::format("{}{}.{:02}", cents < 0 ? "-" : "", magnitude / 100, magnitude % 100);
}

}  // namespace

TEST_CASE("uuid_v5 matches RFC 4122 / Python test vectors", "[transform][uuid]") {
  CHECK(mapengine::uuid_v5(kNamespaceDns, "python.org") == "886313e1-3b8a-5372-9b90-0c9aee199e5d");
  CHECK(mapengine::uuid_v5(kNamespaceDns, "www.example.com") ==
        "2ed6657d-e927-568b-95e1-2665a8aea6a2");
  // mapengine's namespace is itself a v5 id, so anyone can re-derive it.
  CHECK(mapengine::uuid_v5(kNamespaceUrl, "urn:mapengine:namespace") ==
        mapengine::kMapengineNamespace);
  CHECK_THROWS_AS(mapengine::uuid_v5("not-a-uuid", "x"), mapengine::Error);
  CHECK(mapengine::parse_uuid("886313E13B8A53729B900C9AEE199E5D").has_value());
  CHECK_FALSE(mapengine::parse_uuid("886313e1-3b8a-5372-9b90-0c9aee199e5").has_value());
  CHECK_FALSE(mapengine::parse_uuid("886313e1x3b8a-5372-9b90-0c9aee199e5d").has_value());
}

TEST_CASE("uuid_v5 ids are stable and distinct across 100k legacy keys", "[transform][uuid]") {
  const mapengine::UuidV5Generator generator(mapengine::kMapengineNamespace);
  constexpr int kKeys = 100000;
  std::vector<std::string> first;
  first.reserve(kKeys);
  std::unordered_set<std::string> distinct;
  for (int key = 0; key < kKeys; ++key) {
    std::string id = generator.make("public.technicians", std::to_string(key));
    CHECK(id[14] == '5');
    CHECK(std::string_view("89ab").find(id[19]) != std::string_view::npos);
    distinct.insert(id);
    first.push_back(std::move(id));
  }
  CHECK(distinct.size() == kKeys);
  for (int key = 0; key < kKeys; key += 997) {
    CHECK(generator.make("public.technicians", std::to_string(key)) == first[key]);
    CHECK(mapengine::uuid_v5(mapengine::kMapengineNamespace,
                             "public.technicians:" + std::to_string(key)) == first[key]);
  }
  // Another table, same keys: other ids.
  CHECK(distinct.count(generator.make("public.profiles", "1")) == 0);

  // The transform gives the row the same id as `generate: uuid_v5`.
  auto pipeline = compile_ok({"id"}, "[uuid_v5]");
  const RowContext row{"technicians", "public.technicians", "4242"};
  CHECK(run_one(*pipeline, "4242", row) == first[4242]);
}

TEST_CASE("uuid_v4 ids are version 4 and do not repeat", "[transform][uuid]") {
  std::set<std::string> ids;
  for (int i = 0; i < 10000; ++i) {
    std::string id = mapengine::uuid_v4();
    REQUIRE(id.size() == 36);
    CHECK(id[14] == '4');
    ids.insert(std::move(id));
  }
  CHECK(ids.size() == 10000);
}

TEST_CASE("uuid_v4 ids are not repeated across threads or by a forked child", "[transform][uuid]") {
  std::set<std::string> ids;
  std::vector<std::string> other(5000);
  std::thread worker([&] {
    for (auto& id : other) id = mapengine::uuid_v4();
  });
  for (int i = 0; i < 5000; ++i) ids.insert(mapengine::uuid_v4());
  worker.join();
  ids.insert(other.begin(), other.end());
  CHECK(ids.size() == 10000);

  // Random bytes are drawn in blocks per thread: a child must not hand out its parent's next ones.
  mapengine::uuid_v4();
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    std::string id = mapengine::uuid_v4();
    ssize_t written = write(pipe_fds[1], id.data(), id.size());
    _exit(written == static_cast<ssize_t>(id.size()) ? 0 : 1);
  }
  std::string parent_next = mapengine::uuid_v4();
  char buffer[36];
  REQUIRE(read(pipe_fds[0], buffer, sizeof buffer) == sizeof buffer);
  int status = 0;
  waitpid(child, &status, 0);
  close(pipe_fds[0]);
  close(pipe_fds[1]);
  CHECK(std::string(buffer, sizeof buffer) != parent_next);
}

TEST_CASE("scale turns dollars into cents and back without losing a cent", "[transform][number]") {
  auto to_cents = compile_ok({"price"}, "[{scale: 100}]");
  auto to_dollars = compile_ok({"price"}, "[{scale: 0.01}]");
  for (long long cents = -2000000; cents <= 2000000; cents += 37) {
    const std::string dollars = cents_to_dollars_text(cents);
    const std::string scaled = run_one(*to_cents, dollars);
    INFO(dollars);
    REQUIRE(scaled == std::to_string(cents));
    REQUIRE(run_one(*to_dollars, scaled) == dollars);
  }
  // At the edge of bigint.
  CHECK(run_one(*to_cents, "92233720368547758.07") == "9223372036854775807");
  CHECK(run_one(*to_cents, "-92233720368547758.08") == "-9223372036854775808");
  CHECK(run_one(*to_dollars, "-9223372036854775808") == "-92233720368547758.08");
}

TEST_CASE("America/Chicago: gap times move forward by an hour, overlap times take the earlier instant",
          "[transform][time]") {
  auto to_utc = compile_ok({"at"}, "[{assume_timezone: America/Chicago}]");
  auto to_local = compile_ok({"at"}, "[{convert_timezone: {from: UTC, to: America/Chicago}}]");
  // Years on both sides of 2037, where the tz files stop listing transitions.
  for (int year = 2024; year <= 2045; ++year) {
    const date::year y{year};
    const date::year_month_day spring{date::sys_days{y / date::March / date::Sunday[2]}};
    const date::year_month_day fall{date::sys_days{y / date::November / date::Sunday[1]}};
    for (const auto& day : {spring, fall}) {
      const bool is_spring = day == spring;
      for (int minute = 0; minute < 24 * 60; ++minute) {
        const int h = minute / 60, m = minute % 60;
        const std::string local = fmt::format("{}-{:02}-{:02} {:02}:{:02}:00", year,
                                              static_cast<unsigned>(day.month()),
                                              static_cast<unsigned>(day.day()), h, m);
        const std::string utc = run_one(*to_utc, local);
        const std::string back = run_one(*to_local, utc.substr(0, 19));
        INFO(local << " -> " << utc << " -> " << back);
        if (is_spring && h == 2) {
          // 02:xx does not exist: read as CST, i.e. 03:xx CDT.
          REQUIRE(back == fmt::format("{} 03:{:02}:00", local.substr(0, 10), m));
        } else {
          REQUIRE(back == local);
        }
        if (!is_spring && h == 1) {
          // 01:xx happens twice: the first one (CDT, UTC-5) is taken.
          REQUIRE(utc == fmt::format("{} 06:{:02}:00+00", local.substr(0, 10), m));
        }
        if (h == 12) {
          const int offset = is_spring ? 5 : 6;  // CDT after the spring change, CST after fall
          REQUIRE(utc == fmt::format("{} {:02}:{:02}:00+00", local.substr(0, 10), 12 + offset, m));
        }
      }
    }
  }
}

TEST_CASE("lint diagnostics point at the step and stop compilation", "[transform][lint]") {
  Diagnostics diagnostics;
  auto pipeline =
      ColumnPipeline::compile(column_of({"email"}, "[trim, lowr, {truncate: 80, on_overflw: x}]"),
                              diagnostics);
  CHECK(pipeline == nullptr);
  REQUIRE(diagnostics.items().size() == 2);
  const auto& unknown = diagnostics.items()[0];
  CHECK(unknown.rule == "unknown-transform");
  CHECK(unknown.where.line == 12);
  CHECK(unknown.to_string() ==
        "mapping.yaml:12:7: error: unknown transform 'lowr' (did you mean 'lower'?) "
        "[unknown-transform]");
  const auto& option = diagnostics.items()[1];
  CHECK(option.rule == "unknown-transform-option");
  CHECK(option.where.line == 13);
  CHECK_THAT(option.message, Catch::Contains("did you mean 'on_overflow'"));

  Diagnostics combiner;
  CHECK(ColumnPipeline::compile(column_of({"a", "b"}, "[trim]"), combiner) == nullptr);
  REQUIRE(combiner.items().size() == 1);
  CHECK(combiner.items()[0].rule == "missing-combiner");
  CHECK(combiner.items()[0].where.line == 11);

  Diagnostics not_first;
  CHECK(ColumnPipeline::compile(column_of({"a", "b"}, "[{join: ' '}, {format: '{a}'}]"),
                                not_first) == nullptr);
  REQUIRE(not_first.items().size() == 1);
  CHECK(not_first.items()[0].rule == "combiner-not-first");

  Diagnostics zone;
  CHECK(ColumnPipeline::compile(column_of({"at"}, "[{assume_timezone: Europe/Pariss}]"), zone) ==
        nullptr);
  REQUIRE(zone.items().size() == 1);
  CHECK(zone.items()[0].rule == "unknown-timezone");
  CHECK_THAT(zone.items()[0].message, Catch::Contains("did you mean 'Europe/Paris'"));
}

TEST_CASE("a type mismatch is a warning: the pipeline compiles and explains its types",
          "[transform][lint]") {
  Diagnostics diagnostics;
  auto pipeline = ColumnPipeline::compile(column_of({"price"}, "[lower, {scale: 100}]"), diagnostics);
  REQUIRE(pipeline != nullptr);
  REQUIRE(diagnostics.items().size() == 1);
  CHECK(diagnostics.items()[0].severity == Severity::kWarning);
  CHECK(diagnostics.items()[0].rule == "pipeline-type-mismatch");
  CHECK(diagnostics.items()[0].where.line == 12);

  auto email = compile_ok({"email"}, "[trim, lower, {null_if: ''}]");
  CHECK(email->describe_line() ==
        "trim(any -> any) | lower(text -> text) | null_if(any -> text)");
  CHECK(email->output_type() == ValueType::kText);
  REQUIRE(email->describe().size() == 3);
  CHECK(email->describe()[2].written == "{null_if: \"\"}");
  CHECK(email->describe()[0].written == "trim");

  auto cents = compile_ok({"price"}, "[{scale: 100}, to_int]");
  CHECK(cents->output_type() == ValueType::kInteger);
  auto name = compile_ok({"first", "last"}, "[{join: ' '}, trim]");
  CHECK(name->describe()[0].combiner);
  CHECK(name->output_type() == ValueType::kText);
}

TEST_CASE("the registry knows every transform once and suggests names for typos",
          "[transform][registry]") {
  const auto& registry = mapengine::TransformRegistry::instance();
  std::set<std::string> names;
  for (const auto& info : registry.all()) {
    INFO(info.name);
    CHECK(names.insert(info.name).second);
    CHECK_FALSE(info.summary.empty());
    CHECK(static_cast<bool>(info.make_transform) != static_cast<bool>(info.make_combiner));
  }
  for (const char* name : {"trim", "ltrim", "rtrim", "lower", "upper", "null_if", "default",
                           "replace", "regex_replace", "substring", "truncate", "split", "join",
                           "format", "coalesce", "map", "boolean", "to_int", "to_numeric", "scale",
                           "round", "parse_date", "parse_timestamp", "assume_timezone",
                           "convert_timezone", "from_epoch", "uuid_v4", "uuid_v5", "sha256", "md5",
                           "json_object", "json_extract"}) {
    CHECK(registry.find(name) != nullptr);
  }
  CHECK(registry.suggest("uper") == "upper");
  CHECK(registry.suggest("Trim") == "trim");
  CHECK(registry.suggest("jsonobject") == "json_object");
  CHECK(registry.suggest("xyzzy").empty());
  CHECK(mapengine::to_string(ValueType::kTimestamptz) == "timestamptz");
}

TEST_CASE("one compiled pipeline serves several threads with the same results",
          "[transform][threads]") {
  auto pipeline = compile_ok(
      {"a", "b"}, "[{join: ' '}, trim, {assume_timezone: America/Chicago}]");
  auto ids = compile_ok({"id"}, "[uuid_v5, sha256]");
  constexpr int kRows = 5000;
  std::vector<std::string> dates(kRows), keys(kRows);
  for (int i = 0; i < kRows; ++i) {
    dates[i] = fmt::format("2024-{:02}-{:02}", i % 12 + 1, i % 28 + 1);
    keys[i] = std::to_string(i);
  }
  const auto work = [&](std::vector<std::string>& out) {
    for (int i = 0; i < kRows; ++i) {
      const Value inputs[] = {Value::view(dates[i]), Value::view("10:30:00")};
      Value value;
      // No Catch assertions off the main thread: results are compared afterwards.
      const bool rejected = pipeline->run(inputs, value, {}).has_value();
      const RowContext row{"t", "public.t", keys[i]};
      out.push_back((rejected ? "REJECT" : std::string(value.text())) + " " +
                    run_one(*ids, keys[i], row));
    }
  };
  std::vector<std::string> alone, first, second;
  work(alone);
  std::thread t1([&] { work(first); });
  std::thread t2([&] { work(second); });
  t1.join();
  t2.join();
  CHECK(first == alone);
  CHECK(second == alone);
}

TEST_CASE("assume_timezone with on_ambiguous: later agrees with PostgreSQL's AT TIME ZONE at "
          "every quarter hour of a year, and the default differs only in the overlaps",
          "[transform][time][db]") {
  mapengine::testing::TestDatabase db("tz");
  mapengine::pg::Connection server(db.url(), "test");
  server.exec("SET timezone = 'UTC'");
  // Zone, quarter hours in 2024's overlaps (where the default, the earlier instant, differs).
  const std::pair<std::string, int> zones[] = {
      {"America/Chicago", 4}, {"Europe/Paris", 4}, {"Australia/Lord_Howe", 2}};
  for (const auto& [zone, overlap_quarters] : zones) {
    auto postgres = compile_ok({"at"}, fmt::format("[{{assume_timezone: {}, on_ambiguous: later, "
                                                   "on_gap: later}}]",
                                                   zone));
    auto ours = compile_ok({"at"}, fmt::format("[{{assume_timezone: {}}}]", zone));
    mapengine::pg::Result rows = server.exec(
        "SELECT t::text, (t AT TIME ZONE $1)::text FROM generate_series(timestamp "
        "'2024-01-01', timestamp '2024-12-31 23:45', interval '15 minutes') t",
        {zone});
    REQUIRE(rows.rows() == 366 * 96);
    int differ = 0;
    for (int r = 0; r < rows.rows(); ++r) {
      const std::string local(rows.value(r, 0));
      const std::string expected(rows.value(r, 1));
      INFO(zone << " " << local);
      REQUIRE(run_one(*postgres, local) == expected);
      if (run_one(*ours, local) != expected) ++differ;
    }
    CHECK(differ == overlap_quarters);
  }
}
