#include "http_util.h"

#include <algorithm>
#include <cstring>

namespace laneway::bridge::http {

Method request_method(struct lws* wsi) {
  if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0) return Method::kGet;
  if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0) return Method::kPost;
  if (lws_hdr_total_length(wsi, WSI_TOKEN_OPTIONS_URI) > 0) return Method::kOptions;
  const std::string m = header(wsi, WSI_TOKEN_HTTP_COLON_METHOD, 16);
  if (m == "GET") return Method::kGet;
  if (m == "POST") return Method::kPost;
  if (m == "OPTIONS") return Method::kOptions;
  return Method::kOther;
}

std::string request_path(struct lws* wsi) {
  for (auto token :
       {WSI_TOKEN_GET_URI, WSI_TOKEN_POST_URI, WSI_TOKEN_OPTIONS_URI, WSI_TOKEN_HTTP_COLON_PATH}) {
    std::string p = header(wsi, token, 2048);
    if (!p.empty()) {
      const auto q = p.find('?');
      if (q != std::string::npos) p.resize(q);
      return p;
    }
  }
  return {};
}

std::string header(struct lws* wsi, enum lws_token_indexes token, std::size_t max) {
  const int len = lws_hdr_total_length(wsi, token);
  if (len <= 0 || static_cast<std::size_t>(len) > max) return {};
  std::string out(static_cast<std::size_t>(len) + 1, '\0');
  const int n = lws_hdr_copy(wsi, out.data(), len + 1, token);
  if (n < 0) return {};
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string custom_header(struct lws* wsi, const char* name, std::size_t max) {
  // lws stores an unknown header's name with its colon (lib/roles/http/parsers.c appends
  // the ':' before it recognises the end of the name), so that is the key to look up.
  const std::string key = std::string(name) + ":";
  const int nlen = static_cast<int>(key.size());
  const int len = lws_hdr_custom_length(wsi, key.c_str(), nlen);
  if (len <= 0 || static_cast<std::size_t>(len) > max) return {};
  std::string out(static_cast<std::size_t>(len) + 1, '\0');
  const int n = lws_hdr_custom_copy(wsi, out.data(), len + 1, key.c_str(), nlen);
  if (n < 0) return {};
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::vector<std::string> query_args(struct lws* wsi, std::string_view name, std::size_t max_each) {
  std::vector<std::string> out;
  const std::string prefix = std::string(name) + "=";
  // Room for the longest argument: lws_hdr_copy_fragment answers -1 both for "no such
  // fragment" and "does not fit", so a buffer sized for `name` alone would end the scan at
  // the first longer argument (a JWT) and miss every `name` after it.
  const int total = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS);
  if (total <= 0) return out;
  std::string buf(static_cast<std::size_t>(total) + 1, '\0');
  for (int i = 0; i < 256; ++i) {
    const int n = lws_hdr_copy_fragment(wsi, buf.data(), static_cast<int>(buf.size()),
                                        WSI_TOKEN_HTTP_URI_ARGS, i);
    if (n < 0) break;
    std::string_view frag(buf.data(), static_cast<std::size_t>(n));
    if (frag.substr(0, prefix.size()) != prefix) continue;
    frag.remove_prefix(prefix.size());
    if (frag.size() <= max_each) out.emplace_back(frag);
  }
  return out;
}

std::optional<std::string> query_arg(struct lws* wsi, std::string_view name, std::size_t max) {
  auto all = query_args(wsi, name, max);
  if (all.empty()) return std::nullopt;
  return all.front();
}

int respond(struct lws* wsi, PendingResponse& pending, unsigned status, const char* content_type,
            std::string body, const Headers& extra) {
  unsigned char buf[LWS_PRE + 2048];
  unsigned char* start = buf + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buf + sizeof buf - 1;
  if (lws_add_http_common_headers(wsi, status, content_type, body.size(), &p, end)) return -1;
  for (const auto& [name, value] : extra) {
    const std::string n = name + ":";
    if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(n.c_str()),
                                    reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size()), &p, end)) {
      return -1;
    }
  }
  if (lws_finalize_write_http_header(wsi, start, &p, end)) return -1;
  pending.body = std::move(body);
  pending.sent = 0;
  pending.active = true;
  lws_callback_on_writable(wsi);
  return 0;
}

int write_pending(struct lws* wsi, PendingResponse& pending) {
  if (!pending.active) return 0;
  constexpr std::size_t kChunk = 16 * 1024;
  const std::size_t left = pending.body.size() - pending.sent;
  const std::size_t n = std::min(left, kChunk);
  const bool last = n == left;
  std::string buf(LWS_PRE + n, '\0');
  std::memcpy(buf.data() + LWS_PRE, pending.body.data() + pending.sent, n);
  if (lws_write(wsi, reinterpret_cast<unsigned char*>(buf.data()) + LWS_PRE, n,
                last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != static_cast<int>(n)) {
    return -1;
  }
  pending.sent += n;
  if (!last) {
    lws_callback_on_writable(wsi);
    return 0;
  }
  pending.active = false;
  pending.body.clear();
  return lws_http_transaction_completed(wsi) ? -1 : 0;
}

}  // namespace laneway::bridge::http
