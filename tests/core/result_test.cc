#include "muster/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace muster {
namespace {

TEST(StatusTest, DefaultIsOkWithOkCodeAndEmptyMessage) {
  Status status;
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(status.code(), ErrorCode::kOk);
  EXPECT_EQ(status.message(), "");
  EXPECT_EQ(status.ToString(), "ok");
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(StatusTest, ErrorCarriesCodeAndMessage) {
  Status status = Status::Error(ErrorCode::kDiskFull, "the disk is full");
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), ErrorCode::kDiskFull);
  EXPECT_EQ(status.wire_code(), "disk_full");
  EXPECT_EQ(status.message(), "the disk is full");
  EXPECT_EQ(status.ToString(), "disk_full: the disk is full");
}

TEST(StatusTest, ErrorWithOkCodeIsIndistinguishableFromOk) {
  // The code is what makes a Status an error; kOk means ok by definition.
  EXPECT_TRUE(Status::Error(ErrorCode::kOk, "ignored").ok());
}

TEST(ResultTest, HoldsAValue) {
  Result<int> result = 42;
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(*result, 42);
  EXPECT_EQ(result.value(), 42);
  EXPECT_TRUE(result.status().ok());
}

TEST(ResultTest, HoldsAnError) {
  Result<std::string> result = Status::Error(ErrorCode::kNotFound, "no such task");
  EXPECT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(result.status().message(), "no such task");
}

TEST(ResultTest, ArrowAndMutation) {
  Result<std::string> result = std::string("abc");
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->size(), 3u);
  result->push_back('d');
  *result += "e";
  EXPECT_EQ(result.value(), "abcde");
}

TEST(ResultTest, MovesOutMoveOnlyValues) {
  Result<std::unique_ptr<int>> result = std::make_unique<int>(7);
  ASSERT_TRUE(result.ok());
  std::unique_ptr<int> taken = std::move(result).value();
  ASSERT_NE(taken, nullptr);
  EXPECT_EQ(*taken, 7);
}

Status FailsWhen(bool fail, int* reached) {
  MUSTER_RETURN_IF_ERROR(fail ? Status::Error(ErrorCode::kInternal, "failed") : Status::Ok());
  ++*reached;
  return Status::Ok();
}

TEST(ResultTest, ReturnIfErrorReturnsEarlyOnlyOnError) {
  int reached = 0;
  Status failed = FailsWhen(true, &reached);
  EXPECT_EQ(failed.code(), ErrorCode::kInternal);
  EXPECT_EQ(reached, 0);
  EXPECT_TRUE(FailsWhen(false, &reached).ok());
  EXPECT_EQ(reached, 1);
}

}  // namespace
}  // namespace muster
