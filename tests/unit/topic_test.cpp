#include <gtest/gtest.h>

#include "warden/messaging/topic.hpp"

namespace warden {
namespace {

TEST(topic, amqp_wildcards) {
  EXPECT_TRUE(topic_matches("Health.Request", "Health.Request"));
  EXPECT_FALSE(topic_matches("Health.Request", "Health.Response"));
  EXPECT_TRUE(topic_matches("File.*", "File.Detected"));
  EXPECT_FALSE(topic_matches("File.*", "File.Detected.n1"));
  EXPECT_FALSE(topic_matches("File.*", "File"));
  EXPECT_TRUE(topic_matches("File.#", "File"));
  EXPECT_TRUE(topic_matches("File.#", "File.Detected.n1"));
  EXPECT_TRUE(topic_matches("#", "a.b.c"));
  EXPECT_TRUE(topic_matches("#.c", "c"));
  EXPECT_TRUE(topic_matches("*.#.c", "a.b.b.c"));
  EXPECT_FALSE(topic_matches("*.#.c", "c"));
  EXPECT_TRUE(topic_matches("a.#.#.b", "a.b"));
  EXPECT_FALSE(topic_matches("a.*.b", "a.b"));
}

TEST(topic, validity) {
  EXPECT_TRUE(valid_topic("Error.Message.prog.node"));
  EXPECT_FALSE(valid_topic(""));
  EXPECT_FALSE(valid_topic("a..b"));
  EXPECT_FALSE(valid_topic("a.*"));
  EXPECT_TRUE(valid_pattern("a.*.#"));
  EXPECT_FALSE(valid_pattern("a.b*"));
  EXPECT_FALSE(valid_pattern("a."));
}

} // namespace
} // namespace warden
