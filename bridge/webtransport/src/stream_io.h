// What the HTTP/3 layer needs from the QUIC connection under it. Keeping it an interface
// lets the HTTP/3 layer be tested on its own with scripted stream bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace laneway::webtransport {

class StreamIo {
 public:
  virtual ~StreamIo() = default;
  // Opens a server-initiated stream; -1 when the peer's stream limit is reached.
  virtual std::int64_t open_uni_stream() = 0;
  virtual std::int64_t open_bidi_stream() = 0;
  // Queues bytes (and optionally FIN) on a stream. False (and `error`) if it cannot.
  virtual bool write_stream(std::int64_t stream_id, std::string_view data, bool fin,
                            std::string* error) = 0;
  // Abandons both directions of a stream with an application error code.
  virtual void reset_stream(std::int64_t stream_id, std::uint64_t error_code) = 0;
  // Stops reading a stream (STOP_SENDING) with an application error code.
  virtual void stop_reading(std::int64_t stream_id, std::uint64_t error_code) = 0;
  // Queues a QUIC DATAGRAM frame payload. False (and `error`) if too large or queue full.
  virtual bool queue_datagram(std::string payload, std::string* error) = 0;
  // Closes the whole connection with an HTTP/3 application error code.
  virtual void close_connection(std::uint64_t error_code, std::string_view reason) = 0;
  // The peer's current address, for logs and SessionRequest::remote.
  virtual std::string remote_address() const = 0;
};

}  // namespace laneway::webtransport
