// Connects and subscribes answered only once the broker holds every filter they name
// (docs/bridge.md "Resume"): a request whose filters are not acknowledged yet waits here,
// with the Reply that answers it, until the broker's SUBACK (or its deadline). Bounded per
// session and bridge-wide; each entry holds one upstream reference per filter, which a
// grant hands on to the session's subscription and a refusal or close gives back.
//
// This part only keeps the list and the session's counters; what an answer says is the
// hub's (grant or refuse).
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <vector>

#include "call_outcome.h"
#include "laneway.pb.h"
#include "session.h"
#include "upstream.h"

namespace laneway::bridge {

// Answers held per session and on the whole bridge; past either the request is answered
// UNAVAILABLE at once. Each holds its request's filters and a Reply (for POST /v1/call an
// open HTTP transaction), so both stay bounded.
inline constexpr std::size_t kHeldAnswersPerSession = 64;
inline constexpr std::size_t kHeldAnswersMax = 10'000;

struct HeldAnswer {
  Session* session;  // the hub drops a session's answers before the session goes
  std::uint32_t call_id;
  bool connect;
  std::vector<v1::Subscription> subs;  // each holds one upstream reference
  Reply reply;
  std::int64_t deadline_us;
};

class HeldAnswers {
 public:
  struct Settled {
    HeldAnswer answer;
    UpstreamState state;  // kPending: the deadline passed first
  };

  bool has_room(const Session& s) const {
    return s.held_answers < kHeldAnswersPerSession && held_.size() < kHeldAnswersMax;
  }
  void hold(HeldAnswer answer);

  // Takes out, in arrival order, every answer the broker has decided (`state_of` is no
  // longer pending) or whose deadline passed. They leave the list before the caller runs
  // any reply, so nothing a reply does can disturb the walk.
  template <typename StateOf>
  std::vector<Settled> take_settled(std::int64_t now_us, StateOf&& state_of) {
    std::vector<Settled> settled;
    for (auto it = held_.begin(); it != held_.end();) {
      const UpstreamState st = state_of(it->subs);
      if (st == UpstreamState::kPending && it->deadline_us > now_us) {
        ++it;
        continue;
      }
      settled.push_back(Settled{take(it), st});
    }
    return settled;
  }
  // Takes out every answer of `s` (the session is closing).
  std::vector<HeldAnswer> take_session(Session& s);
  // Takes out `s`'s held subscribes of `filter` (an unsubscribe overtakes them).
  std::vector<HeldAnswer> take_subscribes(Session& s, const std::string& filter);

  std::size_t size() const { return held_.size(); }

 private:
  // Unlinks the entry at `it` (advancing it) and updates its session's counters.
  HeldAnswer take(std::list<HeldAnswer>::iterator& it);

  std::list<HeldAnswer> held_;  // in arrival order
};

}  // namespace laneway::bridge
