// Frames the hub builds itself, encoded once into a labelled SharedFrame.
#pragma once

#include "laneway.pb.h"
#include "shared_frame.h"

namespace laneway::bridge {

// A reply, push or error for one session (FrameKind::kCall); null only on an encoder bug.
SharedFrame encode_call(const v1::CallFrame& call);
// A Frame{group} (FrameKind::kGroup); null only on an encoder bug.
SharedFrame encode_group(const v1::Frame& group_frame);

}  // namespace laneway::bridge
