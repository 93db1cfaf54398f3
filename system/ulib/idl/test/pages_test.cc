// <mica/idl/pages.h>: ForEachPage against a model server.
#include <gtest/gtest.h>
#include <mica/idl/pages.h>
#include <mica/idl/wire.h>

#include <vector>

namespace {

struct Page {
  mica::idl::Vector<uint32_t, 4> items{};
  uint32_t total = 0;
};

// Serves `n` items 0..n-1, at most `per_page` a page.
struct Server {
  uint32_t n = 0;
  uint32_t per_page = 4;
  std::vector<uint32_t> starts;
  mica_status_t operator()(uint32_t start, Page* out) {
    starts.push_back(start);
    *out = Page();
    for (uint32_t i = start; i < n && out->items.count < per_page; i++) {
      out->items.Push(i);
    }
    out->total = n;
    return MICA_OK;
  }
};

TEST(IdlPages, EveryItemInOrderPageByPage) {
  for (uint32_t n : {0u, 1u, 3u, 4u, 5u, 8u, 13u}) {
    for (uint32_t per_page : {1u, 3u, 4u}) {
      Server server{n, per_page, {}};
      Page page;
      std::vector<uint32_t> seen;
      uint32_t total = 99;
      mica_status_t s = mica::idl::ForEachPage(
          &page, &Page::items, server, [&](uint32_t v) { seen.push_back(v); }, &total);
      ASSERT_EQ(s, MICA_OK);
      EXPECT_EQ(total, n);
      ASSERT_EQ(seen.size(), n);
      for (uint32_t i = 0; i < n; i++) {
        EXPECT_EQ(seen[i], i);
      }
      size_t pages = n == 0 ? 1 : (n + per_page - 1) / per_page;
      ASSERT_EQ(server.starts.size(), pages) << n << " items, " << per_page << " a page";
      for (size_t i = 0; i < pages; i++) {
        EXPECT_EQ(server.starts[i], i * per_page);
      }
    }
  }
}

TEST(IdlPages, NoProgressAndErrorsEndTheWalk) {
  Page page;
  uint32_t total = 99;
  int calls = 0;
  // A server that claims more than it ever sends.
  auto stuck = [&](uint32_t start, Page* out) {
    calls++;
    *out = Page();
    if (start == 0) {
      out->items.Push(7);
    }
    out->total = 5;
    return MICA_OK;
  };
  std::vector<uint32_t> seen;
  EXPECT_EQ(mica::idl::ForEachPage(
                &page, &Page::items, stuck, [&](uint32_t v) { seen.push_back(v); }, &total),
            MICA_ERR_IO_INVALID);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(seen, std::vector<uint32_t>{7});
  EXPECT_EQ(total, 0u);
  // The transport's error, at once.
  calls = 0;
  auto broken = [&](uint32_t, Page*) {
    calls++;
    return MICA_ERR_PEER_CLOSED;
  };
  EXPECT_EQ(mica::idl::ForEachPage(
                &page, &Page::items, broken, [](uint32_t) { FAIL(); }, &total),
            MICA_ERR_PEER_CLOSED);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(total, 0u);
}

// The client form: the request's `start` reaches the method.
struct Request {
  uint32_t start = 0;
};
struct Client {
  Server server;
  mica_status_t List(Request& req, Page* out) { return server(req.start, out); }
};

TEST(IdlPages, ASyncClientsListMethod) {
  Client client{{6, 4, {}}};
  Page page;
  std::vector<uint32_t> seen;
  uint32_t total = 0;
  ASSERT_EQ(mica::idl::ForEachPage(
                client, &Client::List, &page, &Page::items, [&](uint32_t v) { seen.push_back(v); },
                &total),
            MICA_OK);
  EXPECT_EQ(total, 6u);
  EXPECT_EQ(seen, (std::vector<uint32_t>{0, 1, 2, 3, 4, 5}));
  EXPECT_EQ(client.server.starts, (std::vector<uint32_t>{0, 4}));
}

}  // namespace
