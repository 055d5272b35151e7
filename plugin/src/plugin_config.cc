#include "plugin_config.h"

#include <charconv>
#include <string_view>

#include "laneway/registry/registry.h"
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

const char* to_string(ClusterRole role) {
  switch (role) {
    case ClusterRole::kSingle:
      return "single";
    case ClusterRole::kEdge:
      return "edge";
    case ClusterRole::kCore:
      return "core";
  }
  return "?";
}

std::optional<PluginConfig> parse_plugin_config(const OptionList& options, std::string* error) {
  PluginConfig config;
  std::string local_error;
  if (!error) error = &local_error;
  for (const auto& [key, value] : options) {
    std::size_t number = 0;
    if (key == "role") {
      if (value == "single") {
        config.role = ClusterRole::kSingle;
      } else if (value == "edge") {
        config.role = ClusterRole::kEdge;
      } else if (value == "core") {
        config.role = ClusterRole::kCore;
      } else {
        *error = "plugin_opt_role: expected single, edge or core";
        return std::nullopt;
      }
    } else if (key == "edge_name") {
      if (!registry::is_valid_device_id(value)) {  // the same rule as every CN
        *error =
            "plugin_opt_edge_name: expected 1..64 of [A-Za-z0-9._-] (the edge certificate's CN)";
        return std::nullopt;
      }
      config.edge_name = value;
    } else if (key == "core_link_id") {
      if (value.empty() || value.size() > 128 || value.find_first_of("+#/") != std::string::npos) {
        *error = "plugin_opt_core_link_id: expected 1..128 characters without + # /";
        return std::nullopt;
      }
      config.core_link_id = value;
    } else if (key == "core_index") {
      if (!parse_size(value, 0, 15, number)) {
        *error = "plugin_opt_core_index: expected 0..15, a different one for each core";
        return std::nullopt;
      }
      config.core_index = static_cast<std::uint32_t>(number);
    } else if (key == "core_stale_after_s") {
      if (!parse_size(value, 2, 3600, number)) {
        *error = "plugin_opt_core_stale_after_s: expected 2..3600";
        return std::nullopt;
      }
      config.core_stale_after = std::chrono::seconds(number);
    } else if (key == "registry") {
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
      if (!parse_size(value, 1024, std::size_t{16} << 20, number)) {
        *error = "plugin_opt_max_envelope_bytes: expected 1024..16777216";
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
  if (config.role == ClusterRole::kEdge) {
    // An edge never opens the registry file: the core sends what it needs over the bridge
    // connection, and a CRL that came that way is checked against the CA before use.
    if (!config.registry_path.empty()) {
      *error =
          "plugin_opt_registry: an edge has no registry file (it reaches the edge from the core)";
      return std::nullopt;
    }
    if (config.edge_name.empty() || config.crl_path.empty() || config.ca_path.empty()) {
      *error = "an edge needs plugin_opt_edge_name, plugin_opt_crl and plugin_opt_cafile";
      return std::nullopt;
    }
    return config;
  }
  if (!config.edge_name.empty()) {
    *error = "plugin_opt_edge_name: only for plugin_opt_role edge";
    return std::nullopt;
  }
  if (config.registry_path.empty()) {
    *error = "plugin_opt_registry is required (the fleet registry file)";
    return std::nullopt;
  }
  return config;
}

}  // namespace laneway::plugin
