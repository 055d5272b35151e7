// The golden vectors: named frames whose encodings are checked in under tests/vectors/.
// The values here and the bytes there must agree; golden_vectors_test.cc checks both ways
// and laneway-golden rewrites the files after an intended, additive schema change.
#pragma once

#include <string>
#include <vector>

#include "laneway.pb.h"

namespace laneway::testing {

struct GoldenVector {
  std::string name;         // file stem under tests/vectors/
  std::string description;  // one line, copied into tests/vectors/README.md
  v1::Frame frame;
};

std::vector<GoldenVector> golden_vectors();

// The stream vector: the length-prefixed concatenation of these vectors, in this order.
std::vector<std::string> stream_vector_members();

}  // namespace laneway::testing
