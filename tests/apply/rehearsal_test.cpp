// The dry run as a rehearsal of the whole migration, against the real server: on an empty target
// it gives the real apply's counts (lookups into tables the same run fills, refusals only the
// server knows), prints why rows were rejected, and leaves nothing behind, not even the state
// schema; --sample rehearses the first rows of each mapping and tells a parent row outside the
// sample from a missing one.
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/migration_fixture.h"

using mapengine::testing::CommandResult;
using mapengine::testing::MigrationFixture;
using mapengine::testing::read_file;
using mapengine::testing::wait_for_exit;

namespace {

constexpr int kTechs = 200;
constexpr int kParts = 1000;

// The technician a part points at: 1..205, so 201..205 exist nowhere.
int tech_of(int part) { return (part * 7) % (kTechs + 5) + 1; }

// Three mappings: technicians (legacy column; every 40th shares one e-mail, which the target's
// UNIQUE refuses but for the first), tags (no legacy column: the engine's id map) and parts, which
// looks both up; every 13th part names an unknown tag and every 9th has a negative quantity,
// which the target's CHECK refuses.
void make_workshop(MigrationFixture& f) {
  f.source.exec(
      "CREATE TABLE techs (id int PRIMARY KEY, name text, email text);"
      "INSERT INTO techs SELECT g, 'Tech ' || g, CASE WHEN g % 40 = 0 THEN 'shared@lab.example' "
      "ELSE 't' || g || '@lab.example' END FROM generate_series(1, " + std::to_string(kTechs) +
      ") g;"
      "CREATE TABLE tags (code text PRIMARY KEY, label text);"
      "INSERT INTO tags VALUES ('a', 'Alpha'), ('b', 'Beta'), ('c', 'Gamma');"
      "CREATE TABLE parts (id int PRIMARY KEY, tech_id int, tag text, qty int);"
      "INSERT INTO parts SELECT g, (g * 7) % " + std::to_string(kTechs + 5) + " + 1, "
      "CASE WHEN g % 13 = 0 THEN 'zz' ELSE chr(97 + g % 3) END, "
      "CASE WHEN g % 9 = 0 THEN -1 ELSE g % 5 END FROM generate_series(1, " +
      std::to_string(kParts) + ") g;");
  f.target.exec(
      "CREATE TABLE technicians (id uuid PRIMARY KEY, legacy_technician_id int UNIQUE NOT NULL,"
      " name text NOT NULL, email text UNIQUE);"
      "CREATE TABLE tags (id uuid PRIMARY KEY, code text NOT NULL, label text);"
      "CREATE TABLE parts (id uuid PRIMARY KEY, legacy_part_id int UNIQUE NOT NULL,"
      " technician_id uuid NOT NULL REFERENCES technicians, tag_id uuid NOT NULL REFERENCES tags,"
      " qty int NOT NULL CHECK (qty >= 0));");
  f.write_file("technicians.yaml", R"(version: 1
table: public.technicians
source:
  query: SELECT id, name, email FROM techs
  key: id
target: { legacy_key: legacy_technician_id }
batch_size: 64
max_rejects: 1000
columns:
  id: { generate: uuid }
  legacy_technician_id: { from: id }
  name: { from: name }
  email: { from: email }
)");
  f.write_file("tags.yaml", R"(version: 1
table: public.tags
source:
  query: SELECT code, label FROM tags
  key: code
columns:
  id: { generate: uuid }
  code: { from: code }
  label: { from: label }
)");
  f.write_file("parts.yaml", R"(version: 1
table: public.parts
source:
  query: SELECT id, tech_id, tag, qty FROM parts
  key: id
target: { legacy_key: legacy_part_id }
batch_size: 100
max_rejects: 1000
columns:
  id: { generate: uuid }
  legacy_part_id: { from: id }
  technician_id: { from: tech_id, lookup: { table: technicians, on_missing: reject } }
  tag_id: { from: tag, lookup: { table: tags, on_missing: reject } }
  qty: { from: qty }
)");
}

// "read written rejected skipped" of `mapping` in the end-of-run table of `out`.
std::string counts(const std::string& out, const std::string& mapping) {
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    std::vector<std::string> fields;
    std::string word;
    while (words >> word) fields.push_back(word);
    if (fields.size() != 7 || fields[0] != mapping) continue;
    std::string text;
    for (size_t i = 2; i < 6; ++i) {
      std::string number;
      for (char c : fields[i]) {
        if (c != ',') number += c;
      }
      text += (i > 2 ? " " : "") + number;
    }
    return text;
  }
  return "(no line for " + mapping + ")";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("a dry run on an empty target gives the counts of the real apply that follows, and "
          "leaves nothing behind",
          "[apply][rehearsal]") {
  MigrationFixture f;
  make_workshop(f);
  CommandResult dry = f.run("apply --no-progress --dry-run .");
  INFO(dry.out);
  REQUIRE(dry.exit_code == 0);
  CHECK(has(dry.out, "one mapping at a time"));
  CHECK(has(dry.out, "dry run: nothing was written"));
  // Nothing persists: no state schema, no row.
  CHECK(f.target.scalar("SELECT to_regnamespace('mapengine') IS NULL") == "t");
  CHECK(f.target.scalar("SELECT (SELECT count(*) FROM technicians) + (SELECT count(*) FROM "
                        "tags) + (SELECT count(*) FROM parts)") == "0");
  // Nothing a real apply says about committed work or rejects tables.
  CHECK_FALSE(has(dry.out, "committed"));
  CHECK_FALSE(has(dry.out, "mapengine.rejects"));
  CHECK_FALSE(has(dry.out, "resume"));
  // The reasons, grouped by rule and column, with examples.
  CHECK(has(dry.out, "constraint email: 4 rows"));
  CHECK(has(dry.out, "legacy key 80, value 'shared@lab.example': duplicate key value violates "
                     "unique constraint \"technicians_email_key\""));
  CHECK(has(dry.out, "constraint qty:"));
  CHECK(has(dry.out, "lookup technician_id:"));
  CHECK(has(dry.out, "lookup tag_id:"));

  CommandResult real = f.run("apply --no-progress .");
  INFO(real.out);
  REQUIRE(real.exit_code == 0);
  for (const char* mapping : {"technicians", "tags", "parts"}) {
    INFO(mapping);
    CHECK(counts(dry.out, mapping) == counts(real.out, mapping));
  }
  // Lookups resolved into the rows the dry run itself wrote: most parts were written.
  CHECK(counts(real.out, "technicians") == "200 196 4 0");
  CHECK(f.target.scalar("SELECT count(*) FROM parts") ==
        f.target.scalar("SELECT rows_written FROM mapengine.checkpoints WHERE mapping = 'parts'"));
  CHECK(std::stoi(f.target.scalar("SELECT count(*) FROM parts")) > kParts / 2);
  CHECK(f.target.scalar("SELECT count(*) FROM mapengine.rejects WHERE mapping = 'parts' AND "
                        "rule = 'constraint'") != "0");

  SECTION("a dry run on a target that holds an earlier apply changes nothing there either") {
    std::string runs = f.target_rows("SELECT run_id, status FROM mapengine.runs");
    std::string rows = f.target_rows("SELECT legacy_part_id, qty FROM parts ORDER BY 1");
    CommandResult again = f.run("apply --no-progress --dry-run .");
    INFO(again.out);
    CHECK(again.exit_code == 0);
    CHECK(has(again.out, "up-to-date"));
    CHECK(f.target_rows("SELECT run_id, status FROM mapengine.runs") == runs);
    CHECK(f.target_rows("SELECT legacy_part_id, qty FROM parts ORDER BY 1") == rows);
  }
}

TEST_CASE("a dry run with --sample rehearses the first rows of each mapping and counts parents "
          "outside the sample apart from missing ones",
          "[apply][rehearsal]") {
  MigrationFixture f;
  make_workshop(f);
  const int sample = 50;
  CommandResult dry = f.run("apply --no-progress --dry-run --sample 50 --show-rows 0 .");
  INFO(dry.out);
  REQUIRE(dry.exit_code == 0);
  long long outside = 0, missing = 0, refused = 0, written = 0;
  for (int part = 1; part <= sample; ++part) {
    int tech = tech_of(part);
    if (tech > kTechs) {
      ++missing;  // no such technician anywhere
    } else if (tech > sample) {
      ++outside;  // exists, outside the technicians' sample
    } else if (part % 13 == 0) {
      ++missing;  // unknown tag
    } else if (part % 9 == 0) {
      ++refused;  // CHECK (qty >= 0)
    } else {
      ++written;
    }
  }
  REQUIRE(outside > 0);
  CHECK(counts(dry.out, "technicians") == "50 50 0 0");
  CHECK(counts(dry.out, "parts") == std::to_string(sample) + " " + std::to_string(written) + " " +
                                         std::to_string(missing + refused) + " 0");
  CHECK(has(dry.out, "parts: " + std::to_string(outside) +
                         " rows not rehearsed: column technician_id looks up a parent row"));
  CHECK(has(dry.out, "the first 50 rows of each mapping"));
  CHECK_FALSE(has(dry.out, "sample of transformed rows"));
  CHECK(f.target.scalar("SELECT to_regnamespace('mapengine') IS NULL") == "t");
}

TEST_CASE("a dry run over max_rejects goes on to the dependent mappings and says a real apply "
          "would stop",
          "[apply][rehearsal]") {
  MigrationFixture f;
  make_workshop(f);
  f.write_file("technicians.yaml", R"(version: 1
table: public.technicians
source:
  query: SELECT id, name, email FROM techs
  key: id
target: { legacy_key: legacy_technician_id }
max_rejects: 1
columns:
  id: { generate: uuid }
  legacy_technician_id: { from: id }
  name: { from: name }
  email: { from: email }
)");
  CommandResult dry = f.run("apply --no-progress --dry-run .");
  INFO(dry.out);
  CHECK(dry.exit_code == 1);
  CHECK(has(dry.out, "over-limit"));
  CHECK(has(dry.out, "4 of 200 rows rejected exceed max_rejects 1: a real apply would stop"));
  CHECK(counts(dry.out, "technicians") == "200 196 4 0");
  CHECK(std::stoi(counts(dry.out, "parts")) == kParts);  // parts ran all the same
  CHECK_FALSE(has(dry.out, "committed"));
  CHECK(f.target.scalar("SELECT to_regnamespace('mapengine') IS NULL") == "t");
}

TEST_CASE("a dry run stopped by Ctrl-C or killed leaves nothing behind", "[apply][rehearsal]") {
  for (int signal_number : {SIGINT, SIGKILL}) {
    INFO(signal_number);
    MigrationFixture f;
    f.source.exec(
        "CREATE TABLE parts (id int PRIMARY KEY, qty int);"
        "INSERT INTO parts SELECT g, g % 7 FROM generate_series(1, 400000) g;");
    f.target.exec("CREATE TABLE parts (id int PRIMARY KEY, qty int NOT NULL)");
    f.write_file("parts.yaml", R"(version: 1
table: public.parts
source:
  query: SELECT id, qty FROM parts
  key: id
target: { legacy_key: id }
batch_size: 1000
columns:
  id: { from: id }
  qty: { from: qty }
)");
    std::string log = f.dir + "/dry.log";
    int pid = f.start("apply --no-progress --dry-run parts.yaml", log);
    REQUIRE(pid > 0);
    // The rehearsal holds the state schema's advisory lock from its start to its end.
    bool writing = false;
    for (int wait = 0; wait < 500 && !writing; ++wait) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      writing = f.target.scalar("SELECT count(*) > 0 FROM pg_locks l JOIN pg_database d ON "
                                "d.oid = l.database WHERE l.locktype = 'advisory' AND "
                                "d.datname = current_database()") == "t";
    }
    CHECK(writing);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    kill(pid, signal_number);
    wait_for_exit(pid);
    std::string output = read_file(log);
    INFO(output);
    if (signal_number == SIGINT) {
      CHECK(output.find("interrupted; the dry run was rolled back") != std::string::npos);
      CHECK(output.find("resume") == std::string::npos);
    }
    // The server ends the transaction of a connection that is gone; wait for that backend.
    for (int wait = 0; wait < 250; ++wait) {
      if (f.target.scalar("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                          "current_database() AND pid <> pg_backend_pid()") == "0") {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    CHECK(f.target.scalar("SELECT to_regnamespace('mapengine') IS NULL") == "t");
    CHECK(f.target.scalar("SELECT count(*) FROM parts") == "0");
  }
}
