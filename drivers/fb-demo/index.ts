// fb-demo: draws on the machine's display through virtio-gpu, and shows how a 2D display driver works.
//
// A virtio-gpu device (virtio 1.2 §5.7) keeps the picture on the *host* side, in a "resource": an
// image of width × height pixels that the device owns. The driver never writes into it directly.
// It draws into its own memory (a DMA buffer of the same size, the resource's "backing"), then asks
// the device to copy a rectangle of it over (TRANSFER_TO_HOST_2D) and to show that rectangle
// (RESOURCE_FLUSH). Each request is a small structure put on the control queue; the device answers
// each one with a response structure in a buffer the driver gave with it.
//
// The sequence every 2D driver goes through, and this one does in main():
//   1. GET_DISPLAY_INFO          how big is scanout 0 (the screen)?
//   2. RESOURCE_CREATE_2D        make resource 1, that size, 4 bytes a pixel (B, G, R, unused)
//   3. RESOURCE_ATTACH_BACKING   its backing is our framebuffer DMA buffer
//   4. SET_SCANOUT               show resource 1 on scanout 0
//   5. draw, TRANSFER_TO_HOST_2D, RESOURCE_FLUSH — once per frame, for the part that changed
//
// What it draws: a vertical gradient, a line of text in a 5×7 font, and a box that moves across the
// screen one step per frame, bouncing off the edges. After the first frame only the box's old and new
// places are copied and flushed: a real driver sends the damage, not the whole screen. Every frame is
// a deterministic function of the run, so `zds run drivers/fb-demo --screenshot out.png` gives the same
// picture every time, and the frame hashes are in the SysLog for replay to check.

import { VirtioDevice, defineDriver, dma, irq, mmio, type DmaBuffer } from "@zds/sdk";
import { GpuControl, attachBacking, header, request } from "./control-queue";
import { FONT_HEIGHT, FONT_WIDTH, glyph } from "./font";
import { Cmd, Format, HDR_BYTES, Resp } from "./gpu-protocol";

const RESOURCE_ID = 1;
const SCANOUT = 0;
const FRAMES = 40;
const BOX = 48;
const STEP = 12;
const TEXT = "HELLO FROM ZERO OS";
const TEXT_SCALE = 3;

/** The framebuffer: 640 × 480 pixels of 4 bytes, the mode the device reports. */
const WIDTH = 640;
const HEIGHT = 480;

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

export default defineDriver({
  name: "fb-demo",
  device: { virtio: VirtioDevice.Gpu },
  caps: {
    regs: mmio({ size: 0x200 }),
    irq: irq(),
    ring: dma({ size: 8192 }),
    fb: dma({ size: WIDTH * HEIGHT * 4 }),
  },
  main({ regs, irq, ring, fb }, sys) {
    // Bring the device up like every virtio device (control-queue.ts): VERSION_1, the controlq.
    const gpu = GpuControl.start(regs, irq, ring);

    // 1. The mode of scanout 0: pmodes[0] = { rect { x, y, width, height }, enabled, flags }.
    const info = gpu.command(header(Cmd.GET_DISPLAY_INFO), Resp.OK_DISPLAY_INFO, HDR_BYTES + 16 * 24);
    const width = info.getUint32(HDR_BYTES + 8, true);
    const height = info.getUint32(HDR_BYTES + 12, true);
    if (width !== WIDTH || height !== HEIGHT)
      throw new Error(`fb-demo draws on ${WIDTH}×${HEIGHT}; scanout 0 is ${width}×${height}`);

    // 2–4. Resource 1, backed by our framebuffer, on scanout 0.
    gpu.command(request(Cmd.RESOURCE_CREATE_2D, [RESOURCE_ID, Format.B8G8R8X8_UNORM, WIDTH, HEIGHT]));
    gpu.command(attachBacking(RESOURCE_ID, fb.phys, fb.size));
    gpu.command(request(Cmd.SET_SCANOUT, [0, 0, WIDTH, HEIGHT, SCANOUT, RESOURCE_ID]));

    // 5. The first frame is the whole screen.
    const screen: Rect = { x: 0, y: 0, width: WIDTH, height: HEIGHT };
    paintBackground(fb, screen);
    drawText(fb, TEXT, 40, 40);
    let box: Rect = { x: 0, y: 200, width: BOX, height: BOX };
    fillRect(fb, box, 0xffcc00);
    show(gpu, screen);

    let dx = STEP;
    let dy = STEP / 2;
    for (let frame = 1; frame < FRAMES; frame++) {
      if (box.x + dx < 0 || box.x + dx + BOX > WIDTH) dx = -dx;
      if (box.y + dy < 100 || box.y + dy + BOX > HEIGHT) dy = -dy;
      const old = box;
      box = { ...box, x: box.x + dx, y: box.y + dy };
      // Repaint what the box leaves, then the box; send only the rectangle around both.
      paintBackground(fb, old);
      fillRect(fb, box, frame % 2 === 0 ? 0xffcc00 : 0xff8800);
      show(gpu, union(old, box));
    }
    sys.debug(`fb-demo: ${FRAMES} frames on ${WIDTH}×${HEIGHT}`);
    sys.console(`fb-demo: drew ${FRAMES} frames on a ${WIDTH}×${HEIGHT} display\n`);
  },
});

/** Copy `rect` of the framebuffer to the resource and show it. */
function show(gpu: GpuControl, rect: Rect): void {
  // The offset is where the rectangle's first pixel sits in the backing: rows of WIDTH × 4 bytes.
  const offset = (rect.y * WIDTH + rect.x) * 4;
  const transfer = request(Cmd.TRANSFER_TO_HOST_2D, [rect.x, rect.y, rect.width, rect.height, offset, 0, RESOURCE_ID, 0]);
  gpu.command(transfer);
  gpu.command(request(Cmd.RESOURCE_FLUSH, [rect.x, rect.y, rect.width, rect.height, RESOURCE_ID, 0]));
}

// Drawing. A pixel is the u32 0x00RRGGBB stored little-endian: bytes B, G, R, 0 — the
// B8G8R8X8 format the resource was made with.

function paintBackground(fb: DmaBuffer, rect: Rect): void {
  for (let y = rect.y; y < rect.y + rect.height; y++) {
    // Dark blue at the top to teal at the bottom.
    const t = y / (HEIGHT - 1);
    const color = (Math.round(16 + 16 * t) << 16) | (Math.round(32 + 96 * t) << 8) | Math.round(96 + 64 * t);
    for (let x = rect.x; x < rect.x + rect.width; x++) fb.view.setUint32((y * WIDTH + x) * 4, color, true);
  }
  // The text sits on the background: repaint it where the rectangle crosses it.
  const text = { x: 40, y: 40, width: TEXT.length * (FONT_WIDTH + 1) * TEXT_SCALE, height: FONT_HEIGHT * TEXT_SCALE };
  if (overlaps(rect, text)) drawText(fb, TEXT, text.x, text.y, rect);
}

function fillRect(fb: DmaBuffer, rect: Rect, color: number): void {
  for (let y = rect.y; y < rect.y + rect.height; y++)
    for (let x = rect.x; x < rect.x + rect.width; x++) fb.view.setUint32((y * WIDTH + x) * 4, color, true);
}

/** Draw `text` at (x0, y0), each font pixel a TEXT_SCALE square; only inside `clip` if given. */
function drawText(fb: DmaBuffer, text: string, x0: number, y0: number, clip?: Rect): void {
  for (let i = 0; i < text.length; i++) {
    const rows = glyph(text[i]);
    const left = x0 + i * (FONT_WIDTH + 1) * TEXT_SCALE;
    for (let row = 0; row < FONT_HEIGHT; row++)
      for (let col = 0; col < FONT_WIDTH; col++) {
        if (!(rows[row] & (1 << (FONT_WIDTH - 1 - col)))) continue;
        const cell = { x: left + col * TEXT_SCALE, y: y0 + row * TEXT_SCALE, width: TEXT_SCALE, height: TEXT_SCALE };
        fillRect(fb, clip ? intersection(cell, clip) : cell, 0xffffff);
      }
  }
}

function overlaps(a: Rect, b: Rect): boolean {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

function intersection(a: Rect, b: Rect): Rect {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const width = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - x);
  const height = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - y);
  return { x, y, width, height };
}

function union(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
  };
}
