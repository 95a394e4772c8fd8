// Time transforms: parse_date, parse_timestamp, assume_timezone, convert_timezone, from_epoch.
// Zones are located and format patterns compiled once, when the pipeline is compiled; the DST
// rule for local times that do not exist or exist twice is documented in zone_rules.h.
#include <fmt/format.h>

#include "engine/transform/argument_schema.h"
#include "engine/transform/civil_time.h"
#include "engine/transform/decimal.h"
#include "engine/transform/factory_support.h"
#include "engine/transform/registry.h"
#include "engine/transform/zone_rules.h"

namespace mapengine {
namespace {

using TransformPtr = std::unique_ptr<Transform>;
using std::chrono::seconds;

constexpr std::string_view kDateForm = "YYYY-MM-DD[ HH:MM[:SS[.ffffff]]][+HH:MM]";

// PostgreSQL's special timestamps pass through the zone transforms unchanged.
bool is_infinity(std::string_view text) {
  text = trim_ascii(text);
  return equals_ignore_case(text, "infinity") || equals_ignore_case(text, "-infinity");
}

// The instant a parsed value denotes: its own offset wins; otherwise its local time in `zone`,
// a time in a gap or an overlap read by `rule`. nullopt (and `kind` says which) when the rule
// rejects it. REQUIRES: parsed.offset or zone.
std::optional<SysMicros> instant_of(const ParsedTime& parsed, const ZoneRules* zone,
                                    const LocalTimeRule& rule, LocalKind& kind) {
  kind = LocalKind::kUnique;
  if (parsed.offset) return SysMicros{parsed.local.time_since_epoch() - *parsed.offset};
  const date::local_seconds whole = date::floor<seconds>(parsed.local);
  auto instant = zone->resolve(whole, rule, &kind);
  if (!instant) return std::nullopt;
  return *instant + (parsed.local - whole);
}

// Why `rule` rejected a local time of `kind` in `zone`.
std::string rejected_local_time(std::string_view transform, const Value& value,
                                const ZoneRules& zone, LocalKind kind) {
  if (kind == LocalKind::kGap) {
    return fmt::format("{}: {} does not exist in {} (the clocks jump over it; on_gap: reject)",
                       transform, quoted(value), zone.name());
  }
  return fmt::format("{}: {} happens twice in {} (the clocks fall back over it; on_ambiguous: "
                     "reject)",
                     transform, quoted(value), zone.name());
}

// The options on_ambiguous: and on_gap:, both earlier | later | reject.
std::optional<LocalTimeRule> read_local_time_rule(ArgumentReader& reader) {
  LocalTimeRule rule;
  constexpr LocalChoice kChoices[] = {LocalChoice::kEarlier, LocalChoice::kLater,
                                      LocalChoice::kReject};
  for (auto [option, slot] : {std::pair{"on_ambiguous", &rule.on_ambiguous},
                              std::pair{"on_gap", &rule.on_gap}}) {
    if (!reader.has_option(option)) continue;
    auto index = reader.choice(reader.option(option), option, {"earlier", "later", "reject"});
    if (!index) return std::nullopt;
    *slot = kChoices[*index];
  }
  return rule;
}

std::unique_ptr<ZoneRules> read_zone(ArgumentReader& reader, const YAML::Node& node,
                                     std::string_view what) {
  auto name = reader.text(node, what);
  if (!name) return nullptr;
  std::string error;
  auto zone = ZoneRules::locate(*name, error);
  if (!zone) {
    reader.error("unknown-timezone",
                 fmt::format("unknown time zone '{}'{}", *name,
                             did_you_mean(*name, ZoneRules::zone_names())));
  }
  return zone;
}

// ---- parse_date, parse_timestamp ----------------------------------------------------------

class ParseTime final : public Transform {
 public:
  ParseTime(std::string name, std::vector<TimeFormat> formats, bool timestamp)
      : name_(std::move(name)), formats_(std::move(formats)), timestamp_(timestamp) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) return std::nullopt;
    std::string why;
    std::optional<ParsedTime> parsed;
    for (const TimeFormat& format : formats_) {
      parsed = format.match(value.text(), why);
      if (parsed) break;
    }
    if (!parsed) {
      if (formats_.size() > 1) {
        std::vector<std::string_view> patterns;
        for (const TimeFormat& format : formats_) patterns.push_back(format.pattern());
        return fmt::format("{}: {} matches none of {}", name_, quoted(value),
                           fmt::join(patterns, ", "));
      }
      return fmt::format("{}: {} {}", name_, quoted(value), why);
    }
    std::optional<TimeText> text;
    if (!timestamp_) {
      text = format_date(date::floor<date::days>(parsed->local));
    } else if (parsed->offset) {
      text = format_timestamptz_utc(SysMicros{parsed->local.time_since_epoch() - *parsed->offset});
    } else {
      text = format_timestamp(parsed->local);
    }
    if (!text) return fmt::format("{}: {} is out of range (years 1 to 9999)", name_, quoted(value));
    set_text(value, text->view());
    return std::nullopt;
  }

 private:
  std::string name_;
  std::vector<TimeFormat> formats_;
  bool timestamp_;
};

TransformPtr make_parse_time(std::string_view name, bool timestamp, const TransformArgs& args,
                             Diagnostics& diagnostics) {
  ArgumentReader reader(name, args, diagnostics);
  std::vector<std::string> patterns{timestamp ? "%Y-%m-%d %H:%M:%S" : "%Y-%m-%d"};
  if (reader.has_main()) {
    auto list = reader.text_list(reader.main(), "the format");
    if (!list) return nullptr;
    patterns = std::move(*list);
  }
  std::vector<TimeFormat> formats;
  for (const std::string& pattern : patterns) {
    std::string why;
    auto format = TimeFormat::compile(pattern, why);
    if (!format) {
      reader.error(fmt::format("format '{}': {}", pattern, why));
      continue;
    }
    formats.push_back(std::move(*format));
  }
  if (!reader.ok()) return nullptr;
  return std::make_unique<ParseTime>(std::string(name), std::move(formats), timestamp);
}

// ---- assume_timezone, convert_timezone ----------------------------------------------------

class AssumeTimezone final : public Transform {
 public:
  AssumeTimezone(std::unique_ptr<ZoneRules> zone, LocalTimeRule rule)
      : zone_(std::move(zone)), rule_(rule) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null() || is_infinity(value.text())) return std::nullopt;
    std::string why;
    auto parsed = parse_timestamp_text(value.text(), why);
    if (!parsed) {
      return fmt::format("assume_timezone: {} is not a timestamp ({}): {}", quoted(value),
                         kDateForm, why);
    }
    LocalKind kind = LocalKind::kUnique;
    auto instant = instant_of(*parsed, zone_.get(), rule_, kind);
    if (!instant) return rejected_local_time("assume_timezone", value, *zone_, kind);
    auto text = format_timestamptz_utc(*instant);
    if (!text) {
      return fmt::format("assume_timezone: {} is out of range in UTC (years 1 to 9999)",
                         quoted(value));
    }
    set_text(value, text->view());
    return std::nullopt;
  }

 private:
  std::unique_ptr<ZoneRules> zone_;
  LocalTimeRule rule_;
};

class ConvertTimezone final : public Transform {
 public:
  ConvertTimezone(std::unique_ptr<ZoneRules> from, std::unique_ptr<ZoneRules> to,
                  LocalTimeRule rule)
      : from_(std::move(from)), to_(std::move(to)), rule_(rule) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null() || is_infinity(value.text())) return std::nullopt;
    std::string why;
    auto parsed = parse_timestamp_text(value.text(), why);
    if (!parsed) {
      return fmt::format("convert_timezone: {} is not a timestamp ({}): {}", quoted(value),
                         kDateForm, why);
    }
    if (!parsed->offset && !from_) {
      return fmt::format("convert_timezone: {} has no UTC offset and no from: zone is set",
                         quoted(value));
    }
    LocalKind kind = LocalKind::kUnique;
    auto resolved = instant_of(*parsed, from_.get(), rule_, kind);
    if (!resolved) return rejected_local_time("convert_timezone", value, *from_, kind);
    const SysMicros instant = *resolved;
    const seconds offset = to_->offset_at(date::floor<seconds>(instant));
    auto text = format_timestamp(LocalMicros{instant.time_since_epoch() + offset});
    if (!text) {
      return fmt::format("convert_timezone: {} is out of range in {} (years 1 to 9999)",
                         quoted(value), to_->name());
    }
    set_text(value, text->view());
    return std::nullopt;
  }

 private:
  std::unique_ptr<ZoneRules> from_;  // null: values must carry an offset
  std::unique_ptr<ZoneRules> to_;
  LocalTimeRule rule_;
};

TransformPtr make_convert_timezone(const TransformArgs& args, Diagnostics& diagnostics) {
  ArgumentReader reader("convert_timezone", args, diagnostics);
  const YAML::Node& main = reader.main();
  if (!main.IsDefined() || !main.IsMap()) {
    reader.error("needs { from: Zone, to: Zone }, e.g. { convert_timezone: { from: "
                 "America/Chicago, to: UTC } }");
    return nullptr;
  }
  for (const auto& entry : main) {
    const std::string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    if (key != "from" && key != "to") {
      reader.error(fmt::format("unknown key '{}'; the keys are from: and to:", key));
    }
  }
  std::unique_ptr<ZoneRules> from, to;
  if (main["from"]) from = read_zone(reader, main["from"], "from:");
  if (!main["to"]) {
    reader.error("needs to: (the zone to convert into)");
  } else {
    to = read_zone(reader, main["to"], "to:");
  }
  auto rule = read_local_time_rule(reader);
  if (!reader.ok() || !rule) return nullptr;
  return std::make_unique<ConvertTimezone>(std::move(from), std::move(to), *rule);
}

// ---- from_epoch ---------------------------------------------------------------------------

class FromEpoch final : public Transform {
 public:
  FromEpoch(std::string unit, Decimal to_micros)
      : unit_(std::move(unit)), to_micros_(std::move(to_micros)) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) return std::nullopt;
    auto number = parse_decimal(value.text());
    if (!number) return fmt::format("from_epoch: {} is not a number of {}", quoted(value), unit_);
    Decimal micros = multiply(*number, to_micros_);
    if (!round_to(micros, 0, Rounding::kReject)) {
      return fmt::format("from_epoch: {} is more precise than a microsecond", quoted(value));
    }
    auto count = to_int64(micros);
    std::optional<TimeText> text;
    if (count) text = format_timestamptz_utc(SysMicros{std::chrono::microseconds(*count)});
    if (!text) {
      return fmt::format("from_epoch: {} {} is out of range (years 1 to 9999)", quoted(value),
                         unit_);
    }
    set_text(value, text->view());
    return std::nullopt;
  }

 private:
  std::string unit_;
  Decimal to_micros_;
};

TransformPtr make_from_epoch(const TransformArgs& args, Diagnostics& diagnostics) {
  ArgumentReader reader("from_epoch", args, diagnostics);
  std::optional<size_t> unit = 0;
  if (reader.has_main() && reader.has_option("unit")) {
    reader.error("give the unit once: { from_epoch: ms } or unit: ms");
    return nullptr;
  }
  if (reader.has_main()) {
    unit = reader.choice(reader.main(), "the unit", {"s", "ms", "us"});
  } else if (reader.has_option("unit")) {
    unit = reader.choice(reader.option("unit"), "unit:", {"s", "ms", "us"});
  }
  if (!unit) return nullptr;
  static const char* const kNames[] = {"seconds", "milliseconds", "microseconds"};
  static const char* const kFactors[] = {"1000000", "1000", "1"};
  return std::make_unique<FromEpoch>(kNames[*unit], *parse_decimal(kFactors[*unit]));
}

}  // namespace

void register_time_transforms(TransformRegistry& registry) {
  using VT = ValueType;
  using Main = ArgumentSchemas::Main;
  namespace S = argument_schema;
  const std::string zone = S::text("an IANA time zone such as Europe/Paris, or UTC");
  const std::vector<std::pair<std::string, std::string>> rule_options = {
      {"on_ambiguous",
       S::choice({"earlier", "later", "reject"}, "a time that happens twice: earlier (default)")},
      {"on_gap", S::choice({"earlier", "later", "reject"},
                           "a time the clocks jump over: later (default)")}};
  {
    TransformInfo info = transform_info("parse_date",
                                        "reads a date with a strftime-like format (or a list "
                                        "tried in order) into YYYY-MM-DD",
                                        VT::kText, VT::kDate, {});
    info.arguments = {Main::kOptional,
                      S::text_or_list("a format such as \"%d/%m/%Y\", or a list tried in order"),
                      {}};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) {
      return make_parse_time("parse_date", false, a, d);
    };
    registry.add(std::move(info));
  }
  {
    TransformInfo info = transform_info("parse_timestamp",
                                        "reads a timestamp with a strftime-like format (or a "
                                        "list) into YYYY-MM-DD HH:MM:SS",
                                        VT::kText, VT::kTimestamp, {});
    info.arguments = {
        Main::kOptional,
        S::text_or_list("a format such as \"%d/%m/%Y %H:%M\", or a list tried in order"), {}};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) {
      return make_parse_time("parse_timestamp", true, a, d);
    };
    registry.add(std::move(info));
  }
  {
    TransformInfo info = transform_info("assume_timezone",
                                        "reads a timestamp as local time in a zone; writes it "
                                        "in UTC (+00)",
                                        VT::kTimestamp, VT::kTimestamptz,
                                        {"on_ambiguous", "on_gap"});
    info.arguments = {Main::kRequired, zone, rule_options};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("assume_timezone", a, d);
      auto zone = read_zone(reader, reader.main(), "the zone");
      auto rule = read_local_time_rule(reader);
      if (!zone || !rule) return nullptr;
      return std::make_unique<AssumeTimezone>(std::move(zone), *rule);
    };
    registry.add(std::move(info));
  }
  {
    TransformInfo info = transform_info("convert_timezone",
                                        "converts a timestamp from one zone's local time to "
                                        "another's",
                                        VT::kAny, VT::kTimestamp,
                                        {"on_ambiguous", "on_gap"});
    info.arguments = {Main::kRequired,
                      S::fields({"from", "to"}, {"to"},
                                "from: the zone of values without an offset; to: the zone written"),
                      rule_options};
    info.make_transform = make_convert_timezone;
    registry.add(std::move(info));
  }
  {
    TransformInfo info = transform_info("from_epoch",
                                        "reads seconds (or ms, us) since 1970-01-01 UTC as a "
                                        "timestamp in UTC",
                                        VT::kNumeric, VT::kTimestamptz, {"unit"});
    const std::string unit = S::choice({"s", "ms", "us"}, "the unit: s (default), ms or us");
    info.arguments = {Main::kOptional, unit, {{"unit", unit}}};
    info.make_transform = make_from_epoch;
    registry.add(std::move(info));
  }
}

}  // namespace mapengine
