#include "kernel/device/pci_match.h"

#include "gtest/gtest.h"

namespace kernel::device {
namespace {

constexpr PciIdentity kRng = {0x1af4, 0x1044, 0x1af4, 0x1100, 0x00ff00, 1};
constexpr PciIdentity kBridge = {0x8086, 0x1237, 0x1af4, 0x1100, 0x060000, 2};

TEST(PciMatch, VendorDeviceAndAny) {
  EXPECT_TRUE(Matches({0x1af4, 0x1044}, kRng));
  EXPECT_FALSE(Matches({0x1af4, 0x1042}, kRng));
  EXPECT_FALSE(Matches({0x8086, 0x1044}, kRng));
  EXPECT_TRUE(Matches({0x1af4, kPciAnyId}, kRng));
  EXPECT_TRUE(Matches({}, kRng));  // everything is any
  EXPECT_TRUE(Matches({kPciAnyId, kPciAnyId}, kBridge));
}

TEST(PciMatch, ClassUnderMask) {
  EXPECT_TRUE(Matches({kPciAnyId, kPciAnyId, 0x060000, 0xff0000}, kBridge));
  EXPECT_FALSE(Matches({kPciAnyId, kPciAnyId, 0x010000, 0xff0000}, kBridge));
  // Subclass and prog-if matter only where the mask says.
  EXPECT_TRUE(Matches({kPciAnyId, kPciAnyId, 0x0601ff, 0xff0000}, kBridge));
  EXPECT_FALSE(Matches({kPciAnyId, kPciAnyId, 0x060100, 0xffff00}, kBridge));
  // Ids and class must all match.
  EXPECT_FALSE(Matches({0x1af4, kPciAnyId, 0x060000, 0xff0000}, kBridge));
}

TEST(PciMatch, FirstMatchIsTheFirstInTableOrder) {
  PciId table[] = {{0x1af4, 0x1042}, {0x1af4, kPciAnyId}, {}};
  EXPECT_EQ(FirstMatch(table, kRng), 1u);
  EXPECT_EQ(FirstMatch(table, kBridge), 2u);
  EXPECT_EQ(FirstMatch(std::span<const PciId>(table).first(1), kRng), std::nullopt);
  EXPECT_EQ(FirstMatch({}, kRng), std::nullopt);
}

TEST(PciSlotText, FormatsLikeLinux) {
  EXPECT_EQ(FormatSlot({0, 3, 0}).view(), "0000:00:03.0");
  EXPECT_EQ(FormatSlot({0xab, 0x1f, 7}).view(), "0000:ab:1f.7");
}

TEST(PciSlotText, ParsesWhatItFormats) {
  for (PciSlot s : {PciSlot{0, 0, 0}, PciSlot{0, 3, 0}, PciSlot{255, 31, 7}}) {
    EXPECT_EQ(ParseSlot(FormatSlot(s).view()), s);
  }
  EXPECT_EQ(ParseSlot("0000:00:04.0\n"), (PciSlot{0, 4, 0}));
  EXPECT_EQ(ParseSlot("0000:0A:1F.7"), (PciSlot{10, 31, 7}));
}

TEST(PciSlotText, RejectsBadNames) {
  for (std::string_view bad :
       {"", "\n", "0000:00:03", "00:03.0", "0001:00:03.0", "0000:00:20.0", "0000:00:03.8",
        "0000:0g:03.0", "0000-00:03.0", "0000:00:03.0\n\n", " 0000:00:03.0", "0000:00:03.0x"}) {
    EXPECT_EQ(ParseSlot(bad), std::nullopt) << bad;
  }
}

TEST(PciText, UeventAsLinuxPrintsIt) {
  ostd::StackString<512> s;
  WriteUevent(s, kRng, {0, 3, 0}, "virtio-rng");
  EXPECT_FALSE(s.truncated());
  EXPECT_EQ(s.view(),
            "DRIVER=virtio-rng\n"
            "PCI_CLASS=FF00\n"
            "PCI_ID=1AF4:1044\n"
            "PCI_SUBSYS_ID=1AF4:1100\n"
            "PCI_SLOT_NAME=0000:00:03.0\n"
            "MODALIAS=pci:v00001AF4d00001044sv00001AF4sd00001100bc00scFFi00\n");
  ostd::StackString<512> unbound;
  WriteUevent(unbound, kBridge, {0, 0, 0}, "");
  EXPECT_EQ(unbound.view(),
            "PCI_CLASS=60000\n"
            "PCI_ID=8086:1237\n"
            "PCI_SUBSYS_ID=1AF4:1100\n"
            "PCI_SLOT_NAME=0000:00:00.0\n"
            "MODALIAS=pci:v00008086d00001237sv00001AF4sd00001100bc06sc00i00\n");
}

}  // namespace
}  // namespace kernel::device
