#include "nnlab/core/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace nnlab::core {
namespace {

TEST(Utf8, SequenceLengthsByLeadByte) {
  const std::string text = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80";  // a, é, 中, 😀
  EXPECT_EQ(utf8_sequence_length(text, 0), 1u);
  EXPECT_EQ(utf8_sequence_length(text, 1), 2u);
  EXPECT_EQ(utf8_sequence_length(text, 3), 3u);
  EXPECT_EQ(utf8_sequence_length(text, 6), 4u);
  EXPECT_TRUE(valid_utf8(text));
  EXPECT_TRUE(valid_utf8(""));
}

TEST(Utf8, MalformedSequencesHaveNoLength) {
  EXPECT_EQ(utf8_sequence_length("\x80", 0), 0u);              // a stray continuation byte
  EXPECT_EQ(utf8_sequence_length("\xC0\x80", 0), 0u);          // an overlong lead byte
  EXPECT_EQ(utf8_sequence_length("\xF5\x80\x80\x80", 0), 0u);  // beyond U+10FFFF
  EXPECT_EQ(utf8_sequence_length("\xE4\xB8", 0), 0u);          // cut short at the end
  EXPECT_EQ(utf8_sequence_length("\xE4"
                                 "a"
                                 "\xAD",
                                 0),
            0u);                                // a non-continuation inside
  EXPECT_EQ(utf8_sequence_length("a", 1), 0u);  // past the end
  EXPECT_FALSE(valid_utf8("caf\xE9"));          // Latin-1
  EXPECT_FALSE(valid_utf8("\xE4\xB8\xAD\xE4\xB8"));
}

}  // namespace
}  // namespace nnlab::core
