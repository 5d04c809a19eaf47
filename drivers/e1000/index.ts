// e1000: a driver for the Intel 82540EM gigabit Ethernet card (QEMU's classic NIC, "e1000"), offered
// to other programs as the "net" service (docs/net-protocol.md), exactly as drivers/virtio-net offers
// it — so drivers/ping works with either card. The card is described in docs/e1000.md.
//
// The card is a window of 32-bit registers. Nothing is negotiated: after a reset we read the MAC
// address out of the card's EEPROM (EERD, words 0–2), give it two rings of 16-byte descriptors in our
// DMA memory, and turn the receiver and transmitter on. The card loads its receive-address filter
// (RAL0/RAH0) from the same EEPROM at reset, so frames for our MAC, and broadcasts, get through.
//
// A ring is RING_SIZE descriptors; the card owns those from its head (xDH) up to, not including, the
// tail (xDT), which only we move. Moving a tail is the doorbell.
//
// Receive: every receive descriptor points at a 2 KiB buffer of ours, big enough for any frame, and
// the card owns all of them but one (RDT = RDH - 1: a full ring and an empty one would look alike).
// For each frame it writes the buffer, then the descriptor's length and DD ("descriptor done"), and
// raises RXT0. We copy each DD descriptor's frame out, clear DD and hand the descriptor back by
// moving RDT onto it.
//
// Transmit: one frame at a time: copy it into the buffer of the descriptor at TDT, set EOP (end of
// packet) and RS (report status), move TDT past it. The card sends it, writes DD back and raises
// TXDW; SEND is answered then, when the frame is on the wire.
//
// Interrupts: reading ICR returns the causes and clears them, which also lowers the line; only then
// do we ack() the kernel (the line is level-triggered). LSC tells us the link changed.

import {
  E1000Ctrl,
  E1000Eerd,
  E1000Icr,
  E1000Rctl,
  E1000Reg,
  E1000RxStatus,
  E1000Status,
  E1000Tctl,
  E1000TxCmd,
  E1000TxStatus,
  NetError,
  NetTag,
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
  type MmioRegion,
  type Request,
} from "@zds/sdk";

const RING_SIZE = 16; // descriptors per ring: 256 bytes, a multiple of the 128 the card requires
const DESC_BYTES = 16;
const BUFFER_BYTES = 2048; // RCTL.BSIZE 00: 2048-byte receive buffers
const MTU = 1500;
/** Frames received and not yet asked for; beyond this the oldest are dropped. */
const FRAME_BACKLOG = 64;

// DMA layout: both rings in page 0, then the receive buffers, then the transmit buffers.
const RX_RING = 0;
const TX_RING = 2048;
const RX_BUFFERS = 4096;
const TX_BUFFERS = RX_BUFFERS + RING_SIZE * BUFFER_BYTES;
const DMA_BYTES = TX_BUFFERS + RING_SIZE * BUFFER_BYTES;

// Legacy descriptor fields (both formats: buffer address at 0, length at 8, status at 12).
const DESC_ADDR = 0;
const DESC_LENGTH = 8;
const TX_CMD = 11;
const DESC_STATUS = 12;

const rxDesc = (i: number): number => RX_RING + i * DESC_BYTES;
const txDesc = (i: number): number => TX_RING + i * DESC_BYTES;
const rxBuffer = (i: number): number => RX_BUFFERS + i * BUFFER_BYTES;
const txBuffer = (i: number): number => TX_BUFFERS + i * BUFFER_BYTES;

interface Nic {
  readonly regs: MmioRegion;
  readonly irq: Irq;
  readonly mem: DmaBuffer;
  readonly mac: Uint8Array;
  linkUp: boolean;
  /** The next receive descriptor the card will fill (our copy of RDH). */
  rxNext: number;
  /** Frames the card delivered that no RECEIVE has taken yet, oldest first. */
  readonly frames: Uint8Array[];
}

export default defineDriver({
  name: "e1000",
  device: { type: "e1000" },
  caps: {
    regs: mmio({ size: E1000Reg.TDT + 4 }),
    irq: irq(),
    mem: dma({ size: DMA_BYTES }),
    net: serve("net"),
  },
  main({ regs, irq, mem, net }, sys) {
    // Reset the card: every register to its power-on value, interrupts masked, both rings off.
    regs.write32(E1000Reg.CTRL, regs.read32(E1000Reg.CTRL) | E1000Ctrl.RST);
    while (regs.read32(E1000Reg.CTRL) & E1000Ctrl.RST);
    regs.write32(E1000Reg.IMC, 0xffff_ffff);
    // Link up (the PHY autonegotiates; QEMU's link is up at once).
    regs.write32(E1000Reg.CTRL, regs.read32(E1000Reg.CTRL) | E1000Ctrl.SLU);

    const nic: Nic = { regs, irq, mem, mac: readMac(regs), linkUp: false, rxNext: 0, frames: [] };
    setUpTransmit(nic);
    setUpReceive(nic);
    nic.linkUp = (regs.read32(E1000Reg.STATUS) & E1000Status.LU) !== 0;

    // Clear whatever is pending, then let the causes we handle through.
    regs.read32(E1000Reg.ICR);
    regs.write32(E1000Reg.IMS, E1000Icr.RXT0 | E1000Icr.RXO | E1000Icr.RXDMT0 | E1000Icr.TXDW | E1000Icr.LSC);

    net.ready();
    sys.debug(`e1000: ready, MAC ${formatMac(nic.mac)}, link ${nic.linkUp ? "up" : "down"}`);
    for (;;) {
      // An interrupt that came while we waited for a request: collect its frames now.
      if (irq.poll()) serviceInterrupt(nic);
      handleRequest(nic, net.receive());
    }
  },
});

/** The MAC address: EEPROM words 0, 1, 2, each low byte first. */
function readMac(regs: MmioRegion): Uint8Array {
  const mac = new Uint8Array(6);
  for (let word = 0; word < 3; word++) {
    regs.write32(E1000Reg.EERD, E1000Eerd.START | (word << E1000Eerd.ADDR_SHIFT));
    let value = regs.read32(E1000Reg.EERD);
    while ((value & E1000Eerd.DONE) === 0) value = regs.read32(E1000Reg.EERD);
    const data = value >>> E1000Eerd.DATA_SHIFT;
    mac[2 * word] = data & 0xff;
    mac[2 * word + 1] = data >>> 8;
  }
  return mac;
}

/** An empty transmit ring (TDH = TDT = 0), then the transmitter on. */
function setUpTransmit(nic: Nic): void {
  const { regs, mem } = nic;
  for (let i = 0; i < RING_SIZE; i++) mem.setU64(txDesc(i) + DESC_ADDR, mem.physAt(txBuffer(i)));
  regs.write32(E1000Reg.TDBAL, mem.physAt(TX_RING));
  regs.write32(E1000Reg.TDBAH, 0);
  regs.write32(E1000Reg.TDLEN, RING_SIZE * DESC_BYTES);
  regs.write32(E1000Reg.TDH, 0);
  regs.write32(E1000Reg.TDT, 0);
  // Pad short packets; collision threshold and distance as the manual recommends for full duplex.
  regs.write32(E1000Reg.TCTL, E1000Tctl.EN | E1000Tctl.PSP | (0x10 << E1000Tctl.CT_SHIFT) | (0x40 << E1000Tctl.COLD_SHIFT));
  regs.write32(E1000Reg.TIPG, 10 | (8 << 10) | (6 << 20));
}

/** Every receive descriptor given a buffer and to the card, then the receiver on. */
function setUpReceive(nic: Nic): void {
  const { regs, mem } = nic;
  for (let i = 0; i < RING_SIZE; i++) {
    mem.setU64(rxDesc(i) + DESC_ADDR, mem.physAt(rxBuffer(i)));
    mem.setU8(rxDesc(i) + DESC_STATUS, 0);
  }
  regs.write32(E1000Reg.RDBAL, mem.physAt(RX_RING));
  regs.write32(E1000Reg.RDBAH, 0);
  regs.write32(E1000Reg.RDLEN, RING_SIZE * DESC_BYTES);
  regs.write32(E1000Reg.RDH, 0);
  regs.write32(E1000Reg.RDT, RING_SIZE - 1);
  // Broadcasts too (ARP), 2 KiB buffers (BSIZE 00), and strip the 4-byte CRC: the net protocol's frames have none.
  regs.write32(E1000Reg.RCTL, E1000Rctl.EN | E1000Rctl.BAM | E1000Rctl.SECRC);
}

function handleRequest(nic: Nic, req: Request): void {
  const request = decodeNetRequest(req.tag, req.payload);
  switch (request.kind) {
    case "mac":
      req.reply(NetTag.MAC_ADDRESS, nic.mac);
      return;
    case "link":
      req.reply(NetTag.LINK_STATUS, netLinkStatus({ up: nic.linkUp, mtu: MTU }));
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
      // A waiting RECEIVE holds the driver until a frame comes: fine for one client at a time.
      while (request.wait && nic.frames.length === 0) waitForInterrupt(nic);
      const frame = nic.frames.shift();
      if (frame) req.reply(NetTag.FRAME, frame);
      else req.reply(NetTag.NO_FRAME);
      return;
    }
    case "refused":
      req.reply(NetTag.ERROR, netError(request.error));
  }
}

/** Put the frame in the descriptor at TDT, ring the doorbell (TDT + 1), wait until the card wrote DD. */
function transmit(nic: Nic, frame: Uint8Array): void {
  const { regs, mem } = nic;
  const i = regs.read32(E1000Reg.TDT);
  mem.write(txBuffer(i), frame);
  mem.setU16(txDesc(i) + DESC_LENGTH, frame.length);
  mem.setU8(txDesc(i) + TX_CMD, E1000TxCmd.EOP | E1000TxCmd.IFCS | E1000TxCmd.RS);
  mem.setU8(txDesc(i) + DESC_STATUS, 0);
  regs.write32(E1000Reg.TDT, (i + 1) % RING_SIZE);
  while ((mem.getU8(txDesc(i) + DESC_STATUS) & E1000TxStatus.DD) === 0) waitForInterrupt(nic);
}

/** Sleep until the card interrupts, then handle it. */
function waitForInterrupt(nic: Nic): void {
  nic.irq.wait();
  serviceInterrupt(nic);
}

/** Read ICR (which clears it and lowers the line) before acknowledging the kernel, then act on the causes. */
function serviceInterrupt(nic: Nic): void {
  const causes = nic.regs.read32(E1000Reg.ICR);
  nic.irq.ack();
  if (causes & E1000Icr.LSC) nic.linkUp = (nic.regs.read32(E1000Reg.STATUS) & E1000Status.LU) !== 0;
  if (causes & (E1000Icr.RXT0 | E1000Icr.RXO | E1000Icr.RXDMT0)) collectReceived(nic);
  // TXDW needs nothing here: transmit() watches its descriptor's DD.
}

/** Copy out every frame the card finished, and give each descriptor back to the card. */
function collectReceived(nic: Nic): void {
  const { regs, mem } = nic;
  for (;;) {
    const i = nic.rxNext;
    const status = mem.getU8(rxDesc(i) + DESC_STATUS);
    if ((status & E1000RxStatus.DD) === 0) break;
    // Our buffers hold any frame whole, so every frame is one descriptor with EOP set; the card pads
    // short frames to 60 bytes, which the net protocol passes on (clients read their own lengths).
    const length = Math.min(mem.getU16(rxDesc(i) + DESC_LENGTH), BUFFER_BYTES);
    if (status & E1000RxStatus.EOP && length >= 14) keepFrame(nic, mem.read(rxBuffer(i), length));
    mem.setU8(rxDesc(i) + DESC_STATUS, 0);
    regs.write32(E1000Reg.RDT, i);
    nic.rxNext = (i + 1) % RING_SIZE;
  }
}

function keepFrame(nic: Nic, frame: Uint8Array): void {
  // Nobody is asking for frames: keep the newest, as a card with a full ring would.
  if (nic.frames.length === FRAME_BACKLOG) nic.frames.shift();
  nic.frames.push(frame);
}

function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":");
}
