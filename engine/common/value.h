// Value: one column value flowing through a transform pipeline: SQL NULL or text (the PostgreSQL
// text representation, as COPY delivers it).
//
// A Value starts as a view into the row buffer of the source (no allocation). A transform that
// changes the text calls set(); from then on the Value owns its text. Values that pass through
// unchanged never allocate.
//
// REQUIRES: a viewed buffer outlives the Value (the source keeps a row's buffer alive while the
// row is transformed). Thread-safety: none; a Value belongs to one pipeline run.
#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace mapengine {

class Value {
 public:
  Value() = default;  // NULL
  static Value null() { return Value(); }
  static Value view(std::string_view text) {
    Value v;
    v.null_ = false;
    v.view_ = text;
    return v;
  }
  static Value owned(std::string text) {
    Value v;
    v.set(std::move(text));
    return v;
  }

  Value(const Value& other) { *this = other; }
  Value& operator=(const Value& other) {
    null_ = other.null_;
    owns_ = other.owns_;
    owned_ = other.owned_;
    view_ = other.view_;
    return *this;
  }
  Value(Value&& other) noexcept { *this = std::move(other); }
  Value& operator=(Value&& other) noexcept {
    null_ = other.null_;
    owns_ = other.owns_;
    owned_ = std::move(other.owned_);
    view_ = other.view_;
    return *this;
  }

  bool is_null() const { return null_; }
  // The text; empty for NULL. Valid until the next mutation of this Value.
  std::string_view text() const { return owns_ ? std::string_view(owned_) : view_; }

  void set_null() {
    null_ = true;
    owns_ = false;
    view_ = {};
  }
  // Replaces the text with an owned copy.
  void set(std::string text) {
    null_ = false;
    owns_ = true;
    owned_ = std::move(text);
  }
  // Replaces the text with an owned copy of `text`, reusing this Value's buffer (the per-row
  // path: no allocation once the buffer is large enough). `text` must not point into it.
  void assign(std::string_view text) {
    null_ = false;
    owns_ = true;
    owned_.assign(text.data(), text.size());
  }
  // Replaces the text with a view (REQUIRES: `text` outlives this Value, e.g. a literal held by
  // a compiled transform).
  void set_view(std::string_view text) {
    null_ = false;
    owns_ = false;
    view_ = text;
  }
  // The owned text, for in-place edits; copies a viewed text first. REQUIRES !is_null().
  std::string& mutable_text() {
    if (!owns_) {
      owned_.assign(view_.data(), view_.size());
      owns_ = true;
    }
    return owned_;
  }

  bool operator==(const Value& other) const {
    return null_ == other.null_ && text() == other.text();
  }

 private:
  bool null_ = true;
  bool owns_ = false;
  std::string_view view_;
  std::string owned_;
};

}  // namespace mapengine
