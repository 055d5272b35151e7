#include "ack_ledger.h"

namespace laneway::bridge {

bool AckLedger::may_issue() const {
  if (by_mid_.size() >= max_outstanding_) return false;
  if (by_position_.empty()) return true;
  return newest_ - by_position_.begin()->first < kMaxMid / 2;
}

void AckLedger::issued(int mid) {
  if (mid <= 0 || mid > kMaxMid) return;
  // Ids run 1..65535 and then 1 again; the step from the previous one is the number of ids
  // the link spent since (at least this message).
  const int step = newest_mid_ == 0 ? 1 : (mid - newest_mid_ + kMaxMid) % kMaxMid;
  newest_ += step == 0 ? kMaxMid : step;
  newest_mid_ = mid;
}

void AckLedger::await(int mid, Owner owner) {
  // Only the newest id can be awaited: it was just issued.
  if (mid != newest_mid_) return;
  const auto [it, inserted] = by_mid_.emplace(mid, newest_);
  if (!inserted) {
    // may_issue() makes this unreachable; if it ever happens the older owner is forgotten
    // rather than answered with the newer message's PUBACK.
    by_position_.erase(it->second);
    it->second = newest_;
  }
  by_position_[newest_] = owner;
}

std::optional<AckLedger::Owner> AckLedger::on_puback(int mid) {
  const auto it = by_mid_.find(mid);
  if (it == by_mid_.end()) return std::nullopt;
  const auto pos = by_position_.find(it->second);
  const Owner owner = pos->second;
  by_position_.erase(pos);
  by_mid_.erase(it);
  return owner;
}

}  // namespace laneway::bridge
