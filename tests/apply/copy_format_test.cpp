// Batches sent in COPY's binary format (the default) land exactly as batches sent as text
// (--copy-format text): the same rows, the same values, the same rejects; a batch with a value
// the encoder does not take goes as text.
#include <catch2/catch.hpp>

#include <string>

#include "tests/support/migration_fixture.h"

using mapengine::testing::MigrationFixture;

TEST_CASE("apply: binary batches land as text batches do, rejects included", "[apply][binary]") {
  MigrationFixture f;
  // Rows 1-500 have no `stamp`; rows 501-1000 have one without an offset, which only the
  // session's TimeZone can place: their batches go as text. Row 77's amount breaks a CHECK.
  f.source.exec(
      "CREATE TABLE items (id int PRIMARY KEY, stamp timestamp, amount numeric(12,3), "
      "note text, flag boolean, day date, blob bytea, doc jsonb, ratio float8, big bigint);"
      "INSERT INTO items SELECT g, CASE WHEN g > 500 THEN timestamp '2020-01-01' + g * "
      "interval '37 minutes 1.5 seconds' END, CASE WHEN g = 77 THEN -1 ELSE g * 1.125 END, "
      "CASE g % 4 WHEN 0 THEN NULL WHEN 1 THEN 'tab\there' WHEN 2 THEN 'back\\slash' ELSE "
      "'caf\u00e9 ' || g END, g % 3 = 0, date '1999-12-25' + g, decode(md5(g::text), 'hex'), "
      "jsonb_build_object('n', g, 'list', jsonb_build_array(g, 'x')), g / 7.0, g * 100000000003 "
      "FROM generate_series(1, 1000) g;");
  for (const char* table : {"items_binary", "items_text"}) {
    f.target.exec(std::string("CREATE TABLE ") + table +
                  " (id uuid PRIMARY KEY, legacy_id int UNIQUE NOT NULL, at timestamptz, "
                  "at_utc timestamptz, amount numeric(10,2) CHECK (amount >= 0), note varchar(20), "
                  "flag boolean, day date, blob bytea, doc jsonb, ratio float8, big bigint)");
  }
  const std::string columns = R"(
columns:
  id: { generate: uuid }
  legacy_id: id
  at: stamp
  at_utc: { from: stamp, transform: [{ assume_timezone: UTC }] }
  amount: amount
  note: note
  flag: flag
  day: day
  blob: blob
  doc: doc
  ratio: ratio
  big: big
)";
  for (const char* table : {"items_binary", "items_text"}) {
    f.write_file(std::string(table) + ".yaml",
                 std::string("version: 1\ntable: ") + table +
                     "\nsource: { query: \"SELECT * FROM items\", key: id }\n"
                     "target: { legacy_key: legacy_id }\nbatch_size: 100\nmax_rejects: 5\n" +
                     columns);
  }
  auto binary = f.run("apply --no-progress -v items_binary.yaml");
  INFO(binary.out);
  REQUIRE(binary.exit_code == 0);
  // The five batches of rows with an offset-less stamp went as text.
  CHECK_THAT(binary.out, Catch::Contains("items_binary: 5 batch(es) sent as COPY text"));
  CHECK_THAT(binary.out, Catch::Contains("COPY text: column at value '2020-"));
  auto text = f.run("apply --no-progress --copy-format text items_text.yaml");
  INFO(text.out);
  REQUIRE(text.exit_code == 0);

  CHECK(f.target_rows("SELECT count(*), count(at), count(at_utc) FROM items_binary") ==
        "999|500|500\n");
  CHECK(f.target_rows(
            "SELECT count(*) FROM items_binary b FULL JOIN items_text t USING (legacy_id) "
            "WHERE (b.at, b.at_utc, b.amount, b.note, b.flag, b.day, b.blob, b.doc, b.ratio, "
            "b.big)::text IS DISTINCT FROM (t.at, t.at_utc, t.amount, t.note, t.flag, t.day, "
            "t.blob, t.doc, t.ratio, t.big)::text") == "0\n");
  // The same reject (the server's message names the table and shows the row's random id).
  const std::string reject =
      "SELECT legacy_key, column_name, value, rule, regexp_replace(replace(reason, "
      "'items_text', 'items_binary'), 'contains \\([0-9a-f-]+', '') FROM mapengine.rejects "
      "WHERE mapping = ";
  CHECK(f.target_rows(reject + "'items_binary'") == f.target_rows(reject + "'items_text'"));
  CHECK(f.target_rows("SELECT legacy_key, column_name, value FROM mapengine.rejects WHERE "
                      "mapping = 'items_binary'") == "77|amount|-1.000\n");
  auto validated = f.run("validate items_binary.yaml items_text.yaml");
  INFO(validated.out);
  CHECK(validated.exit_code == 0);
}
