// The drafting rules of `mapengine scaffold` on hand-written catalogs (no database): how columns
// are matched, which key and legacy columns are chosen, what each cast and gap looks like, and
// that the rendered file loads and lints as a mapping.
#include "engine/scaffold/mapping_draft.h"

#include <catch2/catch.hpp>

#include "engine/lint/semantic_rules.h"
#include "engine/scaffold/mapping_writer.h"
#include "engine/scaffold/scaffold_text.h"
#include "engine/spec/spec_loader.h"

using namespace mapengine;
using namespace mapengine::scaffold;

namespace {

ColumnInfo column(std::string name, std::string type, TypeFamily family, bool not_null = false,
                  std::string default_expr = "") {
  ColumnInfo c;
  c.sql_name = name;
  c.name = std::move(name);
  c.type = std::move(type);
  c.family = family;
  c.not_null = not_null;
  c.default_expr = std::move(default_expr);
  if (c.type == "character(1)") c.length = 1;
  if (c.type == "numeric(10,2)") {
    c.precision = 10;
    c.scale = 2;
  }
  return c;
}

TableInfo legacy_technicians() {
  TableInfo t;
  t.table = {"public", "technicians"};
  t.sql_name = "technicians";
  t.columns = {column("id", "integer", TypeFamily::kInteger, true),
               column("user_id", "integer", TypeFamily::kInteger, true),
               column("first_name", "character varying(100)", TypeFamily::kText, true),
               column("last_name", "character varying(100)", TypeFamily::kText, true),
               column("status", "character(1)", TypeFamily::kChar, true),
               column("hourly_rate", "numeric(10,2)", TypeFamily::kNumeric),
               column("created_at", "timestamp without time zone", TypeFamily::kTimestamp, true),
               column("deleted_at", "timestamp without time zone", TypeFamily::kTimestamp)};
  t.primary_key = {"id"};
  return t;
}

TableInfo target_technicians() {
  TableInfo t;
  t.table = {"public", "technicians"};
  t.sql_name = "technicians";
  t.columns = {
      column("id", "uuid", TypeFamily::kUuid, true, "gen_random_uuid()"),
      column("legacy_technician_id", "integer", TypeFamily::kInteger),
      column("profile_id", "uuid", TypeFamily::kUuid, true),
      column("full_name", "text", TypeFamily::kText, true),
      column("status", "text", TypeFamily::kText, true),
      column("hourly_rate_cents", "integer", TypeFamily::kInteger),
      column("created_at", "timestamp with time zone", TypeFamily::kTimestamptz, true, "now()"),
      column("badge", "text", TypeFamily::kText, true)};
  t.columns[4].accepted = {"active", "inactive"};
  t.primary_key = {"id"};
  t.unique_keys = {{"legacy_technician_id"}};
  t.foreign_keys = {
      {"technicians_profile_id_fkey", {"profile_id"}, {"public", "profiles"}, {"id"}}};
  return t;
}

ScaffoldInputs inputs_for(TableInfo source, TableInfo target) {
  ScaffoldInputs in;
  in.source = std::move(source);
  in.target = std::move(target);
  in.target_table = [](const pg::QualifiedName& name) -> std::optional<TableInfo> {
    if (name.name != "profiles") return std::nullopt;
    TableInfo p;
    p.table = name;
    p.columns = {column("id", "uuid", TypeFamily::kUuid, true, "gen_random_uuid()"),
                 column("legacy_user_id", "integer", TypeFamily::kInteger)};
    p.primary_key = {"id"};
    return p;
  };
  in.distinct_values = [](const ColumnInfo& c) {
    DistinctValues v;
    if (c.name == "status") v.values = {"A", "I", "active"};
    return v;
  };
  return in;
}

const DraftColumn& find(const MappingDraft& d, const std::string& name) {
  for (const auto& c : d.columns) {
    if (c.name == name) return c;
  }
  FAIL("no draft column " << name);
  throw;
}

}  // namespace

TEST_CASE("scaffold helpers: plural to singular, loose names, YAML scalars, CHECK literals",
          "[scaffold]") {
  CHECK(singular("technicians") == "technician");
  CHECK(singular("categories") == "category");
  CHECK(singular("addresses") == "address");
  CHECK(singular("cases") == "case");
  CHECK(singular("status") == "statu");  // a plural rule, not a dictionary: callers try others
  CHECK(loose_name("First_Name") == "firstname");
  CHECK(yaml_scalar("status") == "status");
  CHECK(yaml_scalar("yes") == "\"yes\"");
  CHECK(yaml_scalar("N") == "\"N\"");
  CHECK(yaml_scalar("Order Id") == "\"Order Id\"");
  CHECK(yaml_scalar("") == "\"\"");
  CHECK(yaml_quoted("a\"b\\c") == "\"a\\\"b\\\\c\"");
  CHECK(check_literals("CHECK ((status = ANY (ARRAY['active'::text, 'it''s'::text])))") ==
        std::vector<std::string>{"active", "it's"});
  CHECK(check_literals("CHECK ((email = lower(btrim(email))))").empty());
  CHECK(type_family("bpchar", false) == TypeFamily::kChar);
  CHECK(type_family("mood", true) == TypeFamily::kEnum);
}

TEST_CASE("a draft keys on the primary key, keeps it in legacy_<x>_id and generates the uuid id",
          "[scaffold]") {
  MappingDraft d = draft_mapping(inputs_for(legacy_technicians(), target_technicians()));
  CHECK(d.key == std::vector<std::string>{"id"});
  CHECK(d.legacy_key == std::vector<std::string>{"legacy_technician_id"});
  CHECK(find(d, "id").generate == "uuid_v5");
  CHECK(find(d, "legacy_technician_id").from == std::vector<std::string>{"id"});
}

TEST_CASE("a draft matches renamed columns and proposes lookups and casts", "[scaffold]") {
  MappingDraft d = draft_mapping(inputs_for(legacy_technicians(), target_technicians()));
  SECTION("a target foreign key into a table with legacy_user_id is fed from user_id") {
    const DraftColumn& c = find(d, "profile_id");
    CHECK(c.from == std::vector<std::string>{"user_id"});
    CHECK(c.lookup == "{ table: profiles, on_missing: reject }");
  }
  SECTION("first and last names are joined into full_name") {
    const DraftColumn& c = find(d, "full_name");
    CHECK(c.from == std::vector<std::string>{"first_name", "last_name"});
    CHECK(c.steps == std::vector<std::string>{"{ join: \" \" }", "trim"});
  }
  SECTION("char(1) codes become a map of the codes found, accepted values kept, others TODO") {
    const DraftColumn& c = find(d, "status");
    CHECK(c.steps ==
          std::vector<std::string>{"{ map: { \"A\": TODO, \"I\": TODO, \"active\": active }, "
                                   "on_unmapped: reject }"});
  }
  SECTION("numeric dollars scale into integer cents") {
    CHECK(find(d, "hourly_rate_cents").steps == std::vector<std::string>{"{ scale: 100 }"});
  }
  SECTION("a timestamp into timestamptz needs a zone") {
    CHECK(find(d, "created_at").steps ==
          std::vector<std::string>{"{ assume_timezone: TODO_ZONE }"});
  }
  SECTION("a NOT NULL column nothing feeds is a TODO, not a mapping") {
    const DraftColumn& c = find(d, "badge");
    CHECK_FALSE(c.mapped);
    REQUIRE(c.comments.size() == 1);
    CHECK(c.comments[0].rfind("TODO: badge (text, NOT NULL)", 0) == 0);
  }
  SECTION("the soft-delete column is pointed out and listed as unused") {
    std::string text = render_mapping(d);
    CHECK(text.find("add `WHERE deleted_at IS NULL`") != std::string::npos);
    CHECK(text.find("deleted_at (timestamp without time zone)") != std::string::npos);
  }
  CHECK(d.todos == 4);  // soft delete, status values, zone, badge
}

TEST_CASE("a rendered draft is a mapping file the loader reads back as written", "[scaffold]") {
  MappingDraft d = draft_mapping(inputs_for(legacy_technicians(), target_technicians()));
  std::string text = render_mapping(d);
  CHECK(text.rfind("# yaml-language-server: $schema=../schemas/mapping.schema.json\n", 0) == 0);
  CHECK(text.find("\nversion: 1\n") != std::string::npos);
  Diagnostics diagnostics;
  auto parsed = spec::parse_text("technicians.yaml", text, diagnostics);
  REQUIRE(parsed);
  auto mapping = spec::build_mapping(*parsed, diagnostics);
  REQUIRE(mapping);
  for (const auto& item : diagnostics.items()) INFO(item.to_string());
  CHECK_FALSE(diagnostics.has_errors());
  CHECK(mapping->key == std::vector<std::string>{"id"});
  CHECK(mapping->legacy_key_columns == std::vector<std::string>{"legacy_technician_id"});
  CHECK(mapping->source_query.find("SELECT id, user_id, first_name") != std::string::npos);
  REQUIRE(mapping->find_column("profile_id") != nullptr);
  CHECK(mapping->find_column("profile_id")->lookup->table == "profiles");
  CHECK(mapping->find_column("badge") == nullptr);
  CHECK(render_mapping(d) == text);  // deterministic
}

TEST_CASE("a legacy table without a key gets a TODO key and the id map", "[scaffold]") {
  TableInfo source = legacy_technicians();
  source.primary_key.clear();
  TableInfo target = target_technicians();
  target.columns.erase(target.columns.begin() + 1);  // no legacy_technician_id
  MappingDraft d = draft_mapping(inputs_for(source, target));
  CHECK(d.key == std::vector<std::string>{"TODO_KEY"});
  CHECK(d.legacy_key.empty());
  CHECK(render_mapping(d).find("key: TODO_KEY  # TODO:") != std::string::npos);
}

TEST_CASE("a draft suggests legacy columns renamed by common patterns and never drops a target "
          "column silently",
          "[scaffold]") {
  TableInfo legacy;
  legacy.table = {"public", "employees"};
  legacy.sql_name = "employees";
  legacy.columns = {column("id", "integer", TypeFamily::kInteger, true),
                    column("hire_date", "date", TypeFamily::kDate),
                    column("invoice_date", "date", TypeFamily::kDate),
                    column("milliseconds", "integer", TypeFamily::kInteger),
                    column("qty", "integer", TypeFamily::kInteger),
                    column("notes", "text", TypeFamily::kText)};
  legacy.primary_key = {"id"};
  TableInfo target;
  target.table = {"public", "employees"};
  target.sql_name = "employees";
  target.columns = {column("id", "uuid", TypeFamily::kUuid, true, "gen_random_uuid()"),
                    column("legacy_employee_id", "integer", TypeFamily::kInteger),
                    column("hired_at", "timestamp with time zone", TypeFamily::kTimestamptz),
                    column("invoiced_at", "timestamp with time zone", TypeFamily::kTimestamptz),
                    column("duration_ms", "bigint", TypeFamily::kInteger, true),
                    column("quantity", "integer", TypeFamily::kInteger),
                    column("nickname", "text", TypeFamily::kText)};
  target.primary_key = {"id"};
  target.unique_keys = {{"legacy_employee_id"}};
  MappingDraft d = draft_mapping(inputs_for(legacy, target));
  auto comments = [&](const std::string& name) {
    std::string all;
    for (const auto& line : find(d, name).comments) all += line + "\n";
    return all;
  };
  auto has = [](const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
  };
  INFO(comments("hired_at"));
  CHECK(has(comments("hired_at"), "TODO: hired_at"));
  CHECK(has(comments("hired_at"), "`hired_at: { from: hire_date }` (legacy hire_date is date)"));
  CHECK(has(comments("invoiced_at"), "`invoiced_at: { from: invoice_date }`"));
  CHECK(has(comments("duration_ms"), "TODO: duration_ms"));
  CHECK(has(comments("duration_ms"), "`duration_ms: { from: milliseconds }`"));
  CHECK(has(comments("quantity"), "`quantity: { from: qty }`"));
  // Nothing resembles nickname: a plain note, no TODO.
  CHECK_FALSE(has(comments("nickname"), "TODO"));
  CHECK(has(comments("nickname"), "no legacy column matches"));
}

TEST_CASE("a draft names an association table's primary key as its identity", "[scaffold]") {
  TableInfo legacy;
  legacy.table = {"public", "case_tags"};
  legacy.sql_name = "case_tags";
  legacy.columns = {column("case_id", "integer", TypeFamily::kInteger, true),
                    column("tag_code", "text", TypeFamily::kText, true)};
  legacy.primary_key = {"case_id", "tag_code"};
  TableInfo target;
  target.table = {"public", "case_tags"};
  target.sql_name = "case_tags";
  target.columns = {column("case_id", "uuid", TypeFamily::kUuid, true),
                    column("tag_id", "uuid", TypeFamily::kUuid, true)};
  target.primary_key = {"case_id", "tag_id"};
  MappingDraft d = draft_mapping(inputs_for(legacy, target));
  CHECK(d.key == std::vector<std::string>{"case_id", "tag_code"});
  CHECK(d.association_key == std::vector<std::string>{"case_id", "tag_id"});
  std::string text = render_mapping(d);
  INFO(text);
  CHECK(text.find("  id_column: [case_id, tag_id]  # the target's primary key\n") !=
        std::string::npos);
  CHECK(text.find("has no single-column primary key") == std::string::npos);
}
