// E2E fixture: reads a register past the end of its MMIO grant, which the language server flags.
import { defineDriver, mmio, VirtioDevice } from "@zds/sdk";

export default defineDriver({
  name: "bad-rng",
  device: { virtio: VirtioDevice.Entropy },
  caps: { regs: mmio({ size: 0x100 }) },
  main({ regs }, sys) {
    sys.console(`magic ${regs.read32(0x0)} beyond ${regs.read32(0x200)}\n`);
    return 0;
  },
});
