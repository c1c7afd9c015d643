#include "nnlab/data/dataset.h"

#include <gtest/gtest.h>

namespace nnlab::data {
namespace {

Dataset make_dataset() {
  Dataset d;
  d.images = torch::arange(5 * 1 * 2 * 2, torch::kFloat).reshape({5, 1, 2, 2});
  d.labels = torch::tensor({3, 0, 1, 3, 2}, torch::kLong);
  d.files = {"a.png", "b.png", "c.png", "d.png", "e.png"};
  d.source = "synthetic";
  return d;
}

TEST(Dataset, NumClassesFromNamesElseMaxLabel) {
  Dataset d = make_dataset();
  EXPECT_EQ(d.num_classes(), 4);
  d.class_names = {"a", "b", "c", "d", "e", "f"};
  EXPECT_EQ(d.num_classes(), 6);
  EXPECT_EQ(Dataset{}.num_classes(), 0);
  EXPECT_EQ(Dataset{}.size(), 0);
}

TEST(Dataset, HeadTakesTheFirstRows) {
  Dataset d = make_dataset();
  d.class_names = {"w", "x", "y", "z"};
  const Dataset h = d.head(2);
  ASSERT_EQ(h.size(), 2);
  EXPECT_TRUE(torch::equal(h.images, d.images.narrow(0, 0, 2)));
  EXPECT_TRUE(torch::equal(h.labels, torch::tensor({3, 0}, torch::kLong)));
  EXPECT_EQ(h.files, (std::vector<std::string>{"a.png", "b.png"}));
  EXPECT_EQ(h.class_names, d.class_names);
  EXPECT_EQ(h.source, "synthetic");
  EXPECT_EQ(d.head(0).size(), 5);
  EXPECT_EQ(d.head(-1).size(), 5);
  EXPECT_EQ(d.head(99).size(), 5);
}

TEST(Dataset, SelectKeepsFilesWithTheirImages) {
  const Dataset d = make_dataset();
  const Dataset s = d.select(torch::tensor({4, 0, 4}, torch::kLong));
  ASSERT_EQ(s.size(), 3);
  EXPECT_TRUE(torch::equal(s.labels, torch::tensor({2, 3, 2}, torch::kLong)));
  EXPECT_TRUE(torch::equal(s.images[1], d.images[0]));
  EXPECT_EQ(s.files, (std::vector<std::string>{"e.png", "a.png", "e.png"}));

  Dataset no_files = make_dataset();
  no_files.files.clear();
  EXPECT_TRUE(no_files.select(torch::tensor({1}, torch::kLong)).files.empty());
  EXPECT_THROW(d.select(torch::tensor({5}, torch::kLong)), c10::Error);
}

}  // namespace
}  // namespace nnlab::data
