// A subscription tree: topic filters stored level by level, the way Mosquitto keeps its
// subscriptions, so matching a topic walks only the branches that can match it (its own
// levels, `+` and `#`) instead of testing every filter. The cost of a match grows with the
// topic's depth and the number of matching filters, not with the filters held.
//
// Same matching rules as wire::topic_matches (MQTT v5 §4.7): `a/#` matches `a`, and a
// filter starting with a wildcard never matches a topic starting with `$`. Filters must be
// valid (wire::is_valid_filter); the tree does not check them again.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "laneway/wire/topic_levels.h"

namespace laneway::bridge {

namespace topic_tree_detail {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace topic_tree_detail

template <typename Subscriber>
class TopicTree {
 public:
  // Adds `who` under `filter`; false when it was there already.
  bool insert(std::string_view filter, Subscriber who) {
    Node* node = &root_;
    wire::TopicLevels levels(filter);
    std::string_view level;
    while (levels.next(level)) node = &node->child(level);
    if (!node->subscribers.insert(who).second) return false;
    ++entries_;
    return true;
  }

  // Removes `who` from `filter` and prunes the branches left empty; false when absent.
  bool erase(std::string_view filter, Subscriber who) {
    std::vector<std::pair<Node*, std::string_view>> path;  // parent, level taken from it
    Node* node = &root_;
    wire::TopicLevels levels(filter);
    std::string_view level;
    while (levels.next(level)) {
      Node* next = node->find(level);
      if (!next) return false;
      path.emplace_back(node, level);
      node = next;
    }
    if (node->subscribers.erase(who) == 0) return false;
    --entries_;
    for (auto it = path.rbegin(); it != path.rend() && node->empty(); ++it) {
      Node* parent = it->first;
      parent->remove(it->second);
      node = parent;
    }
    return true;
  }

  // Calls `fn(who)` for every subscriber of every filter matching `topic`; a subscriber
  // under two matching filters is called twice (callers dedup if they need to).
  template <typename Fn>
  void for_each_match(std::string_view topic, Fn&& fn) const {
    const bool dollar = !topic.empty() && topic.front() == '$';
    match(root_, wire::TopicLevels(topic), /*at_root=*/true, dollar, fn);
  }

  // True when some filter held matches `topic` (stops at the first).
  bool any_match(std::string_view topic) const {
    const bool dollar = !topic.empty() && topic.front() == '$';
    return any(root_, wire::TopicLevels(topic), /*at_root=*/true, dollar);
  }

  std::size_t entries() const { return entries_; }  // (filter, subscriber) pairs
  bool empty() const { return entries_ == 0; }

 private:
  struct Node {
    std::unordered_map<std::string, std::unique_ptr<Node>, topic_tree_detail::StringHash,
                       std::equal_to<>>
        children;
    std::unique_ptr<Node> plus;  // `+` at this level
    std::unique_ptr<Node> hash;  // `#` at this level
    std::unordered_set<Subscriber> subscribers;

    bool empty() const { return subscribers.empty() && children.empty() && !plus && !hash; }
    Node& child(std::string_view level) {
      std::unique_ptr<Node>* slot = nullptr;
      if (level == "+") {
        slot = &plus;
      } else if (level == "#") {
        slot = &hash;
      } else {
        auto it = children.find(level);
        if (it == children.end()) it = children.emplace(std::string(level), nullptr).first;
        slot = &it->second;
      }
      if (!*slot) *slot = std::make_unique<Node>();
      return **slot;
    }
    Node* find(std::string_view level) const {
      if (level == "+") return plus.get();
      if (level == "#") return hash.get();
      auto it = children.find(level);
      return it == children.end() ? nullptr : it->second.get();
    }
    void remove(std::string_view level) {
      if (level == "+") {
        plus.reset();
      } else if (level == "#") {
        hash.reset();
      } else if (auto it = children.find(level); it != children.end()) {
        children.erase(it);
      }
    }
  };

  template <typename Fn>
  static void match(const Node& node, wire::TopicLevels rest, bool at_root, bool dollar, Fn& fn) {
    const bool wildcards = !(at_root && dollar);
    // `#` matches what is left, including nothing (`a/#` matches `a`).
    if (node.hash && wildcards) {
      for (const Subscriber& who : node.hash->subscribers) fn(who);
    }
    std::string_view level;
    if (!rest.next(level)) {
      for (const Subscriber& who : node.subscribers) fn(who);
      return;
    }
    if (auto it = node.children.find(level); it != node.children.end()) {
      match(*it->second, rest, false, dollar, fn);
    }
    if (node.plus && wildcards) match(*node.plus, rest, false, dollar, fn);
  }

  static bool any(const Node& node, wire::TopicLevels rest, bool at_root, bool dollar) {
    const bool wildcards = !(at_root && dollar);
    if (node.hash && wildcards && !node.hash->subscribers.empty()) return true;
    std::string_view level;
    if (!rest.next(level)) return !node.subscribers.empty();
    if (auto it = node.children.find(level);
        it != node.children.end() && any(*it->second, rest, false, dollar)) {
      return true;
    }
    return node.plus && wildcards && any(*node.plus, rest, false, dollar);
  }

  Node root_;
  std::size_t entries_ = 0;
};

}  // namespace laneway::bridge
