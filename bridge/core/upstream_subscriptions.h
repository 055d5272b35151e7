// Reference counts of the topic filters sessions use, so the bridge holds exactly one
// broker subscription per distinct filter in use.
#pragma once

#include <cstddef>
#include <string>
#include <unordered_map>
#include <vector>

namespace laneway::bridge {

class UpstreamSubscriptions {
 public:
  // Returns true when this is the filter's first user (subscribe upstream now).
  bool acquire(const std::string& filter) { return ++counts_[filter] == 1; }
  // Returns true when this was the filter's last user (unsubscribe upstream now).
  bool release(const std::string& filter);

  std::size_t users(const std::string& filter) const;
  std::size_t distinct() const { return counts_.size(); }
  std::vector<std::string> filters() const;

 private:
  std::unordered_map<std::string, std::size_t> counts_;
};

}  // namespace laneway::bridge
