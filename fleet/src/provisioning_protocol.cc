#include "provisioning_protocol.h"

#include <nlohmann/json.hpp>

namespace laneway::fleet {

std::string request_topic(std::string_view batch, std::string_view client_id) {
  return std::string(kProvisionPrefix) + std::string(batch) + "/" + std::string(client_id) + "/csr";
}

std::string reply_topic(std::string_view batch, std::string_view client_id) {
  return std::string(kProvisionPrefix) + std::string(batch) + "/" + std::string(client_id) +
         "/reply";
}

std::optional<RequestTopic> parse_request_topic(std::string_view topic) {
  if (topic.substr(0, kProvisionPrefix.size()) != kProvisionPrefix) return std::nullopt;
  topic.remove_prefix(kProvisionPrefix.size());
  const auto first = topic.find('/');
  if (first == std::string_view::npos || first == 0) return std::nullopt;
  const auto second = topic.find('/', first + 1);
  if (second == std::string_view::npos || second == first + 1) return std::nullopt;
  if (topic.substr(second + 1) != "csr") return std::nullopt;
  return RequestTopic{std::string(topic.substr(0, first)),
                      std::string(topic.substr(first + 1, second - first - 1))};
}

std::string encode_request(const ProvisionRequest& request) {
  return nlohmann::json{{"device_id", request.device_id}, {"csr", request.csr_pem}}.dump();
}

std::optional<ProvisionRequest> decode_request(std::string_view payload, std::string* error) {
  if (payload.size() > kMaxRequestBytes) {
    *error = "request larger than " + std::to_string(kMaxRequestBytes) + " bytes";
    return std::nullopt;
  }
  const auto json = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object()) {
    *error = "request is not a JSON object";
    return std::nullopt;
  }
  const auto id = json.find("device_id");
  const auto csr = json.find("csr");
  if (id == json.end() || !id->is_string() || csr == json.end() || !csr->is_string()) {
    *error = "request needs string fields device_id and csr";
    return std::nullopt;
  }
  return ProvisionRequest{id->get<std::string>(), csr->get<std::string>()};
}

std::string encode_reply(const ProvisionReply& reply) {
  nlohmann::json json;
  json["ok"] = reply.ok;
  if (reply.ok) {
    json["device_id"] = reply.device_id;
    json["certificate"] = reply.certificate_pem;
    json["ca"] = reply.ca_pem;
    json["serial"] = reply.serial;
    json["not_after"] = reply.not_after;
    json["groups"] = reply.groups;
  } else {
    json["error"] = reply.error;
    json["message"] = reply.message;
  }
  return json.dump();
}

std::optional<ProvisionReply> decode_reply(std::string_view payload, std::string* error) {
  const auto json = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded() || !json.is_object() || !json.contains("ok") ||
      !json["ok"].is_boolean()) {
    *error = "reply is not a provisioning reply";
    return std::nullopt;
  }
  ProvisionReply reply;
  reply.ok = json["ok"].get<bool>();
  auto text = [&](const char* key) {
    const auto it = json.find(key);
    return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (reply.ok) {
    reply.device_id = text("device_id");
    reply.certificate_pem = text("certificate");
    reply.ca_pem = text("ca");
    reply.serial = text("serial");
    if (json.contains("not_after") && json["not_after"].is_number_integer())
      reply.not_after = json["not_after"].get<std::int64_t>();
    if (json.contains("groups") && json["groups"].is_array())
      for (const auto& g : json["groups"])
        if (g.is_string()) reply.groups.push_back(g.get<std::string>());
    if (reply.certificate_pem.empty()) {
      *error = "accepted reply without a certificate";
      return std::nullopt;
    }
  } else {
    reply.error = text("error");
    reply.message = text("message");
  }
  return reply;
}

}  // namespace laneway::fleet
