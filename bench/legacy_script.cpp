// The way earlier tables were migrated, as a baseline for bench/run.sh: page through the source
// 500 rows at a time and send each page to the target as one multi-row INSERT (lookups joined and
// transforms computed by that INSERT on the target). Same result as bench/workload/orders.yaml.
//
//   legacy_script SOURCE_URL TARGET_URL
#include <libpq-fe.h>

#include <cstdio>
#include <string>
#include <vector>

static PGresult* run(PGconn* c, const std::string& sql, const std::vector<std::string>& params) {
  std::vector<const char*> values;
  for (const auto& p : params) values.push_back(p.empty() ? nullptr : p.c_str());
  PGresult* r = PQexecParams(c, sql.c_str(), static_cast<int>(values.size()), nullptr,
                             values.data(), nullptr, nullptr, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK && PQresultStatus(r) != PGRES_COMMAND_OK) {
    std::fprintf(stderr, "%s", PQerrorMessage(c));
    std::exit(1);
  }
  return r;
}

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  PGconn* source = PQconnectdb(argv[1]);
  PGconn* target = PQconnectdb(argv[2]);
  if (PQstatus(source) != CONNECTION_OK || PQstatus(target) != CONNECTION_OK) return 1;
  std::string last = "0";
  for (;;) {
    PGresult* page = run(source,
                         "SELECT id, clinic_id, user_id, total, status, notes, created_at "
                         "FROM orders WHERE id > $1 ORDER BY id LIMIT 500",
                         {last});
    int rows = PQntuples(page);
    if (rows == 0) break;
    std::string sql =
        "INSERT INTO orders (id, legacy_order_id, clinic_id, profile_id, total_cents, status, "
        "notes, created_at) SELECT gen_random_uuid(), v.id::int, c.id, p.id, "
        "(v.total::numeric * 100)::bigint, CASE v.status WHEN 'A' THEN 'active' WHEN 'S' THEN "
        "'shipped' WHEN 'C' THEN 'cancelled' ELSE 'void' END, btrim(v.notes), "
        "v.created_at::timestamp AT TIME ZONE 'America/Chicago' FROM (VALUES ";
    std::vector<std::string> params;
    for (int r = 0; r < rows; ++r) {
      if (r > 0) sql += ", ";
      sql += "(";
      for (int c = 0; c < 7; ++c) {
        params.push_back(PQgetisnull(page, r, c) ? "" : PQgetvalue(page, r, c));
        sql += (c ? ", $" : "$") + std::to_string(params.size());
      }
      sql += ")";
    }
    sql += ") v(id, clinic_id, user_id, total, status, notes, created_at) "
           "JOIN clinics c ON c.legacy_clinic_id = v.clinic_id::int "
           "LEFT JOIN profiles p ON p.legacy_user_id = v.user_id::int";
    last = PQgetvalue(page, rows - 1, 0);
    PQclear(page);
    PQclear(run(target, sql, params));
  }
  PQfinish(source);
  PQfinish(target);
  return 0;
}
