// A virtio-gpu driver for the display benchmark: it sets up a full-screen resource like fb-demo,
// then shows `frames` full frames — change every pixel, TRANSFER_TO_HOST_2D the whole screen,
// RESOURCE_FLUSH it — between two console marks the host timestamps.
import { VirtioDevice, defineDriver, dma, irq, mmio, type Driver } from "@zds/sdk";
import { GpuControl, attachBacking, request } from "../../drivers/fb-demo/control-queue";
import { Cmd, Format } from "../../drivers/fb-demo/gpu-protocol";

export interface GpuFramesParams {
  frames: number;
  /** Frames before the first mark (the JIT warms up). */
  warmup: number;
}

const WIDTH = 640;
const HEIGHT = 480;

export function gpuFrames(params: GpuFramesParams): Driver {
  return defineDriver({
    name: "bench-gpu-frames",
    device: { virtio: VirtioDevice.Gpu },
    caps: { regs: mmio({ size: 0x200 }), irq: irq(), ring: dma({ size: 8192 }), fb: dma({ size: WIDTH * HEIGHT * 4 }) },
    main({ regs, irq, ring, fb }, sys) {
      const gpu = GpuControl.start(regs, irq, ring);
      gpu.command(request(Cmd.RESOURCE_CREATE_2D, [1, Format.B8G8R8X8_UNORM, WIDTH, HEIGHT]));
      gpu.command(attachBacking(1, fb.phys, fb.size));
      gpu.command(request(Cmd.SET_SCANOUT, [0, 0, WIDTH, HEIGHT, 0, 1]));
      const pixels = new Uint32Array(fb.bytes.buffer, fb.bytes.byteOffset, WIDTH * HEIGHT);
      const frame = (n: number) => {
        pixels.fill(n * 0x010203);
        gpu.command(request(Cmd.TRANSFER_TO_HOST_2D, [0, 0, WIDTH, HEIGHT, 0, 0, 1, 0]));
        gpu.command(request(Cmd.RESOURCE_FLUSH, [0, 0, WIDTH, HEIGHT, 1, 0]));
      };
      for (let n = 0; n < params.warmup; n++) frame(n);
      sys.console("bench:go\n");
      for (let n = 0; n < params.frames; n++) frame(params.warmup + n);
      sys.console("bench:done\n");
    },
  });
}
