// Where native threads hand their records (the guard's verdicts, the sensor's findings).
// Implementations never block the caller and never call into JS from it: the N-API side is
// napi/BatchQueue.hh; tests and the QEMU guest program collect them in memory.
#pragma once

#include <utility>
#include <vector>

namespace driftguard {

template <typename Record>
class RecordSink {
 public:
  virtual ~RecordSink() = default;
  virtual void push(std::vector<Record>&& batch) = 0;  // [any native thread]
  // [any native thread] One record; override where a one-element vector would cost.
  virtual void push(Record&& record) {
    std::vector<Record> one;
    one.push_back(std::move(record));
    push(std::move(one));
  }
};

}  // namespace driftguard
