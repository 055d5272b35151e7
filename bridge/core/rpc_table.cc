#include "rpc_table.h"

#include <algorithm>

namespace laneway::bridge {

RpcTable::AddResult RpcTable::can_add(const std::string& session_id) const {
  if (entries_.size() >= max_total_) return AddResult::kTableFull;
  if (for_session(session_id) >= max_per_session_) return AddResult::kSessionFull;
  return AddResult::kOk;
}

RpcTable::AddResult RpcTable::add(const std::string& correlation, PendingRpc rpc) {
  if (const AddResult r = can_add(rpc.session_id); r != AddResult::kOk) return r;
  if (entries_.count(correlation)) return AddResult::kDuplicate;
  deadlines_.emplace(rpc.deadline_us, correlation);
  if (rpc.mid > 0) by_mid_[rpc.mid] = correlation;
  by_session_[rpc.session_id].push_back(correlation);
  entries_.emplace(correlation, std::move(rpc));
  return AddResult::kOk;
}

void RpcTable::set_mid(const std::string& correlation, int mid) {
  auto it = entries_.find(correlation);
  if (it == entries_.end() || mid <= 0) return;
  it->second.mid = mid;
  by_mid_[mid] = correlation;
}

std::size_t RpcTable::for_session(const std::string& session_id) const {
  auto it = by_session_.find(session_id);
  return it == by_session_.end() ? 0 : it->second.size();
}

std::int64_t RpcTable::next_deadline_us() const {
  return deadlines_.empty() ? 0 : deadlines_.begin()->first;
}

void RpcTable::erase(std::unordered_map<std::string, PendingRpc>::iterator it) {
  const std::string& correlation = it->first;
  const PendingRpc& rpc = it->second;
  auto range = deadlines_.equal_range(rpc.deadline_us);
  for (auto d = range.first; d != range.second; ++d) {
    if (d->second == correlation) {
      deadlines_.erase(d);
      break;
    }
  }
  if (rpc.mid > 0) {
    auto m = by_mid_.find(rpc.mid);
    if (m != by_mid_.end() && m->second == correlation) by_mid_.erase(m);
  }
  auto s = by_session_.find(rpc.session_id);
  if (s != by_session_.end()) {
    auto& list = s->second;
    list.erase(std::remove(list.begin(), list.end(), correlation), list.end());
    if (list.empty()) by_session_.erase(s);
  }
  entries_.erase(it);
}

const PendingRpc* RpcTable::find(const std::string& correlation) const {
  auto it = entries_.find(correlation);
  return it == entries_.end() ? nullptr : &it->second;
}

std::optional<PendingRpc> RpcTable::take(const std::string& correlation) {
  auto it = entries_.find(correlation);
  if (it == entries_.end()) return std::nullopt;
  PendingRpc rpc = it->second;
  erase(it);
  return rpc;
}

std::optional<PendingRpc> RpcTable::on_puback(int mid, int reason) {
  auto m = by_mid_.find(mid);
  if (m == by_mid_.end()) return std::nullopt;
  auto it = entries_.find(m->second);
  if (it == entries_.end()) {
    by_mid_.erase(m);
    return std::nullopt;
  }
  if (reason >= 0x80) return take(std::string(m->second));
  // MQTT v5 0x10: "no matching subscribers". Kept: the answer is still TIMEOUT, but its
  // message can say the device looked offline.
  if (reason == 0x10) it->second.no_subscriber = true;
  by_mid_.erase(m);  // message ids are reused by libmosquitto; this one is done
  it->second.mid = 0;
  return std::nullopt;
}

std::vector<PendingRpc> RpcTable::expire(std::int64_t now_us) {
  std::vector<PendingRpc> out;
  while (!deadlines_.empty() && deadlines_.begin()->first <= now_us) {
    const std::string correlation = deadlines_.begin()->second;
    if (auto rpc = take(correlation)) {
      out.push_back(std::move(*rpc));
    } else {
      deadlines_.erase(deadlines_.begin());  // cannot happen; never loop on it
    }
  }
  return out;
}

void RpcTable::drop_session(const std::string& session_id) {
  auto s = by_session_.find(session_id);
  if (s == by_session_.end()) return;
  const std::vector<std::string> correlations = s->second;
  for (const std::string& c : correlations) {
    auto it = entries_.find(c);
    if (it != entries_.end()) erase(it);
  }
  by_session_.erase(session_id);
}

}  // namespace laneway::bridge
