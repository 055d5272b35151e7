#include "laneway/wire/error.h"

namespace laneway::wire {

const char* describe(WireError error) {
  switch (error) {
    case WireError::kOk:
      return "ok";
    case WireError::kTooLarge:
      return "frame exceeds the maximum frame size";
    case WireError::kBadLength:
      return "invalid varint length prefix";
    case WireError::kMalformedFrame:
      return "bytes are not a valid laneway.v1.Frame";
    case WireError::kBadBase64:
      return "invalid base64";
    case WireError::kTruncated:
      return "input ended inside a frame";
  }
  return "unknown wire error";
}

}  // namespace laneway::wire
