// Resource resolution over hand-made trees: every malformed case gives its
// own Status and a message naming the node; the well-formed corner cases
// resolve as the bindings say.
#include <mica/types.h>

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "devicetree/tests/blob_builder.h"
#include "devicetree/tests/test_util.h"
#include "system/core/driver_manager/lib/resources.h"

namespace {

using fdt_test::BlobBuilder;

// A root (2/2 cells, interrupt-parent = the GIC) with a GIC-400 (phandle
// 1), a GPIO controller (phandle 2, 2 interrupt cells, itself on SPI 7), a
// simple-bus at bus 0 -> CPU 0x40000000 (1/1 cells) and `dev` filled by
// `fill` under the root (or under the bus with on_bus).
struct Tree {
  std::vector<uint8_t> blob;
  fdt_test::ExactBuffer buf;
  fdt::Fdt dt;
  fdt::Node dev;

  Tree(const std::function<void(BlobBuilder&)>& fill, bool on_bus = false,
       const std::function<void(BlobBuilder&)>& extra = nullptr) {
    BlobBuilder b;
    b.Begin("").Cells("#address-cells", {2}).Cells("#size-cells", {2});
    b.Cells("interrupt-parent", {1});
    b.Begin("intc@8000000").Strs("compatible", {"arm,gic-400", "arm,cortex-a15-gic"});
    b.Cells("#interrupt-cells", {3}).Empty("interrupt-controller").Cells("phandle", {1});
    b.Cells("reg", {0, 0x08000000, 0, 0x10000}).Begin("ppi-partitions");
    b.Begin("cluster0").Cells("affinity", {0}).Cells("phandle", {5}).End().End().End();
    b.Begin("gpio@9030000").Str("compatible", "arm,pl061").Cells("#interrupt-cells", {2});
    b.Empty("interrupt-controller").Cells("phandle", {2}).Cells("interrupts", {0, 7, 4});
    b.Cells("reg", {0, 0x09030000, 0, 0x1000}).End();
    if (extra) {
      extra(b);
    }
    if (on_bus) {
      b.Begin("bus").Str("compatible", "simple-bus").Cells("#address-cells", {1});
      b.Cells("#size-cells", {1}).Cells("ranges", {0, 0, 0x40000000, 0x100000});
    }
    b.Begin("dev@0").Str("compatible", "test,dev");
    fill(b);
    blob = b.Finish();
    buf = fdt_test::ExactBuffer(blob);
    EXPECT_EQ(fdt::Init(buf.data(), buf.size(), &dt), fdt::Status::kOk);
    dev = dt.FindNode(on_bus ? "/bus/dev@0" : "/dev@0");
    EXPECT_TRUE(dev.valid());
  }

  dm::Status Resolve(dm::NodeResources* res, dm::Error* err) {
    *err = dm::Error{};
    const dm::Status st = dm::ResolveResources(dt, dev, res, err);
    if (st != dm::Status::kOk) {
      const std::string msg = err->message;
      EXPECT_EQ(err->status, st);
      EXPECT_TRUE(msg.rfind("/dev@0: ", 0) == 0 || msg.rfind("/bus/dev@0: ", 0) == 0) << msg;
    }
    return st;
  }
};

dm::Status ResolveWith(const std::function<void(BlobBuilder&)>& fill, bool on_bus = false) {
  Tree t(fill, on_bus);
  dm::NodeResources res;
  dm::Error err;
  return t.Resolve(&res, &err);
}

TEST(ResourcesMalformed, InterruptCellErrors) {
  // Length not a multiple of #interrupt-cells.
  EXPECT_EQ(ResolveWith([](BlobBuilder& b) {
              b.Cells("interrupts", {0, 1});
            }),
            dm::Status::kBadCells);
  // Dangling interrupt-parent phandle.
  EXPECT_EQ(ResolveWith([](BlobBuilder& b) {
              b.Cells("interrupt-parent", {0x99}).Cells("interrupts", {0, 1, 4});
            }),
            dm::Status::kNoParent);
  // interrupts-extended naming a non-controller / running past the end.
  EXPECT_EQ(ResolveWith([](BlobBuilder& b) {
              b.Cells("interrupts-extended", {0x99, 0, 1, 4});
            }),
            dm::Status::kBadCells);
  EXPECT_EQ(ResolveWith([](BlobBuilder& b) {
              b.Cells("interrupts-extended", {1, 0, 1});
            }),
            dm::Status::kBadCells);
}

TEST(ResourcesMalformed, NoInterruptParentAnywhere) {
  BlobBuilder b;
  b.Begin("").Cells("#address-cells", {1}).Cells("#size-cells", {1});
  b.Begin("dev@0").Cells("interrupts", {1, 2, 3});
  const std::vector<uint8_t> blob = b.Finish();
  fdt_test::ExactBuffer buf(blob);
  fdt::Fdt dt;
  ASSERT_EQ(fdt::Init(buf.data(), buf.size(), &dt), fdt::Status::kOk);
  dm::NodeResources res;
  dm::Error err;
  EXPECT_EQ(dm::ResolveResources(dt, dt.FindNode("/dev@0"), &res, &err), dm::Status::kNoParent);
  EXPECT_STREQ(err.message,
               "/dev@0: interrupts: no interrupt parent (interrupt-parent missing, dangling or "
               "cyclic)");
}

TEST(ResourcesMalformed, InterruptParentCycle) {
  BlobBuilder b;
  b.Begin("").Cells("#address-cells", {1}).Cells("#size-cells", {1});
  b.Begin("a").Cells("phandle", {1}).Cells("interrupt-parent", {2}).End();
  b.Begin("b").Cells("phandle", {2}).Cells("interrupt-parent", {1}).End();
  b.Begin("dev@0").Cells("interrupt-parent", {1}).Cells("interrupts", {1});
  const std::vector<uint8_t> blob = b.Finish();
  fdt_test::ExactBuffer buf(blob);
  fdt::Fdt dt;
  ASSERT_EQ(fdt::Init(buf.data(), buf.size(), &dt), fdt::Status::kOk);
  dm::NodeResources res;
  dm::Error err;
  EXPECT_EQ(dm::ResolveResources(dt, dt.FindNode("/dev@0"), &res, &err), dm::Status::kNoParent);
}

TEST(ResourcesMalformed, ControllerCellCounts) {
  // #interrupt-cells 0 and 9 on the controller the node names.
  for (uint32_t cells : {0u, 9u}) {
    Tree t([](BlobBuilder& b) { b.Cells("interrupt-parent", {7}).Cells("interrupts", {1}); }, false,
           [cells](BlobBuilder& b) {
             b.Begin("odd").Cells("#interrupt-cells", {cells}).Cells("phandle", {7}).End();
           });
    dm::NodeResources res;
    dm::Error err;
    EXPECT_EQ(t.Resolve(&res, &err), cells == 0 ? dm::Status::kBadCells : dm::Status::kUnsupported)
        << err.message;
  }
  // A GIC declaring 2 interrupt cells: the GIC binding needs 3 (or 4).
  Tree t(
      [](BlobBuilder& b) {
        b.Cells("interrupt-parent", {7}).Cells("interrupts", {0, 1});
      },
      false,
      [](BlobBuilder& b) {
        b.Begin("gic2").Str("compatible", "arm,gic-v3").Cells("#interrupt-cells", {2});
        b.Cells("phandle", {7}).End();
      });
  dm::NodeResources res;
  dm::Error err;
  EXPECT_EQ(t.Resolve(&res, &err), dm::Status::kBadCells);
}

TEST(ResourcesMalformed, GicSpecifiers) {
  struct Case {
    std::vector<uint32_t> cells;
    dm::Status status;
  };
  const Case cases[] = {
      {{0, 988, 4}, dm::Status::kBadValue},      // SPI past 987
      {{1, 16, 4}, dm::Status::kBadValue},       // PPI past 15
      {{4, 1, 4}, dm::Status::kBadValue},        // unknown type
      {{2, 1, 4}, dm::Status::kUnsupported},     // GICv3 extended SPI
      {{3, 1, 4}, dm::Status::kUnsupported},     // GICv3 extended PPI
      {{0, 1, 3}, dm::Status::kBadValue},        // trigger 3
      {{0, 1, 0x14}, dm::Status::kBadValue},     // reserved bits 7:4
      {{0, 1, 0x10004}, dm::Status::kBadValue},  // reserved bits 31:16
      {{0, 1, 0x104}, dm::Status::kBadValue},    // a CPU mask on an SPI
      {{0, 987, 4}, dm::Status::kOk},           {{1, 15, 0xf08}, dm::Status::kOk},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(::testing::PrintToString(c.cells));
    EXPECT_EQ(ResolveWith([&](BlobBuilder& b) {
                std::vector<uint8_t> v;
                for (uint32_t x : c.cells) {
                  v.push_back(x >> 24);
                  v.push_back(x >> 16);
                  v.push_back(x >> 8);
                  v.push_back(x);
                }
                b.Prop("interrupts", v);
              }),
              c.status);
  }
}

TEST(ResourcesMalformed, TriggerTypesMapToOptions) {
  const std::pair<uint32_t, uint32_t> map[] = {
      {0, 0}, {1, MICA_INTERRUPT_EDGE},       {2, MICA_INTERRUPT_EDGE | MICA_INTERRUPT_ACTIVE_LOW},
      {4, 0}, {8, MICA_INTERRUPT_ACTIVE_LOW},
  };
  for (const auto& [trigger, options] : map) {
    Tree t([trigger](BlobBuilder& b) { b.Cells("interrupts", {0, 5, trigger, 1, 3, trigger}); });
    dm::NodeResources res;
    dm::Error err;
    ASSERT_EQ(t.Resolve(&res, &err), dm::Status::kOk) << err.message;
    ASSERT_EQ(res.interrupt_count, 2u);
    EXPECT_EQ(res.interrupts[0].intid, 37u);
    EXPECT_EQ(res.interrupts[0].options, options);
    EXPECT_EQ(res.interrupts[1].intid, 19u);
    EXPECT_EQ(res.interrupts[1].options, options);
  }
}

TEST(ResourcesMalformed, GicV3PpiPartitions) {
  const auto gic4 = [](BlobBuilder& b) {
    b.Begin("gic3").Str("compatible", "arm,gic-v3").Cells("#interrupt-cells", {4});
    b.Empty("interrupt-controller").Cells("phandle", {8}).End();
  };
  const auto with = [&](std::initializer_list<uint32_t> cells) {
    Tree t([&](BlobBuilder& b) { b.Cells("interrupt-parent", {8}).Cells("interrupts", cells); },
           false, gic4);
    dm::NodeResources res;
    dm::Error err;
    const dm::Status st = t.Resolve(&res, &err);
    return std::make_pair(st, st == dm::Status::kOk ? res.interrupts[0] : dm::InterruptResource{});
  };
  auto [st, irq] = with({1, 7, 4, 5});
  ASSERT_EQ(st, dm::Status::kOk);
  EXPECT_EQ(irq.intid, 23u);
  EXPECT_TRUE(irq.ppi_partition.valid());
  std::tie(st, irq) = with({0, 7, 4, 0});
  ASSERT_EQ(st, dm::Status::kOk);
  EXPECT_EQ(irq.intid, 39u);
  EXPECT_FALSE(irq.ppi_partition.valid());
  EXPECT_EQ(with({0, 7, 4, 5}).first, dm::Status::kBadValue);     // partition on an SPI
  EXPECT_EQ(with({1, 7, 4, 0x77}).first, dm::Status::kBadValue);  // dangling partition
}

TEST(ResourcesMalformed, RoutedInterrupts) {
  // interrupts-extended: one GIC SPI, one GPIO line.
  Tree t([](BlobBuilder& b) { b.Cells("interrupts-extended", {1, 0, 3, 1, 2, 5, 2}); });
  dm::NodeResources res;
  dm::Error err;
  ASSERT_EQ(t.Resolve(&res, &err), dm::Status::kOk) << err.message;
  ASSERT_EQ(res.interrupt_count, 2u);
  EXPECT_EQ(res.interrupts[0].kind, dm::IrqKind::kGic);
  EXPECT_EQ(res.interrupts[0].intid, 35u);
  EXPECT_EQ(res.interrupts[0].options, uint32_t{MICA_INTERRUPT_EDGE});
  EXPECT_EQ(res.interrupts[1].kind, dm::IrqKind::kRouted);
  char text[128];
  dm::FormatInterrupt(t.dt, res.interrupts[1], text, sizeof(text));
  EXPECT_STREQ(text, "routed through /gpio@9030000");
  // interrupt-parent = the GPIO controller.
  Tree g([](BlobBuilder& b) { b.Cells("interrupt-parent", {2}).Cells("interrupts", {3, 8}); });
  ASSERT_EQ(g.Resolve(&res, &err), dm::Status::kOk);
  EXPECT_EQ(res.interrupts[0].kind, dm::IrqKind::kRouted);
  EXPECT_EQ(res.interrupts[0].spec.num_cells, 2u);
  EXPECT_EQ(res.interrupts[0].spec.cells[0], 3u);
}

TEST(ResourcesMalformed, RegErrors) {
  // Not a whole number of (2 + 2)-cell entries.
  EXPECT_EQ(ResolveWith([](BlobBuilder& b) {
              b.Cells("reg", {0, 0x1000, 0});
            }),
            dm::Status::kBadCells);
  // Size 0.
  EXPECT_EQ(ResolveWith([](BlobBuilder& b) {
              b.Cells("reg", {0, 0x1000, 0, 0});
            }),
            dm::Status::kBadValue);
  // Wraps past 2^64.
  EXPECT_EQ(ResolveWith([](BlobBuilder& b) {
              b.Cells("reg", {0xffffffff, 0xfffff000, 0, 0x2000});
            }),
            dm::Status::kOverflow);
  // The very last page: its page-rounded end is 2^64.
  EXPECT_EQ(ResolveWith([](BlobBuilder& b) {
              b.Cells("reg", {0xffffffff, 0xfffff000, 0, 0x1000});
            }),
            dm::Status::kOverflow);
  // On the bus: outside the window, straddling its end, inside.
  EXPECT_EQ(ResolveWith(
                [](BlobBuilder& b) {
                  b.Cells("reg", {0x200000, 0x100});
                },
                true),
            dm::Status::kNoTranslation);
  EXPECT_EQ(ResolveWith(
                [](BlobBuilder& b) {
                  b.Cells("reg", {0xff000, 0x2000});
                },
                true),
            dm::Status::kNoTranslation);
  EXPECT_EQ(ResolveWith(
                [](BlobBuilder& b) {
                  b.Cells("reg", {0xff000, 0x1000});
                },
                true),
            dm::Status::kOk);
  // Too many entries.
  EXPECT_EQ(
      ResolveWith([](BlobBuilder& b) {
        std::vector<uint8_t> v;
        for (uint32_t i = 0; i <= dm::kMaxMmio; ++i) {
          const uint32_t e[] = {0, 0x1000 * (i + 1), 0, 0x100};
          for (uint32_t x : e) {
            v.insert(v.end(), {uint8_t(x >> 24), uint8_t(x >> 16), uint8_t(x >> 8), uint8_t(x)});
          }
        }
        b.Prop("reg", v);
      }),
      dm::Status::kTooMany);
}

TEST(ResourcesMalformed, BusWithoutRanges) {
  BlobBuilder b;
  b.Begin("").Cells("#address-cells", {1}).Cells("#size-cells", {1});
  b.Begin("bus").Cells("#address-cells", {1}).Cells("#size-cells", {1});
  b.Begin("dev@10").Cells("reg", {0x10, 0x10});
  const std::vector<uint8_t> blob = b.Finish();
  fdt_test::ExactBuffer buf(blob);
  fdt::Fdt dt;
  ASSERT_EQ(fdt::Init(buf.data(), buf.size(), &dt), fdt::Status::kOk);
  dm::NodeResources res;
  dm::Error err;
  EXPECT_EQ(dm::ResolveResources(dt, dt.FindNode("/bus/dev@10"), &res, &err),
            dm::Status::kNoTranslation);
  EXPECT_EQ(std::string(err.message).rfind("/bus/dev@10: reg[0]: ", 0), 0u) << err.message;
}

TEST(ResourcesMalformed, PciAddressesUnsupported) {
  BlobBuilder b;
  b.Begin("").Cells("#address-cells", {2}).Cells("#size-cells", {2});
  b.Begin("pcie").Cells("#address-cells", {3}).Cells("#size-cells", {2}).Empty("ranges");
  b.Begin("dev@0").Cells("reg", {0, 0, 0, 0, 0x100});
  const std::vector<uint8_t> blob = b.Finish();
  fdt_test::ExactBuffer buf(blob);
  fdt::Fdt dt;
  ASSERT_EQ(fdt::Init(buf.data(), buf.size(), &dt), fdt::Status::kOk);
  dm::NodeResources res;
  dm::Error err;
  EXPECT_EQ(dm::ResolveResources(dt, dt.FindNode("/pcie/dev@0"), &res, &err),
            dm::Status::kUnsupported);
}

TEST(ResourcesMalformed, TooManyInterrupts) {
  EXPECT_EQ(ResolveWith([](BlobBuilder& b) {
              std::vector<uint8_t> v;
              for (uint32_t i = 0; i <= dm::kMaxInterrupts; ++i) {
                v.insert(v.end(), {0, 0, 0, 0, 0, 0, 0, uint8_t(i), 0, 0, 0, 4});
              }
              b.Prop("interrupts", v);
            }),
            dm::Status::kTooMany);
}

TEST(ResourcesMalformed, NexusIsRouted) {
  Tree t([](BlobBuilder& b) { b.Cells("interrupt-parent", {9}).Cells("interrupts", {1}); }, false,
         [](BlobBuilder& b) {
           b.Begin("nexus").Str("compatible", "arm,gic-400").Cells("#interrupt-cells", {1});
           b.Cells("interrupt-map", {1, 1, 0, 1, 4}).Cells("phandle", {9}).End();
         });
  dm::NodeResources res;
  dm::Error err;
  ASSERT_EQ(t.Resolve(&res, &err), dm::Status::kOk) << err.message;
  EXPECT_EQ(res.interrupts[0].kind, dm::IrqKind::kRouted);
}

TEST(ResourcesMalformed, Gpios) {
  // The GPIO controller (phandle 2) gets #gpio-cells 2 through `extra`.
  const auto gpio_ctrl = [](BlobBuilder& b) {
    b.Begin("gpio2").Cells("#gpio-cells", {2}).Empty("gpio-controller").Cells("phandle", {6});
    b.End();
  };
  const auto resolve = [&](const std::function<void(BlobBuilder&)>& fill, dm::NodeResources* res) {
    Tree t(fill, false, gpio_ctrl);
    dm::Error err;
    return t.Resolve(res, &err);
  };
  // Own and child properties, a 0 phandle skipped; a child with its own
  // compatible is a device of its own and not looked at.
  Tree t(
      [](BlobBuilder& b) {
        b.Cells("reset-gpios", {6, 1, 0, 0, 6, 2, 1});
        b.Cells("not-gpios-at-all", {0x99});
        b.Begin("key").Cells("gpios", {6, 9, 1}).End();
        b.Begin("sub").Str("compatible", "x").Cells("gpios", {0x99}).End();
        b.Begin("off").Str("status", "disabled").Cells("gpios", {0x99}).End();
      },
      false, gpio_ctrl);
  dm::NodeResources res;
  dm::Error err;
  ASSERT_EQ(t.Resolve(&res, &err), dm::Status::kOk) << err.message;
  ASSERT_EQ(res.gpio_count, 3u);
  EXPECT_STREQ(res.gpios[0].property, "reset-gpios");
  EXPECT_EQ(res.gpios[1].cells[0], 2u);
  EXPECT_EQ(res.gpios[1].cells[1], 1u);
  EXPECT_EQ(res.gpios[2].cells[0], 9u);
  EXPECT_EQ(res.gpios[2].owner, t.dt.FindNode("/dev@0/key"));
  // Dangling phandle, not a GPIO controller, cells past the end, ragged.
  EXPECT_EQ(resolve(
                [](BlobBuilder& b) {
                  b.Cells("gpios", {0x99, 1, 0});
                },
                &res),
            dm::Status::kBadCells);
  EXPECT_EQ(resolve(
                [](BlobBuilder& b) {
                  b.Cells("gpios", {1, 1, 0});
                },
                &res),
            dm::Status::kBadCells);
  EXPECT_EQ(resolve([](BlobBuilder& b) { b.Cells("gpios", {6, 1}); }, &res), dm::Status::kBadCells);
  EXPECT_EQ(resolve(
                [](BlobBuilder& b) {
                  b.Prop("x-gpios", {0, 0, 0, 6, 0});
                },
                &res),
            dm::Status::kBadCells);
  EXPECT_EQ(resolve(
                [](BlobBuilder& b) {
                  std::vector<uint8_t> v;
                  for (uint32_t i = 0; i <= dm::kMaxGpios; ++i) {
                    v.insert(v.end(), {0, 0, 0, 6, 0, 0, 0, uint8_t(i), 0, 0, 0, 0});
                  }
                  b.Prop("gpios", v);
                },
                &res),
            dm::Status::kTooMany);
}

TEST(ResourcesMalformed, StatusAndCompatibles) {
  BlobBuilder b;
  b.Begin("");
  b.Begin("off").Str("status", "disabled").Begin("child").Str("compatible", "c").End().End();
  b.Begin("ok").Str("status", "ok").Strs("compatible", {"vendor,exact", "vendor,generic"}).End();
  b.Begin("okay").Str("status", "okay").Prop("compatible", {'a', 'b'}).End();
  b.Begin("fail").Str("status", "fail").End();
  const std::vector<uint8_t> blob = b.Finish();
  fdt_test::ExactBuffer buf(blob);
  fdt::Fdt dt;
  ASSERT_EQ(fdt::Init(buf.data(), buf.size(), &dt), fdt::Status::kOk);
  std::vector<std::string> seen;
  dm::ForEachEnabledNode(dt, [&](fdt::Node n, int) {
    char path[dm::kMaxPath];
    EXPECT_EQ(dm::NodePath(dt, n, path, sizeof(path), nullptr), dm::Status::kOk);
    seen.push_back(path);
    return true;
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"/", "/ok", "/okay"}));
  EXPECT_FALSE(dm::IsNodeEnabled(dt, dt.FindNode("/off/child")));
  const dm::CompatibleList ok(dt, dt.FindNode("/ok"));
  ASSERT_EQ(ok.count(), 2u);
  EXPECT_STREQ(ok.at(0), "vendor,exact");
  EXPECT_STREQ(ok.at(1), "vendor,generic");
  EXPECT_EQ(ok.at(2), nullptr);
  EXPECT_EQ(dm::CompatibleList(dt, dt.FindNode("/okay")).count(), 0u);  // not NUL-terminated
  char small[4];
  dm::Error err;
  EXPECT_EQ(dm::NodePath(dt, dt.FindNode("/okay"), small, sizeof(small), &err),
            dm::Status::kBufferTooSmall);
  EXPECT_EQ(dm::NodePath(dt, fdt::Node{3}, small, sizeof(small), &err), dm::Status::kNotFound);
  // Forged handles are refused, not resolved.
  dm::NodeResources res;
  for (uint32_t off : {3u, 5u, 0xffffffffu}) {
    EXPECT_EQ(dm::ResolveResources(dt, fdt::Node{off}, &res, &err), dm::Status::kNotFound);
  }
}

// Random mutations of a tree with every kind of entry: resolution never
// crashes or reads out of bounds (ASan), and failures always explain.
TEST(ResourcesMalformed, MutatedBlobs) {
  Tree base([](BlobBuilder& b) {
    b.Cells("reg", {0, 0x1000, 0, 0x100, 0, 0x3000, 0, 0x2000});
    b.Cells("interrupts-extended", {1, 0, 3, 1, 2, 5, 2});
  });
  uint32_t state = 12345;
  uint32_t resolved = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<uint8_t> blob = base.blob;
    for (int k = 0; k < 4; ++k) {
      state = state * 1103515245u + 12345u;
      blob[(state >> 8) % blob.size()] ^= uint8_t(1u << ((state >> 4) % 8));
    }
    fdt_test::ExactBuffer buf(blob);
    fdt::Fdt dt;
    if (fdt::Init(buf.data(), buf.size(), &dt) != fdt::Status::kOk) {
      continue;
    }
    dt.ForEachNode([&](fdt::Node n, int) {
      dm::NodeResources res;
      dm::Error err;
      if (dm::ResolveResources(dt, n, &res, &err) != dm::Status::kOk) {
        EXPECT_NE(err.message[0], '\0');
      } else {
        ++resolved;
      }
      return true;
    });
  }
  EXPECT_GT(resolved, 0u);
}

}  // namespace
