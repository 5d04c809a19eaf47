// virtio-net: a driver for the virtio network card, offered to other programs as the "net" service
// (docs/net-protocol.md): send a frame, receive a frame, link status, MAC address.
//
// Two virtqueues (virtio-reference §7.1): receiveq (0) and transmitq (1). Every packet, in either
// direction, is preceded by a 12-byte virtio_net_hdr (§7.4). We offer no offloads, so on transmit
// the header is all zeros, and on receive we only skip it.
//
// Receive: we keep RX_BUFFERS device-writable buffers of 2 KiB posted at all times — each holds the
// largest frame plus its header, so we need not negotiate mergeable buffers. Whenever the device
// interrupts, we copy what it filled into a queue of frames (bounded) and post the buffers again.
// If we fell behind and no buffer were posted, the device would drop frames; so we re-post at once.
//
// Transmit: one frame at a time, in a buffer of its own; SEND is answered once the device has used
// the chain, i.e. the frame is on the wire.

import {
  NET_MAX_FRAME,
  NetError,
  NetTag,
  VirtioDevice,
  VirtioError,
  VirtioFeature,
  VirtioInterrupt,
  VirtioMmio,
  VirtioStatus,
  decodeNetRequest,
  defineDriver,
  dma,
  irq,
  mmio,
  netError,
  netLinkStatus,
  serve,
  type DmaBuffer,
  type Irq,
  type Request,
  type DriverSplitQueue,
  type System,
} from "@zds/sdk";

// virtio-net feature bits and config offsets (virtio-reference §7.2, §7.3).
const VIRTIO_NET_F_MTU = 1n << 3n;
const VIRTIO_NET_F_MAC = 1n << 5n;
const VIRTIO_NET_F_STATUS = 1n << 16n;
const CONFIG_MAC = 0;
const CONFIG_STATUS = 6;
const CONFIG_MTU = 10;
const LINK_UP = 1;
/** virtio_net_hdr of a VERSION_1 device: flags, gso_type, hdr_len, gso_size, csum_start,
 *  csum_offset, num_buffers. */
const NET_HDR_BYTES = 12;
/** Every transmit header: no offloads, num_buffers 0. */
const TX_HEADER = new Uint8Array(NET_HDR_BYTES);

// DMA layout: both rings in page 0, then the receive buffers, then the transmit buffer.
const QUEUE_SIZE = 16;
const RXQ_OFFSET = 0;
const TXQ_OFFSET = 2048;
const BUFFER_BYTES = 2048;
const RX_BUFFERS = 16;
const RX_OFFSET = 4096;
const TX_OFFSET = RX_OFFSET + RX_BUFFERS * BUFFER_BYTES;
/** Frames received and not yet asked for; beyond this the oldest are dropped. */
const FRAME_BACKLOG = 64;
/** How long (virtual µs) we wait for an interrupt before looking at the device anyway. */
const IRQ_TIMEOUT_US = 10_000;
/** How long (virtual ns) a waiting RECEIVE waits for a frame before it is answered NO_FRAME. */
const RECEIVE_WAIT_NS = 100_000_000;

const rxBufferAt = (index: number): number => RX_OFFSET + index * BUFFER_BYTES;

interface Nic {
  readonly dev: VirtioMmio;
  readonly rxq: DriverSplitQueue;
  readonly txq: DriverSplitQueue;
  readonly irq: Irq;
  readonly mem: DmaBuffer;
  readonly sys: System;
  readonly mac: Uint8Array;
  readonly mtu: number;
  /** STATUS negotiated: config.status tells the link state; otherwise the link is always up. */
  readonly hasStatus: boolean;
  linkUp: boolean;
  /** Which receive buffer each posted chain (by head index) points to. */
  readonly rxPosted: Map<number, number>;
  /** Frames the device delivered that no RECEIVE has taken yet, oldest first. */
  readonly frames: Uint8Array[];
  /** Head of the transmit chain the device still holds, if any. */
  txHead: number | undefined;
}

export default defineDriver({
  name: "virtio-net",
  device: { virtio: VirtioDevice.Network },
  caps: {
    regs: mmio({ size: 0x200 }),
    irq: irq(),
    mem: dma({ size: TX_OFFSET + BUFFER_BYTES }),
    net: serve("net"),
  },
  main({ regs, irq, mem, net }, sys) {
    // Bring the device up (virtio 1.x §3.1). We want the MAC and link status from the config space,
    // and the MTU if the device states one; nothing else.
    const dev = VirtioMmio.probe(regs, VirtioDevice.Network);
    const features = dev.init(VirtioFeature.VERSION_1 | VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | VIRTIO_NET_F_MTU);
    if ((features & VIRTIO_NET_F_MAC) === 0n) dev.fail("the device has no MAC address of its own (VIRTIO_NET_F_MAC)");
    const mac = dev.consistentConfig(() => Uint8Array.from({ length: 6 }, (_, i) => dev.config8(CONFIG_MAC + i)));
    const mtu = features & VIRTIO_NET_F_MTU ? dev.config16(CONFIG_MTU) : NET_MAX_FRAME - 14;
    const rxq = dev.setupQueue(0, { dma: mem, offset: RXQ_OFFSET, maxSize: QUEUE_SIZE });
    const txq = dev.setupQueue(1, { dma: mem, offset: TXQ_OFFSET, maxSize: QUEUE_SIZE });
    const hasStatus = (features & VIRTIO_NET_F_STATUS) !== 0n;
    const nic: Nic = { dev, rxq, txq, irq, mem, sys, mac, mtu, hasStatus, linkUp: true, rxPosted: new Map(), frames: [], txHead: undefined };
    readLinkStatus(nic);

    // Fill the receive queue before the device goes live, so no early frame finds it empty; the kick
    // comes after DRIVER_OK (a driver must not notify before it, §2.2).
    for (let i = 0; i < Math.min(RX_BUFFERS, rxq.size); i++) postReceiveBuffer(nic, i);
    dev.driverOk();
    rxq.kick();

    net.ready();
    sys.debug(`virtio-net: ready, MAC ${formatMac(mac)}, mtu ${mtu}, link ${nic.linkUp ? "up" : "down"}`);
    for (;;) {
      // An interrupt that came while we waited for a request: collect its frames now.
      if (irq.poll()) serviceInterrupt(nic);
      handleRequest(nic, net.receive());
    }
  },
});

function handleRequest(nic: Nic, req: Request): void {
  const request = decodeNetRequest(req.tag, req.payload);
  switch (request.kind) {
    case "mac":
      req.reply(NetTag.MAC_ADDRESS, nic.mac);
      return;
    case "link":
      req.reply(NetTag.LINK_STATUS, netLinkStatus({ up: nic.linkUp, mtu: nic.mtu }));
      return;
    case "send":
      if (!nic.linkUp) {
        req.reply(NetTag.ERROR, netError(NetError.LINK_DOWN));
        return;
      }
      transmit(nic, request.frame);
      req.reply(NetTag.SENT);
      return;
    case "receive": {
      // A waiting RECEIVE holds the driver until a frame comes (fine for one client at a time), but
      // at most RECEIVE_WAIT_NS of virtual time: a frame lost on the wire (docs/faults.md) must not
      // hold the client for ever, so after that it gets NO_FRAME and can give up or ask again.
      const deadline = nic.sys.time() + RECEIVE_WAIT_NS;
      while (request.wait && nic.frames.length === 0 && nic.sys.time() < deadline) waitForInterrupt(nic);
      const frame = nic.frames.shift();
      if (frame) req.reply(NetTag.FRAME, frame);
      else req.reply(NetTag.NO_FRAME);
      return;
    }
    case "refused":
      req.reply(NetTag.ERROR, netError(request.error));
  }
}

/** Header (all zeros: no offloads, num_buffers 0) and frame in one device-readable buffer; wait
 *  until the device has used it. */
function transmit(nic: Nic, frame: Uint8Array): void {
  nic.mem.write(TX_OFFSET, TX_HEADER);
  nic.mem.write(TX_OFFSET + NET_HDR_BYTES, frame);
  nic.txHead = nic.txq.add({ readable: [{ addr: nic.mem.physAt(TX_OFFSET), len: NET_HDR_BYTES + frame.length }] });
  nic.txq.kick();
  while (nic.txHead !== undefined) waitForInterrupt(nic);
}

function postReceiveBuffer(nic: Nic, index: number): void {
  const head = nic.rxq.add({ writable: [{ addr: nic.mem.physAt(rxBufferAt(index)), len: BUFFER_BYTES }] });
  nic.rxPosted.set(head, index);
}

/** Sleep until the device interrupts, then handle it. At most IRQ_TIMEOUT_US (virtual): a lost
 *  interrupt (docs/faults.md) must not stall the driver for ever, so after that the device is looked
 *  at as if the interrupt had come (its ISR still tells a config change, the rings what was used). */
function waitForInterrupt(nic: Nic): void {
  const interrupted = nic.irq.wait({ timeoutUs: IRQ_TIMEOUT_US });
  serviceInterrupt(nic, interrupted);
}

/** Clear the interrupt at the device before acknowledging the kernel (the line is level-triggered),
 *  then see what changed: the config (link state, or a device that gave up) and both queues. After
 *  a timeout nothing was delivered, so nothing is acknowledged to the kernel. */
function serviceInterrupt(nic: Nic, delivered = true): void {
  const why = nic.dev.interruptStatus();
  nic.dev.ackInterrupt(why);
  if (delivered) nic.irq.ack();
  if (why & VirtioInterrupt.CONFIG_CHANGE) {
    // The device gave up on our rings (a driver bug, see the device events): faulting makes the
    // supervisor reset it and answers every caller still waiting.
    if (nic.dev.status() & VirtioStatus.DEVICE_NEEDS_RESET) throw new VirtioError("the device set DEVICE_NEEDS_RESET");
    readLinkStatus(nic);
  }
  collectReceived(nic);
  for (let done = nic.txq.popUsed(); done; done = nic.txq.popUsed()) {
    if (done.id === nic.txHead) nic.txHead = undefined;
  }
}

/** Copy every filled receive buffer out as a frame and post the buffer again. */
function collectReceived(nic: Nic): void {
  let reposted = false;
  for (let done = nic.rxq.popUsed(); done; done = nic.rxq.popUsed()) {
    const index = nic.rxPosted.get(done.id);
    if (index === undefined) throw new VirtioError(`the device completed receive chain ${done.id}, which is not one of ours`);
    nic.rxPosted.delete(done.id);
    // Trust the device's count only up to what we offered; a used len without a whole Ethernet
    // header behind the virtio header is no frame (the device returns such buffers empty).
    const len = Math.min(done.len, BUFFER_BYTES);
    if (len >= NET_HDR_BYTES + 14) keepFrame(nic, nic.mem.read(rxBufferAt(index) + NET_HDR_BYTES, len - NET_HDR_BYTES));
    postReceiveBuffer(nic, index);
    reposted = true;
  }
  if (reposted) nic.rxq.kick();
}

function keepFrame(nic: Nic, frame: Uint8Array): void {
  // Nobody is asking for frames: keep the newest, as a device with a full ring would.
  if (nic.frames.length === FRAME_BACKLOG) nic.frames.shift();
  nic.frames.push(frame);
}

function readLinkStatus(nic: Nic): void {
  nic.linkUp = !nic.hasStatus || (nic.dev.config16(CONFIG_STATUS) & LINK_UP) !== 0;
}

function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":");
}
