// Number transforms: to_int, to_numeric, scale, round. All arithmetic is exact decimal string
// arithmetic (decimal.h); nothing passes through binary floating point.
#include <fmt/format.h>

#include <charconv>

#include "engine/transform/decimal.h"
#include "engine/transform/argument_schema.h"
#include "engine/transform/factory_support.h"
#include "engine/transform/registry.h"

namespace mapengine {
namespace {

using TransformPtr = std::unique_ptr<Transform>;

constexpr Rounding kRoundings[] = {Rounding::kHalfUp, Rounding::kHalfEven, Rounding::kDown,
                                   Rounding::kUp, Rounding::kReject};

std::optional<Rounding> read_rounding(ArgumentReader& reader, std::string_view key,
                                      Rounding fallback) {
  if (!reader.has_option(key)) return fallback;
  auto index = reader.choice(reader.option(key), fmt::format("{}:", key),
                             {"half_up", "half_even", "down", "up", "reject"});
  if (!index) return std::nullopt;
  return kRoundings[*index];
}

// True for text that to_int would leave as it is: a canonical bigint.
bool is_plain_int64(std::string_view text) {
  if (text.empty() || text.find('.') != std::string_view::npos || !is_plain_decimal(text)) {
    return false;
  }
  int64_t ignored;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ignored);
  return ec == std::errc() && end == text.data() + text.size();
}

// For messages: 1999.900 reads better as 1999.9.
Decimal without_trailing_zeros(Decimal number) {
  while (number.exponent < 0 && !number.digits.empty() && number.digits.back() == '0') {
    number.digits.pop_back();
    ++number.exponent;
  }
  return number;
}

// ---- to_int, to_numeric -------------------------------------------------------------------

class ToInt final : public Transform {
 public:
  explicit ToInt(Rounding rounding) : rounding_(rounding) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null() || is_plain_int64(value.text())) return std::nullopt;
    auto number = parse_decimal(value.text());
    if (!number) return fmt::format("to_int: {} is not a number", quoted(value));
    if (!round_to(*number, 0, rounding_)) {
      return fmt::format("to_int: {} has a fractional part (set rounding: to round it)",
                         quoted(value));
    }
    auto integer = to_int64(*number);
    if (!integer) return fmt::format("to_int: {} is out of range for bigint", quoted(value));
    set_text(value, std::to_string(*integer));
    return std::nullopt;
  }

 private:
  Rounding rounding_;
};

class ToNumeric final : public Transform {
 public:
  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null() || is_plain_decimal(value.text())) return std::nullopt;
    auto number = parse_decimal(value.text());
    if (!number) return fmt::format("to_numeric: {} is not a number", quoted(value));
    set_text(value, to_text(*number));
    return std::nullopt;
  }
};

// ---- scale, round -------------------------------------------------------------------------

class Scale final : public Transform {
 public:
  Scale(Decimal factor, std::string factor_text, int64_t digits, Rounding rounding)
      : factor_(std::move(factor)),
        factor_text_(std::move(factor_text)),
        digits_(digits),
        rounding_(rounding) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) return std::nullopt;
    auto number = parse_decimal(value.text());
    if (!number) return fmt::format("scale: {} is not a number", quoted(value));
    Decimal product = multiply(*number, factor_);
    if (!round_to(product, digits_, rounding_)) {
      return fmt::format("scale: {} x {} = {} has more than {} decimal digits (set rounding: to "
                         "round it)",
                         quoted(value), factor_text_, to_text(without_trailing_zeros(product)),
                         digits_);
    }
    if (digits_ == 0 && !to_int64(product)) {
      return fmt::format("scale: {} x {} is out of range for bigint", quoted(value), factor_text_);
    }
    set_text(value, to_text(product, digits_));
    return std::nullopt;
  }

 private:
  Decimal factor_;
  std::string factor_text_;
  int64_t digits_;  // fraction digits of the result
  Rounding rounding_;
};

class Round final : public Transform {
 public:
  Round(int64_t digits, Rounding mode) : digits_(digits), mode_(mode) {}

  Rejection apply(Value& value, const RowContext&) const override {
    if (value.is_null()) return std::nullopt;
    const std::string_view text = value.text();
    if (digits_ >= 0 && is_plain_decimal(text)) {
      const size_t point = text.find('.');
      const size_t fraction = point == std::string_view::npos ? 0 : text.size() - point - 1;
      if (fraction == static_cast<size_t>(digits_)) return std::nullopt;
    }
    auto number = parse_decimal(text);
    if (!number) return fmt::format("round: {} is not a number", quoted(value));
    if (!round_to(*number, digits_, mode_)) {
      return fmt::format("round: {} has more than {} decimal digits", quoted(value), digits_);
    }
    set_text(value, to_text(*number, std::max<int64_t>(digits_, 0)));
    return std::nullopt;
  }

 private:
  int64_t digits_;
  Rounding mode_;
};

}  // namespace

void register_number_transforms(TransformRegistry& registry) {
  using VT = ValueType;
  using Main = ArgumentSchemas::Main;
  namespace S = argument_schema;
  const std::string rounding = S::choice({"half_up", "half_even", "down", "up", "reject"},
                                         "how a value with more digits is rounded");
  {
    TransformInfo info = transform_info("to_int", "checks and normalises a whole number (bigint)",
                                        VT::kAny, VT::kInteger, {"rounding"});
    info.arguments = {Main::kNone, "", {{"rounding", rounding}}};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("to_int", a, d);
      reader.no_main();
      auto rounding = read_rounding(reader, "rounding", Rounding::kReject);
      if (!reader.ok() || !rounding) return nullptr;
      return std::make_unique<ToInt>(*rounding);
    };
    registry.add(std::move(info));
  }
  {
    TransformInfo info = transform_info("to_numeric", "checks and normalises a decimal number",
                                        VT::kAny, VT::kNumeric, {});
    info.arguments.use = Main::kNone;
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("to_numeric", a, d);
      if (!reader.no_main()) return nullptr;
      return std::make_unique<ToNumeric>();
    };
    registry.add(std::move(info));
  }
  {
    TransformInfo info = transform_info("scale",
                                        "multiplies by a decimal factor exactly, e.g. dollars to "
                                        "cents",
                                        VT::kNumeric, VT::kNumeric, {"rounding", "digits"});
    info.arguments = {
        Main::kRequired, S::text("the factor, a non-zero decimal number"),
        {{"rounding", rounding},
         {"digits", S::integer(0, 1000, "decimal digits kept (default: the factor's)")}}};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("scale", a, d);
      auto factor_text = reader.text(reader.main(), "the factor");
      std::optional<Decimal> factor;
      if (factor_text) {
        factor = parse_decimal(*factor_text);
        if (!factor || factor->is_zero()) {
          reader.error(fmt::format("the factor must be a non-zero number, not '{}'", *factor_text));
        }
      }
      auto rounding = read_rounding(reader, "rounding", Rounding::kReject);
      std::optional<int64_t> digits;
      if (reader.has_option("digits")) {
        digits = reader.integer(reader.option("digits"), "digits:", 0, 1000);
      } else if (factor) {
        digits = factor->fraction_digits();
      }
      if (!reader.ok() || !factor || !digits || !rounding) return nullptr;
      return std::make_unique<Scale>(std::move(*factor), *factor_text, *digits, *rounding);
    };
    registry.add(std::move(info));
  }
  {
    TransformInfo info = transform_info("round", "rounds to N decimal digits (default 0)",
                                        VT::kNumeric, VT::kNumeric, {"mode"});
    info.arguments = {Main::kOptional, S::integer(-1000, 1000, "decimal digits kept (default 0)"),
                      {{"mode", rounding}}};
    info.make_transform = [](const TransformArgs& a, Diagnostics& d) -> TransformPtr {
      ArgumentReader reader("round", a, d);
      std::optional<int64_t> digits = 0;
      if (reader.has_main()) digits = reader.integer(reader.main(), "the digits", -1000, 1000);
      auto mode = read_rounding(reader, "mode", Rounding::kHalfUp);
      if (!digits || !mode) return nullptr;
      return std::make_unique<Round>(*digits, *mode);
    };
    registry.add(std::move(info));
  }
}

}  // namespace mapengine
