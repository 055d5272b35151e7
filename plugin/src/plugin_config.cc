#include "plugin_config.h"

#include <charconv>
#include <string_view>

#include "laneway/wire/topic_filter.h"

namespace laneway::plugin {
namespace {

bool parse_size(std::string_view text, std::size_t min, std::size_t max, std::size_t& out) {
  std::size_t value = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || ptr != text.data() + text.size() || value < min || value > max)
    return false;
  out = value;
  return true;
}

bool parse_filters(std::string_view text, std::vector<std::string>& out, std::string* error) {
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view filter = text.substr(start, end - start);
    while (!filter.empty() && filter.front() == ' ') filter.remove_prefix(1);
    while (!filter.empty() && filter.back() == ' ') filter.remove_suffix(1);
    if (!filter.empty()) {
      if (!wire::is_valid_filter(filter) || filter.front() == '$') {
        *error =
            "plugin_opt_map: '" + std::string(filter) + "' is not a valid filter outside $ topics";
        return false;
      }
      out.emplace_back(filter);
    }
    start = end + 1;
  }
  return true;
}

}  // namespace

std::optional<PluginConfig> parse_plugin_config(const OptionList& options, std::string* error) {
  PluginConfig config;
  std::string local_error;
  if (!error) error = &local_error;
  for (const auto& [key, value] : options) {
    std::size_t number = 0;
    if (key == "registry") {
      config.registry_path = value;
    } else if (key == "crl") {
      config.crl_path = value;
    } else if (key == "cafile") {
      config.ca_path = value;
    } else if (key == "state") {
      config.state_path = value;
    } else if (key == "map") {
      if (!parse_filters(value, config.map_filters, error)) return std::nullopt;
    } else if (key == "max_topics") {
      if (!parse_size(value, 1, std::size_t{1} << 30, number)) {
        *error = "plugin_opt_max_topics: expected 1.." + std::to_string(std::size_t{1} << 30);
        return std::nullopt;
      }
      config.max_topics = number;
    } else if (key == "revocation_poll_ms") {
      if (!parse_size(value, 50, 1000, number)) {
        *error = "plugin_opt_revocation_poll_ms: expected 50..1000 (kicks must land within 2 s)";
        return std::nullopt;
      }
      config.revocation_poll = std::chrono::milliseconds(number);
    } else if (key == "max_envelope_bytes") {
      if (!parse_size(value, 1024, std::size_t{256} << 20, number)) {
        *error = "plugin_opt_max_envelope_bytes: expected 1024..268435456";
        return std::nullopt;
      }
      config.max_envelope_bytes = number;
    } else if (key == "presence") {
      if (value != "true" && value != "false") {
        *error = "plugin_opt_presence: expected true or false";
        return std::nullopt;
      }
      config.presence = value == "true";
    } else {
      *error = "unknown option plugin_opt_" + key;
      return std::nullopt;
    }
  }
  if (config.registry_path.empty()) {
    *error = "plugin_opt_registry is required (the fleet registry file)";
    return std::nullopt;
  }
  return config;
}

}  // namespace laneway::plugin
