// The gradient tape: which values a tape watches and the records it kept.
//
// As TF's eager tape: every executed op is offered to every active tape; a tape keeps the
// op's record when one of the op's inputs is watched or was produced by a record it kept,
// and then tracks the op's outputs. Values are identified by keys (the bindings use the
// Python object's address, as Python's id()). The record type is the caller's: the
// bindings record Python's op name, Tensors and attributes, and hand the kept records to
// the reverse walk (walk.h). No Python here.
#pragma once
#include <array>
#include <cstdint>
#include <memory>
#include <vector>

namespace tapeflow::autodiff {

// A set of nonzero 64-bit keys, open addressing (no allocation per key, unlike
// std::unordered_set; a tape tracks a few values per recorded op).
class KeySet {
 public:
  bool contains(int64_t key) const {
    if (keys_.empty()) return false;
    for (size_t i = slot(key);; i = (i + 1) & (keys_.size() - 1)) {
      if (keys_[i] == key) return true;
      if (keys_[i] == 0) return false;
    }
  }
  // Adds `key` (nonzero); false if it was there.
  bool insert(int64_t key) {
    if (2 * (size_ + 1) > keys_.size()) grow();
    size_t i = slot(key);
    for (; keys_[i] != 0; i = (i + 1) & (keys_.size() - 1))
      if (keys_[i] == key) return false;
    keys_[i] = key;
    ++size_;
    return true;
  }
  size_t size() const { return size_; }

 private:
  size_t slot(int64_t key) const {
    const uint64_t h = static_cast<uint64_t>(key) * 0x9E3779B97F4A7C15ull;
    return static_cast<size_t>(h >> 32) & (keys_.size() - 1);
  }
  void grow() {
    std::vector<int64_t> old;
    old.swap(keys_);
    keys_.assign(old.empty() ? 64 : 2 * old.size(), 0);
    size_ = 0;
    for (const int64_t k : old)
      if (k != 0) insert(k);
  }
  std::vector<int64_t> keys_;
  size_t size_ = 0;
};

template <class Record>
class Tape {
 public:
  explicit Tape(bool watch_accessed_variables)
      : watch_accessed_variables_(watch_accessed_variables) {}

  // Whether Variables read while the tape records are watched (TF's default).
  bool watch_accessed_variables() const { return watch_accessed_variables_; }
  bool tracks(int64_t key) const { return ids_.contains(key); }
  // Starts watching `key`; false if it was watched or tracked already.
  bool watch(int64_t key) { return ids_.insert(key); }
  // Whether the tape keeps a record with these inputs (one of them tracked).
  template <class Keys>
  bool keeps(const Keys& inputs) const {
    for (const int64_t k : inputs)
      if (ids_.contains(k)) return true;
    return false;
  }
  // Keeps `record` (shared by the tapes that keep it) and tracks its outputs.
  template <class Keys>
  void keep(std::shared_ptr<Record> record, const Keys& outputs) {
    records_.push_back(std::move(record));
    for (const int64_t k : outputs) ids_.insert(k);
  }
  const std::vector<std::shared_ptr<Record>>& records() const { return records_; }

  int paused = 0;  // > 0: inside stop_recording()

 private:
  bool watch_accessed_variables_;
  KeySet ids_;
  std::vector<std::shared_ptr<Record>> records_;
};

// Offers an executed op to every tape in `tapes` (pointers, innermost last): each tape
// whose tracked values it reads keeps one record, made by make_record() the first time
// and shared by the tapes that keep it.
template <class Tapes, class Keys, class MakeRecord>
void offer(const Tapes& tapes, const Keys& inputs, const Keys& outputs, MakeRecord make_record) {
  decltype(make_record()) record;
  for (auto* tape : tapes) {
    if (!tape->keeps(inputs)) continue;
    if (!record) record = make_record();
    tape->keep(record, outputs);
  }
}

// A Variable (key `var`) was read into the value `value`: tapes that watch accessed
// variables start watching it when it is trainable (is_trainable() is asked once, when
// first needed; watch(tape) does the watching), and every tape watching it keeps the
// read's record, linking the value to the variable.
template <class Tapes, class IsTrainable, class Watch, class MakeRecord>
void variable_read(const Tapes& tapes, int64_t var, int64_t value, IsTrainable is_trainable,
                   Watch watch, MakeRecord make_record) {
  decltype(make_record()) record;
  int trainable = -1;
  for (auto* tape : tapes) {
    if (!tape->tracks(var)) {
      if (!tape->watch_accessed_variables()) continue;
      if (trainable < 0) trainable = is_trainable() ? 1 : 0;
      if (!trainable) continue;
      watch(*tape);
    }
    if (!record) record = make_record();
    tape->keep(record, std::array<int64_t, 1>{value});
  }
}

}  // namespace tapeflow::autodiff
