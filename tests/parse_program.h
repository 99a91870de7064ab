// A heap program written in a test: parsed from its text (origin
// "test.heap"), or a test failure naming the parse error and an empty program.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "gcverify/text.h"

inline gcv::Program parse_program(const std::string& text) {
  gcv::ParseError error;
  auto program = gcv::parse_text(text, "test.heap", error);
  EXPECT_TRUE(program.has_value()) << error.to_string();
  return program.value_or(gcv::Program{});
}
