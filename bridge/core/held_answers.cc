#include "held_answers.h"

#include <utility>

namespace laneway::bridge {

void HeldAnswers::hold(HeldAnswer answer) {
  Session& s = *answer.session;
  s.held_answers++;
  s.held_filters += answer.subs.size();
  s.connect_held = s.connect_held || answer.connect;
  held_.push_back(std::move(answer));
}

HeldAnswer HeldAnswers::take(std::list<HeldAnswer>::iterator& it) {
  HeldAnswer answer = std::move(*it);
  it = held_.erase(it);
  Session& s = *answer.session;
  s.held_answers--;
  s.held_filters -= answer.subs.size();
  if (answer.connect) s.connect_held = false;
  return answer;
}

std::vector<HeldAnswer> HeldAnswers::take_session(Session& s) {
  std::vector<HeldAnswer> out;
  if (s.held_answers == 0) return out;
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->session == &s) {
      out.push_back(take(it));
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<HeldAnswer> HeldAnswers::take_subscribes(Session& s, const std::string& filter) {
  std::vector<HeldAnswer> out;
  if (s.held_answers == 0) return out;
  for (auto it = held_.begin(); it != held_.end();) {
    if (it->session == &s && !it->connect && it->subs.front().filter() == filter) {
      out.push_back(take(it));
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace laneway::bridge
