// Outgoing bytes of one QUIC stream. ngtcp2 does not copy stream data: it points into our
// buffers until the peer acknowledges them, so chunks never move once queued and are
// released only when acknowledged. Bounded by the owner through buffered_bytes().
#pragma once

#include <ngtcp2/ngtcp2.h>

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

namespace laneway::webtransport {

class SendBuffer {
 public:
  void append(std::string_view data) {
    if (!data.empty()) chunks_.emplace_back(data);
    queued_ += data.size();
  }
  void append_fin() { fin_queued_ = true; }

  // Fills up to `max` vectors with bytes not yet handed to ngtcp2; returns the count.
  std::size_t unsent(ngtcp2_vec* vecs, std::size_t max) const;
  // True when the FIN should ride along with the bytes unsent() returns.
  bool fin_pending() const { return fin_queued_ && !fin_sent_; }
  bool has_unsent() const { return sent_ < queued_ || fin_pending(); }
  // ngtcp2 accepted `n` more bytes (and the FIN if `fin`).
  void on_sent(std::size_t n, bool fin) {
    sent_ += n;
    if (fin) fin_sent_ = true;
  }
  // The peer acknowledged everything below `offset`: release those chunks.
  void on_acked(std::uint64_t offset);
  std::size_t buffered_bytes() const { return static_cast<std::size_t>(queued_ - front_); }
  bool fin_queued() const { return fin_queued_; }

  bool blocked = false;  // flow control: wait for extend_max_stream_data

 private:
  std::deque<std::string> chunks_;
  std::uint64_t front_ = 0;   // stream offset of chunks_.front()[0]
  std::uint64_t sent_ = 0;    // bytes handed to ngtcp2
  std::uint64_t queued_ = 0;  // bytes ever queued
  bool fin_queued_ = false;
  bool fin_sent_ = false;
};

}  // namespace laneway::webtransport
