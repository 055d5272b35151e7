// SSE lane: GET /v1/sse streams the session's frames as `text/event-stream` events whose
// `data:` is the base64 of one Frame (shared, encoded once per frame for all SSE streams)
// and whose `id:` is the resume token `<bridge instance>.<stream offset>`. A native
// EventSource reconnect sends it back as Last-Event-ID and the stream resumes from it.
#pragma once

#include <cstdint>
#include <string>

#include "session.h"

struct lws;

namespace laneway::bridge {

class Server;

class SseStream : public LaneSink {
 public:
  SseStream(struct lws* wsi, Server& server) : wsi_(wsi), server_(server) {}
  void request_write() override;
  // Schedules a heartbeat comment when the stream has been quiet for the interval.
  void maybe_heartbeat(std::int64_t now_us);

  struct lws* wsi_;
  Server& server_;
  Session* session = nullptr;
  // Standalone streams (app/token/sub in the URL) own their session and end it with the
  // stream; streams attached to a POST-created session leave it to linger for a resume.
  bool owns_session = false;
  bool headers_sent = false;
  bool heartbeat_due = false;
  std::int64_t last_write_us = 0;
  std::uint64_t position = 0;  // stream offset the next `id:` reports
  // The session's next attach ticket, written as an `event: ticket` before any frame.
  std::string ticket_event;
};

// Parses `<instance>.<offset>`; false when malformed.
bool parse_resume_token(const std::string& token, std::string& instance, std::uint64_t& offset);

}  // namespace laneway::bridge
