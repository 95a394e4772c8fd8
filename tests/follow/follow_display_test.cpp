// The lag line and sizes of `sync`'s follow display.
#include "engine/follow/follow_display.h"

#include <catch2/catch.hpp>

using mapengine::follow::FollowProgress;
using mapengine::follow::format_follow_line;
using mapengine::follow::format_wal_size;

TEST_CASE("WAL sizes read in binary units", "[follow]") {
  CHECK(format_wal_size(0) == "0 B");
  CHECK(format_wal_size(1023) == "1023 B");
  CHECK(format_wal_size(1024) == "1.0 KiB");
  CHECK(format_wal_size(1536) == "1.5 KiB");
  CHECK(format_wal_size(48LL << 20) == "48.0 MiB");
  CHECK(format_wal_size(5LL << 30) == "5.0 GiB");
  CHECK(format_wal_size(3LL << 40) == "3.0 TiB");
}

TEST_CASE("the lag line shows bytes and seconds behind and fits the terminal", "[follow]") {
  FollowProgress p;
  p.name = "default";
  p.confirmed = *mapengine::pg::Lsn::parse("0/3A1C2B8");
  p.lag_bytes = 12288;
  p.lag_seconds = 2.44;
  p.transactions = 1234;
  p.upserted = 2000;
  p.deleted = 3;
  std::string line = format_follow_line(p, 200);
  CHECK(line ==
        "following default  lag 12.0 KiB, 2.4 s  1,234 transactions (2,000 written, 3 deleted, "
        "0 rejected)  confirmed 0/3A1C2B8");
  CHECK(format_follow_line(p, 40).size() == 39);
  p.lag_seconds.reset();
  CHECK(format_follow_line(p, 200).find("lag 12.0 KiB, ? s") != std::string::npos);
  p.lag_seconds = 3725;
  CHECK(format_follow_line(p, 200).find("lag 12.0 KiB, 1:02:05") != std::string::npos);
}
