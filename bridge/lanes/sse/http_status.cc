#include "http_status.h"

namespace laneway::bridge {

unsigned http_status_for(v1::ErrorCode code) {
  switch (code) {
    case v1::ERROR_CODE_UNAUTHORIZED:
    case v1::ERROR_CODE_TOKEN_EXPIRED:
      return 401;
    case v1::ERROR_CODE_FORBIDDEN:
      return 403;
    case v1::ERROR_CODE_TOO_LARGE:
      return 413;
    case v1::ERROR_CODE_RATE_LIMITED:
      return 429;
    case v1::ERROR_CODE_UNAVAILABLE:
      return 503;
    default:
      return 400;
  }
}

unsigned connect_refusal_status(v1::ErrorCode code) {
  return code == v1::ERROR_CODE_UNAVAILABLE ? 503 : 403;
}

}  // namespace laneway::bridge
