// Reading a paged listing: a method `List(start uint32) -> (items
// vector<T>:N, total uint32)` (inspect.Inspect.ListNodes,
// directory.Directory.List, component.Realm.List). Pure; host-tested
// (test/pages_test.cc).
//
//   static idl::inspect::Inspect::ListNodesResponse page;  // large: not on a stack
//   uint32_t total = 0;
//   mica_status_t s = mica::idl::ForEachPage(
//       client, &idl::inspect::InspectSyncClient::ListNodes, &page,
//       &idl::inspect::Inspect::ListNodesResponse::nodes,
//       [&](const idl::inspect::Node& n) { Print(n); }, &total);
//
// or with any fetch(start, page) -> status in place of the client and its
// method (the first form below).
//
// Contract: fetch(start, page) is called with start 0, then with start
// advanced by each page's item count while start < that page's `total`;
// `each` sees every item of every page, in order. Returns MICA_OK with
// *total the last page's total; fetch's first error; or
// MICA_ERR_IO_INVALID for an empty page before `total` (a server that
// makes no progress cannot keep the caller looping). *total is 0 unless
// MICA_OK.
#pragma once

#include <mica/types.h>
#include <stdint.h>

namespace mica::idl {

template <typename Response, typename Items, typename Fetch, typename Each>
mica_status_t ForEachPage(Response* page, Items Response::*items, Fetch&& fetch, Each&& each,
                          uint32_t* total) {
  *total = 0;
  uint32_t start = 0;
  do {
    mica_status_t s = fetch(start, page);
    if (s != MICA_OK) {
      return s;
    }
    const Items& list = page->*items;
    if (list.count == 0 && start < page->total) {
      return MICA_ERR_IO_INVALID;  // no progress
    }
    for (const auto& item : list) {
      each(item);
    }
    start += list.count;
  } while (start < page->total);
  *total = page->total;
  return MICA_OK;
}

// The same with a sync client's List method (its request has `start`):
//   ForEachPage(client, &idl::inspect::InspectSyncClient::ListNodes, &page,
//               &idl::inspect::Inspect::ListNodesResponse::nodes, each, &total);
template <typename Client, typename Request, typename Response, typename Items, typename Each>
mica_status_t ForEachPage(Client& client, mica_status_t (Client::*list)(Request&, Response*),
                          Response* page, Items Response::*items, Each&& each, uint32_t* total) {
  return ForEachPage(
      page, items,
      [&client, list](uint32_t start, Response* out) {
        Request req;
        req.start = start;
        return (client.*list)(req, out);
      },
      each, total);
}

}  // namespace mica::idl
