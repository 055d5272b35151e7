// Which upstream QoS 1 message is waiting for its PUBACK, and whose it is (a session's
// publish or an RPC request). MQTT message ids are 16 bits and libmosquitto hands them out
// in turn, QoS 0 publishes and SUBSCRIBEs included, without checking what is still in
// flight: after 65,535 messages an id comes round again, and a PUBACK carries nothing but
// the id. So the ledger refuses to let ids come round while an older one is outstanding:
// a new upstream message may go out only while every outstanding id is less than half the
// id space behind the newest one issued (half, so the few ids the link spends on SUBSCRIBEs
// the hub does not see cannot close the gap), and while fewer than `max_outstanding` are
// waiting. A message whose caller was already answered (its deadline passed) stays here
// until its PUBACK comes, since its id is still in use on the wire (docs/bridge.md
// "Memory budget", "Upstream publishes").
//
// Single-threaded (event loop), like the rest of the session core.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <unordered_map>

namespace laneway::bridge {

class AckLedger {
 public:
  enum class Owner { kPublish, kRpc };
  static constexpr int kMaxMid = 65535;

  explicit AckLedger(std::size_t max_outstanding) : max_outstanding_(max_outstanding) {}

  // Whether one more upstream message may be issued now without risking an id in use.
  bool may_issue() const;
  // Every message id the link returned (QoS 0 too): the newest bounds the window.
  void issued(int mid);
  // A QoS 1 message `mid` (already passed to issued()) now waits for its PUBACK.
  void await(int mid, Owner owner);
  // The PUBACK for `mid` came: whose it was, or nullopt for an id nobody waits on.
  std::optional<Owner> on_puback(int mid);

  std::size_t outstanding() const { return by_mid_.size(); }
  std::uint64_t refusals() const { return refusals_; }
  void count_refusal() { ++refusals_; }

 private:
  const std::size_t max_outstanding_;
  // Ids unwrapped onto a 64-bit count, so "older" survives the 16-bit wrap.
  std::uint64_t newest_ = 0;
  int newest_mid_ = 0;
  std::map<std::uint64_t, Owner> by_position_;     // oldest outstanding first
  std::unordered_map<int, std::uint64_t> by_mid_;  // mid → its position
  std::uint64_t refusals_ = 0;
};

}  // namespace laneway::bridge
