// The subscription tree behind the hub's fan-out must match exactly what
// wire::topic_matches says, for every filter shape, and give back its memory as filters go.
#include "topic_tree.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "laneway/wire/topic_filter.h"

namespace laneway::bridge {
namespace {

std::multiset<int> matches(const TopicTree<int>& tree, const std::string& topic) {
  std::multiset<int> out;
  tree.for_each_match(topic, [&](int who) { out.insert(who); });
  return out;
}

TEST(TopicTree, MatchesLikeMqtt) {
  TopicTree<int> tree;
  tree.insert("a/b", 1);
  tree.insert("a/+", 2);
  tree.insert("a/#", 3);
  tree.insert("#", 4);
  tree.insert("+/b", 5);
  tree.insert("+", 6);
  EXPECT_EQ(matches(tree, "a/b"), (std::multiset<int>{1, 2, 3, 4, 5}));
  EXPECT_EQ(matches(tree, "a"), (std::multiset<int>{3, 4, 6}));  // `a/#` matches `a`
  EXPECT_EQ(matches(tree, "a/b/c"), (std::multiset<int>{3, 4}));
  EXPECT_EQ(matches(tree, "x/b"), (std::multiset<int>{4, 5}));
  // Wildcards at the first level never match `$` topics.
  EXPECT_TRUE(matches(tree, "$lw/b").empty());
  tree.insert("$lw/#", 7);
  EXPECT_EQ(matches(tree, "$lw/b"), (std::multiset<int>{7}));
  // Empty levels are levels.
  tree.insert("a//c", 8);
  EXPECT_EQ(matches(tree, "a//c"), (std::multiset<int>{3, 4, 8}));
}

TEST(TopicTree, InsertTwiceEraseAbsentAndPrune) {
  TopicTree<int> tree;
  EXPECT_TRUE(tree.insert("devices/d1/#", 1));
  EXPECT_FALSE(tree.insert("devices/d1/#", 1));
  EXPECT_TRUE(tree.insert("devices/d1/#", 2));
  EXPECT_FALSE(tree.erase("devices/d2/#", 1));
  EXPECT_FALSE(tree.erase("devices/d1/#", 3));
  EXPECT_EQ(tree.entries(), 2u);
  EXPECT_TRUE(tree.erase("devices/d1/#", 1));
  EXPECT_EQ(matches(tree, "devices/d1/t"), (std::multiset<int>{2}));
  EXPECT_TRUE(tree.erase("devices/d1/#", 2));
  EXPECT_TRUE(tree.empty());
  EXPECT_FALSE(tree.any_match("devices/d1/t"));
  // A pruned branch can grow again.
  EXPECT_TRUE(tree.insert("devices/d1/#", 1));
  EXPECT_TRUE(tree.any_match("devices/d1/t"));
}

// Random filters and topics over a small alphabet, so that wildcards, `$`, empty levels and
// depth differences collide often; the tree must agree with topic_matches every time.
TEST(TopicTree, AgreesWithTopicMatchesOnRandomInput) {
  std::mt19937 rng(20261207);
  const std::vector<std::string> levels = {"a", "b", "", "$x", "dev"};
  auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
  auto topic = [&] {
    std::string t;
    const std::size_t depth = 1 + pick(4);
    for (std::size_t i = 0; i < depth; ++i) t += (i ? "/" : "") + levels[pick(levels.size())];
    return t;
  };
  auto filter = [&] {
    std::string f;
    const std::size_t depth = 1 + pick(4);
    for (std::size_t i = 0; i < depth; ++i) {
      std::string level = levels[pick(levels.size())];
      const std::size_t r = pick(6);
      if (r == 0) level = "+";
      if (r == 1 && i + 1 == depth) level = "#";
      f += (i ? "/" : "") + level;
    }
    return f;
  };
  for (int round = 0; round < 50; ++round) {
    TopicTree<int> tree;
    std::vector<std::string> filters;
    for (int i = 0; i < 40; ++i) {
      std::string f = filter();
      while (!wire::is_valid_filter(f)) f = filter();  // a lone empty level is no filter
      filters.push_back(f);
      tree.insert(f, i);
    }
    // Take some out again: pruning must not lose the others.
    for (int i = 0; i < 40; i += 3) tree.erase(filters[i], i);
    for (int probe = 0; probe < 100; ++probe) {
      const std::string t = topic();
      std::multiset<int> expected;
      for (int i = 0; i < 40; ++i) {
        if (i % 3 != 0 && wire::topic_matches(filters[i], t)) expected.insert(i);
      }
      // A filter inserted twice under the same subscriber counts once.
      std::set<int> unique(expected.begin(), expected.end());
      const std::multiset<int> got = matches(tree, t);
      EXPECT_EQ(std::set<int>(got.begin(), got.end()), unique) << "topic " << t;
      EXPECT_EQ(got.size(), unique.size()) << "topic " << t;
      EXPECT_EQ(tree.any_match(t), !unique.empty()) << "topic " << t;
    }
  }
}

}  // namespace
}  // namespace laneway::bridge
