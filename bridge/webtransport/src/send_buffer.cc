#include "send_buffer.h"

namespace laneway::webtransport {

std::size_t SendBuffer::unsent(ngtcp2_vec* vecs, std::size_t max) const {
  std::size_t count = 0;
  std::uint64_t offset = front_;
  for (const auto& chunk : chunks_) {
    if (count == max) break;
    const std::uint64_t end = offset + chunk.size();
    if (end > sent_) {
      const std::size_t skip = sent_ > offset ? static_cast<std::size_t>(sent_ - offset) : 0;
      vecs[count].base = reinterpret_cast<std::uint8_t*>(const_cast<char*>(chunk.data())) + skip;
      vecs[count].len = chunk.size() - skip;
      ++count;
    }
    offset = end;
  }
  return count;
}

void SendBuffer::on_acked(std::uint64_t offset) {
  while (!chunks_.empty() && front_ + chunks_.front().size() <= offset) {
    front_ += chunks_.front().size();
    chunks_.pop_front();
  }
}

}  // namespace laneway::webtransport
