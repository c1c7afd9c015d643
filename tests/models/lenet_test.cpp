// LeNet-300-100 and LeNet-5: the parameter counts of the pruning literature, PyTorch names.
#include "nnlab/models/lenet.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "models/model_testing.h"

namespace nnlab::models {
using testing::count_parameters;
using testing::shape_of;

TEST(LeNet, LeNet300HasTheNamedLayersAndPaperParameterCount) {
  LeNet300 net;
  EXPECT_EQ(count_parameters(*net), 266610);
  EXPECT_EQ(shape_of(*net, "fc1.weight"), (std::vector<std::int64_t>{300, 784}));
  EXPECT_EQ(shape_of(*net, "fc2.weight"), (std::vector<std::int64_t>{100, 300}));
  EXPECT_EQ(shape_of(*net, "fc3.bias"), (std::vector<std::int64_t>{10}));
  EXPECT_EQ(net->forward(torch::rand({4, 1, 28, 28})).sizes(), (torch::IntArrayRef{4, 10}));
}

TEST(LeNet, LeNet5HasTheNamedLayersAndPaperParameterCount) {
  LeNet5 net;
  EXPECT_EQ(count_parameters(*net), 61706);
  EXPECT_EQ(shape_of(*net, "conv1.weight"), (std::vector<std::int64_t>{6, 1, 5, 5}));
  EXPECT_EQ(shape_of(*net, "conv2.weight"), (std::vector<std::int64_t>{16, 6, 5, 5}));
  EXPECT_EQ(shape_of(*net, "fc1.weight"), (std::vector<std::int64_t>{120, 400}));
  EXPECT_EQ(shape_of(*net, "fc3.weight"), (std::vector<std::int64_t>{10, 84}));
  EXPECT_EQ(net->forward(torch::rand({4, 1, 28, 28})).sizes(), (torch::IntArrayRef{4, 10}));
}

TEST(LeNet, HonoursClassesAndChannels) {
  LeNet300 dense(/*num_classes=*/5, /*in_channels=*/3);
  EXPECT_EQ(dense->forward(torch::rand({2, 3, 28, 28})).sizes(), (torch::IntArrayRef{2, 5}));
  LeNet5 conv(/*num_classes=*/5, /*in_channels=*/3);
  EXPECT_EQ(conv->forward(torch::rand({2, 3, 28, 28})).sizes(), (torch::IntArrayRef{2, 5}));
}

}  // namespace nnlab::models
