// cm::Route over fake trees built from MCM1 bytes (builder.h): every kind
// of hop (offer from parent, self, child; expose from self, child; a
// collection's offers; framework) and every broken hop, with its message.
#include "system/core/component_manager/lib/route.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "system/core/component_manager/lib/log_sink.h"
#include "system/core/component_manager/lib/test/builder.h"

namespace {

using cm_test::Builder;

constexpr uint8_t kParent = 1, kSelf = 2, kChild = 3, kFramework = 4;

class FakeTree : public cm::Topology {
 public:
  // Adds a node: its index. `collection` non-empty for a collection child.
  uint32_t Add(uint32_t parent, const std::string& name, const Builder* b,
               const std::string& collection = "") {
    auto n = std::make_unique<Node>();
    n->parent = parent;
    n->name = name;
    n->collection = collection;
    if (b != nullptr) {
      n->bytes = b->Finish();
      n->manifest = std::make_unique<cm::Manifest>();
      cm::Error err;
      EXPECT_EQ(cm::ParseManifest(n->bytes.data(), n->bytes.size(), n->manifest.get(), &err),
                cm::Status::kOk)
          << err.message;
    }
    nodes_.push_back(std::move(n));
    return static_cast<uint32_t>(nodes_.size() - 1);
  }

  const cm::Manifest* ManifestOf(uint32_t node) const override {
    return nodes_[node]->manifest.get();
  }
  uint32_t Parent(uint32_t node) const override { return nodes_[node]->parent; }
  cm::Str OfferName(uint32_t node) const override {
    const Node& n = *nodes_[node];
    const std::string& s = n.collection.empty() ? n.name : n.collection;
    cm::Str out;
    out.data = s.data();
    out.size = static_cast<uint16_t>(s.size());
    return out;
  }
  uint32_t Child(uint32_t node, const cm::Str& name) const override {
    for (uint32_t i = 0; i < nodes_.size(); i++) {
      if (nodes_[i]->parent == node && nodes_[i]->collection.empty() &&
          name.Equals(nodes_[i]->name.c_str())) {
        return i;
      }
    }
    return cm::kNoNode;
  }
  void Moniker(uint32_t node, char* buf, size_t size) const override {
    std::string m;
    for (uint32_t n = node; nodes_[n]->parent != cm::kNoNode; n = nodes_[n]->parent) {
      const Node& x = *nodes_[n];
      m = "/" + (x.collection.empty() ? x.name : x.collection + ":" + x.name) + m;
    }
    snprintf(buf, size, "%s", m.empty() ? "/" : m.c_str());
  }

 private:
  struct Node {
    uint32_t parent = cm::kNoNode;
    std::string name, collection;
    std::vector<uint8_t> bytes;
    std::unique_ptr<cm::Manifest> manifest;
  };
  std::vector<std::unique_ptr<Node>> nodes_;
};

cm::RouteResult RouteOf(const FakeTree& t, uint32_t node, const std::string& path) {
  cm::RouteResult r;
  cm::Route(t, node, path.data(), path.size(), &r);
  return r;
}

std::string S(const cm::Str& s) {
  return std::string(s.data, s.size);
}

// root offers test.A from #server (which exposes it from its child #impl)
// to #client; test.B from self; test.C from parent (the root's parent: the manager);
// client's child #grand gets test.A again from client (from parent).
struct Fixture {
  FakeTree t;
  Builder root, server, impl, client, grand, runner;
  uint32_t r, s, i, c, g, run;
  Fixture() {
    root.Program("bin/root")
        .Child("server", "meta/server.cm")
        .Child("client", "meta/client.cm")
        .Collection("run")
        .Capability("test.B")
        .Offer("test.A", kChild, "server", "client")
        .Offer("test.A", kChild, "server", "run", "test.RunA")
        .Offer("test.B", kSelf, "", "client", "test.B2")
        .Offer("test.C", kParent, "", "client")
        .Offer("test.D", kChild, "server", "client");
    server.Child("impl", "meta/impl.cm")
        .Expose("test.A", kChild, "impl")
        .Expose("test.D", kChild, "gone");
    impl.Program("bin/impl").Capability("test.Impl").Expose("test.Impl", kSelf, "", "test.A");
    client.Program("bin/client")
        .Child("grand", "meta/grand.cm")
        .Use("test.A")
        .Use("test.B2", kParent, "/svc/b")
        .Use("test.C")
        .Use("test.D")
        .Use("component.Realm", kFramework)
        .Offer("test.A", kParent, "", "grand", "test.GA")
        .Offer("test.X", kSelf, "", "grand");
    grand.Program("bin/grand").Use("test.GA").Use("test.X").Use("test.Y");
    runner.Program("bin/runner").Use("test.RunA").Use("test.A");
    r = t.Add(cm::kNoNode, "", &root);
    s = t.Add(r, "server", &server);
    i = t.Add(s, "impl", &impl);
    c = t.Add(r, "client", &client);
    g = t.Add(c, "grand", &grand);
    run = t.Add(r, "job-1", &runner, "run");
  }
};

TEST(CmRoute, OfferFromChildExposeFromChild) {
  Fixture f;
  auto res = RouteOf(f.t, f.c, "/svc/test.A");
  ASSERT_EQ(res.kind, cm::RouteKind::kProvider) << res.why;
  EXPECT_EQ(res.provider, f.i);
  EXPECT_EQ(S(res.capability), "test.Impl");  // renamed by impl's expose
  EXPECT_EQ(S(res.used), "test.A");
}

TEST(CmRoute, OfferFromSelfWithRenameAndCustomPath) {
  Fixture f;
  auto res = RouteOf(f.t, f.c, "/svc/b");
  ASSERT_EQ(res.kind, cm::RouteKind::kProvider) << res.why;
  EXPECT_EQ(res.provider, f.r);
  EXPECT_EQ(S(res.capability), "test.B");
}

TEST(CmRoute, OfferFromParentTwoLevels) {
  Fixture f;
  auto res = RouteOf(f.t, f.g, "/svc/test.GA");
  ASSERT_EQ(res.kind, cm::RouteKind::kProvider) << res.why;
  EXPECT_EQ(res.provider, f.i);
  EXPECT_EQ(S(res.capability), "test.Impl");
  EXPECT_GE(res.hops, 4u);
}

TEST(CmRoute, CollectionChildGetsTheCollectionsOffers) {
  Fixture f;
  auto res = RouteOf(f.t, f.run, "/svc/test.RunA");
  ASSERT_EQ(res.kind, cm::RouteKind::kProvider) << res.why;
  EXPECT_EQ(res.provider, f.i);
  // The offer to #client does not reach the collection.
  res = RouteOf(f.t, f.run, "/svc/test.A");
  ASSERT_EQ(res.kind, cm::RouteKind::kFailed);
  EXPECT_STREQ(res.why, "/run:job-1 cannot open test.A: not offered by /");
}

TEST(CmRoute, Framework) {
  Fixture f;
  auto res = RouteOf(f.t, f.c, "/svc/component.Realm");
  ASSERT_EQ(res.kind, cm::RouteKind::kFramework);
  EXPECT_EQ(S(res.capability), "component.Realm");
}

// A route that leaves the root `from: parent` ends at the root's parent
// (the manager), under the name the root was asked for.
TEST(CmRoute, RootParent) {
  Fixture f;
  auto res = RouteOf(f.t, f.c, "/svc/test.C");
  ASSERT_EQ(res.kind, cm::RouteKind::kRootParent) << res.why;
  EXPECT_EQ(S(res.capability), "test.C");
  EXPECT_EQ(res.provider, cm::kNoNode);
}

TEST(CmRoute, BrokenHops) {
  Fixture f;
  struct {
    uint32_t node;
    const char* path;
    const char* why;
  } cases[] = {
      {f.c, "/svc/test.Nope",
       "/client cannot open /svc/test.Nope: not in its namespace (no use of it)"},
      {f.c, "/svc/test.D", "/client cannot open test.D: exposed from a missing child by /server"},
      {f.g, "/svc/test.Y", "/client/grand cannot open test.Y: not offered by /client"},
      {f.g, "/svc/test.X", "/client/grand cannot open test.X: not offered by /client"},
      {f.s, "/svc/test.A", "/server cannot open /svc/test.A: not in its namespace (no use of it)"},
  };
  // test.X is offered from self by the client, which has a program: it is routed.
  auto x = RouteOf(f.t, f.g, "/svc/test.X");
  ASSERT_EQ(x.kind, cm::RouteKind::kProvider) << x.why;
  EXPECT_EQ(x.provider, f.c);
  for (const auto& k : cases) {
    if (k.node == f.g && std::string(k.path) == "/svc/test.X") {
      continue;
    }
    auto res = RouteOf(f.t, k.node, k.path);
    EXPECT_EQ(res.kind, cm::RouteKind::kFailed) << k.path;
    EXPECT_STREQ(res.why, k.why);
  }
}

TEST(CmRoute, NotExposedAndNoProgram) {
  FakeTree t;
  Builder root, a, b;
  root.Child("a", "meta/a.cm")
      .Child("b", "meta/b.cm")
      .Offer("test.P", kChild, "a", "b")
      .Offer("test.Q", kChild, "a", "b")
      .Offer("test.R", kSelf, "", "b");
  a.Program("bin/a").Expose("test.Q", kSelf, "");  // no test.P
  b.Program("bin/b").Use("test.P").Use("test.Q").Use("test.R");
  uint32_t r = t.Add(cm::kNoNode, "", &root);
  t.Add(r, "a", &a);
  uint32_t bi = t.Add(r, "b", &b);
  auto res = RouteOf(t, bi, "/svc/test.P");
  EXPECT_EQ(res.kind, cm::RouteKind::kFailed);
  EXPECT_STREQ(res.why, "/b cannot open test.P: not exposed by /a");
  res = RouteOf(t, bi, "/svc/test.Q");
  EXPECT_EQ(res.kind, cm::RouteKind::kProvider);
  res = RouteOf(t, bi, "/svc/test.R");  // the root has no program
  EXPECT_EQ(res.kind, cm::RouteKind::kFailed);
  EXPECT_STREQ(res.why, "/b cannot open test.R: no program runs its provider /");
}

TEST(CmRoute, KindMustMatch) {
  FakeTree t;
  Builder root, a, b;
  root.Child("a", "meta/a.cm").Child("b", "meta/b.cm").Offer("d", kChild, "a", "b", "", 2);
  a.Program("bin/a").Expose("d", kSelf, "", "", 2);
  b.Program("bin/b").Use("d", kParent, "/svc/d", 1);  // used as a protocol
  uint32_t r = t.Add(cm::kNoNode, "", &root);
  t.Add(r, "a", &a);
  uint32_t bi = t.Add(r, "b", &b);
  auto res = RouteOf(t, bi, "/svc/d");
  EXPECT_EQ(res.kind, cm::RouteKind::kFailed);
  EXPECT_STREQ(res.why, "/b cannot open d: not offered by /");
}

TEST(CmRoute, BareProgramUsesNothing) {
  FakeTree t;
  Builder root;
  root.Collection("run");
  uint32_t r = t.Add(cm::kNoNode, "", &root);
  uint32_t bare = t.Add(r, "hello-1", nullptr, "run");
  auto res = RouteOf(t, bare, "/svc/x");
  EXPECT_EQ(res.kind, cm::RouteKind::kFailed);
  EXPECT_STREQ(res.why, "/run:hello-1 cannot open /svc/x: not in its namespace (no use of it)");
}

// The manager's implicit use of log.Sink by a bare program (log_sink.h):
// routed through its collection's offers like a declared use.
TEST(CmRoute, BareProgramsLogSinkThroughItsCollection) {
  FakeTree t;
  Builder root, log;
  root.Child("log", "meta/log.cm")
      .Collection("run")
      .Collection("quiet")
      .Offer("log.Sink", kChild, "log", "run");
  log.Program("bin/log-service")
      .Capability("log.Sink")
      .Capability("log.Admin")
      .Expose("log.Sink", kSelf, "");
  uint32_t r = t.Add(cm::kNoNode, "", &root);
  uint32_t l = t.Add(r, "log", &log);
  uint32_t bare = t.Add(r, "hello-1", nullptr, "run");
  uint32_t quiet = t.Add(r, "hello-2", nullptr, "quiet");
  const cm::Use use = cm::ImplicitLogSinkUse();
  cm::RouteResult res;
  cm::RouteUse(t, bare, &use, &res);
  ASSERT_EQ(res.kind, cm::RouteKind::kProvider) << res.why;
  EXPECT_EQ(res.provider, l);
  EXPECT_TRUE(res.capability.Equals("log.Sink"));
  EXPECT_TRUE(cm::AttachesLogSink(t.ManifestOf(res.provider), res.capability));
  cm::RouteUse(t, quiet, &use, &res);
  EXPECT_EQ(res.kind, cm::RouteKind::kFailed);
  EXPECT_STREQ(res.why, "/quiet:hello-2 cannot open log.Sink: not offered by /");
}

}  // namespace
