// The e1000 (Intel 82540EM as QEMU emulates it) at register level, through the machine's MMIO bus and
// a driver's DMA memory: one test per register or register group, the legacy rings against the peer
// host on the simulated wire (ARP, ICMP echo, UDP echo), the interrupt causes, and one test per bad
// input — each a counted device error (or DMA fault) and a stopped ring, never an exception.
import assert from "node:assert/strict";
import {
  ArpOp,
  BROADCAST_MAC,
  buildArp,
  buildEthernet,
  buildIcmpEcho,
  buildIpv4,
  buildUdp,
  createMachine,
  DEFAULT_PEER,
  E1000,
  E1000Ctrl,
  E1000Icr,
  E1000Mdic,
  E1000Rctl,
  E1000Reg,
  E1000RxStatus,
  E1000Status,
  E1000Tctl,
  E1000TxCmd,
  E1000TxStatus,
  EEPROM_CHECKSUM,
  EtherType,
  IcmpType,
  IpProtocol,
  parseArp,
  parseEthernet,
  parseIcmpEcho,
  parseIp,
  parseIpv4,
  parseMachineDescription,
  parseUdp,
  type DeviceEvent,
  type DmaRegion,
} from "../../devices";

const BASE = 0x1002_0000;
const IRQ = 11;
const GUEST_IP = parseIp("10.0.2.15");
const RING = 8; // descriptors per ring: 128 bytes
const BUF = 2048;

function rig(seed = 1) {
  const machine = createMachine(
    parseMachineDescription(
      {
        name: "t",
        dma: { base: "0x40000000", size: "0x100000" },
        devices: [{ name: "nic", type: "e1000", base: BASE, size: "0x20000", irq: IRQ }],
      },
      "test",
    ),
    { seed },
  );
  const events: DeviceEvent[] = [];
  machine.onDeviceEvent((e) => events.push(e));
  const wire: { frame: Uint8Array; direction: string }[] = [];
  machine.onNetworkFrame((_d, frame, direction) => wire.push({ frame, direction }));
  // Page 0: rx ring (0x000), tx ring (0x800); then rx buffers, then tx buffers.
  const mem = machine.allocateDma(4096 + 2 * RING * BUF);
  machine.setIommuView("nic", [mem]);
  const device = machine.backend("nic", E1000);
  const rd = (offset: number) => Number(machine.mmioRead(BASE + offset, 4));
  const wr = (offset: number, value: number) => machine.mmioWrite(BASE + offset, 4, value >>> 0);
  return { machine, events, wire, mem, device, rd, wr, network: machine.network("nic") };
}
type Rig = ReturnType<typeof rig>;

const RX_RING = 0;
const TX_RING = 0x800;
const rxBuf = (r: Rig, i: number) => r.mem.phys + 4096 + i * BUF;
const txBuf = (r: Rig, i: number) => r.mem.phys + 4096 + RING * BUF + i * BUF;

function view(region: DmaRegion): DataView {
  return new DataView(region.buffer, 0, region.size);
}

/** Receive ring: every descriptor gets a buffer; the device owns all but one (RDT = RING - 1). */
function startRx(r: Rig, rctl = E1000Rctl.EN | E1000Rctl.BAM | E1000Rctl.SECRC): void {
  const v = view(r.mem);
  for (let i = 0; i < RING; i++) v.setBigUint64(RX_RING + 16 * i, BigInt(rxBuf(r, i)), true);
  r.wr(E1000Reg.RDBAL, r.mem.phys + RX_RING);
  r.wr(E1000Reg.RDBAH, 0);
  r.wr(E1000Reg.RDLEN, RING * 16);
  r.wr(E1000Reg.RDH, 0);
  r.wr(E1000Reg.RDT, RING - 1);
  r.wr(E1000Reg.RCTL, rctl);
}

function startTx(r: Rig): void {
  r.wr(E1000Reg.TDBAL, r.mem.phys + TX_RING);
  r.wr(E1000Reg.TDBAH, 0);
  r.wr(E1000Reg.TDLEN, RING * 16);
  r.wr(E1000Reg.TDH, 0);
  r.wr(E1000Reg.TDT, 0);
  r.wr(E1000Reg.TCTL, E1000Tctl.EN | E1000Tctl.PSP);
}

/** Put `frame` in transmit descriptor `index` (buffer `index`) and move TDT past it. */
function send(r: Rig, frame: Uint8Array, index = r.rd(E1000Reg.TDT), cmd = E1000TxCmd.EOP | E1000TxCmd.RS): void {
  new Uint8Array(r.mem.buffer).set(frame, txBuf(r, index) - r.mem.phys);
  setTxDesc(r, index, txBuf(r, index), frame.length, cmd);
  r.wr(E1000Reg.TDT, (index + 1) % RING);
}

function setTxDesc(r: Rig, index: number, addr: number, length: number, cmd: number): void {
  const v = view(r.mem);
  const at = TX_RING + 16 * index;
  v.setBigUint64(at, BigInt(addr), true);
  v.setUint16(at + 8, length, true);
  v.setUint8(at + 10, 0);
  v.setUint8(at + 11, cmd);
  v.setUint8(at + 12, 0);
}

function rxDesc(r: Rig, index: number): { length: number; status: number; frame: Uint8Array } {
  const v = view(r.mem);
  const at = RX_RING + 16 * index;
  const length = v.getUint16(at + 8, true);
  const off = rxBuf(r, index) - r.mem.phys;
  return { length, status: v.getUint8(at + 12), frame: new Uint8Array(r.mem.buffer.slice(off, off + length)) };
}

function settle(r: Rig): void {
  for (let due = r.machine.clock.nextEventAt(); due !== undefined; due = r.machine.clock.nextEventAt())
    r.machine.clock.advance(due - r.machine.clock.now());
}

function arpRequest(r: Rig): Uint8Array {
  const arp = buildArp({
    op: ArpOp.Request,
    senderMac: r.device.mac,
    senderIp: GUEST_IP,
    targetMac: new Uint8Array(6),
    targetIp: DEFAULT_PEER.ip,
  });
  return buildEthernet(BROADCAST_MAC, r.device.mac, EtherType.ARP, arp);
}

function echoRequest(r: Rig, seq: number): Uint8Array {
  const icmp = buildIcmpEcho({ type: IcmpType.EchoRequest, id: 0x5a44, seq, data: new TextEncoder().encode("e1000") });
  const ip = buildIpv4(GUEST_IP, DEFAULT_PEER.ip, IpProtocol.ICMP, icmp, seq);
  return buildEthernet(DEFAULT_PEER.mac, r.device.mac, EtherType.IPv4, ip);
}

const messages = (r: Rig) => r.events.map((e) => ("message" in e ? e.message : "detail" in e ? e.detail : e.kind));

describe("e1000 (register level)", () => {
  it("sits on a 128 KiB MMIO window with one IRQ line; the machine names its type", () => {
    const r = rig();
    const info = r.machine.devices.find((d) => d.name === "nic");
    assert.deepEqual(info, { name: "nic", kind: "mmio", type: "e1000", mmio: { base: BASE, size: 0x20000 }, irq: IRQ });
    assert.equal(r.device.windowBytes, 0x20000);
    assert.equal(Number(r.machine.mmioRead(BASE + 0x20000, 4)), 0xffff_ffff, "nothing decodes past the window");
  });

  it("CTRL: QEMU's reset value (SLU, 1000 Mb/s); RST resets every register and clears itself", () => {
    const r = rig();
    assert.equal(r.rd(E1000Reg.CTRL), E1000Ctrl.SLU | E1000Ctrl.SPD_1000 | E1000Ctrl.SWDPIN0 | E1000Ctrl.SWDPIN2);
    r.wr(E1000Reg.IMS, E1000Icr.RXT0);
    r.wr(E1000Reg.RDLEN, 256);
    r.wr(E1000Reg.CTRL, r.rd(E1000Reg.CTRL) | E1000Ctrl.RST);
    assert.equal(r.rd(E1000Reg.CTRL) & E1000Ctrl.RST, 0, "RST self-clears");
    assert.equal(r.rd(E1000Reg.IMS), 0);
    assert.equal(r.rd(E1000Reg.RDLEN), 0);
    assert.deepEqual(r.events, []);
  });

  it("STATUS: link up, full duplex, 1000 Mb/s; follows the cable; read-only (a write is a counted error)", () => {
    const r = rig();
    const status = r.rd(E1000Reg.STATUS);
    assert.equal(
      status & (E1000Status.LU | E1000Status.FD | E1000Status.SPEED_1000),
      E1000Status.LU | E1000Status.FD | E1000Status.SPEED_1000,
    );
    r.device.setLink(false);
    assert.equal(r.rd(E1000Reg.STATUS) & E1000Status.LU, 0);
    r.wr(E1000Reg.STATUS, 0);
    assert.equal(r.device.stats.deviceErrors, 1);
    assert.match(messages(r)[0], /read-only register STATUS/);
  });

  it("EERD: the MAC in EEPROM words 0–2, the 64 words sum to 0xBABA; a word past the EEPROM reads DONE, data 0, and is reported", () => {
    const r = rig(5);
    const word = (n: number): number => {
      r.wr(E1000Reg.EERD, 1 | (n << 8));
      const v = r.rd(E1000Reg.EERD);
      assert.ok(v & 0x10, "DONE");
      return v >>> 16;
    };
    const mac = [0, 1, 2].flatMap((n) => [word(n) & 0xff, word(n) >> 8]);
    assert.deepEqual(mac, Array.from(r.device.mac));
    assert.deepEqual(mac.slice(0, 3), [0x52, 0x54, 0x00]);
    let sum = 0;
    for (let n = 0; n < 64; n++) sum += word(n);
    assert.equal(sum & 0xffff, EEPROM_CHECKSUM);
    assert.deepEqual(r.events, []);
    assert.equal(word(0x40), 0);
    assert.equal(r.device.stats.deviceErrors, 1);
    assert.match(messages(r)[0], /EEPROM word 0x40/);
  });

  it("EECD: the EEPROM is present; RAL0/RAH0 hold the MAC at reset, Address Valid", () => {
    const r = rig(3);
    assert.ok(r.rd(E1000Reg.EECD) & 0x100);
    const low = r.rd(E1000Reg.RAL0);
    const high = r.rd(E1000Reg.RAH0);
    const mac = [low & 0xff, (low >>> 8) & 0xff, (low >>> 16) & 0xff, low >>> 24, high & 0xff, (high >>> 8) & 0xff];
    assert.deepEqual(mac, Array.from(r.device.mac));
    assert.ok(high & 0x8000_0000);
  });

  it("MDIC: the PHY at address 1 reads link up and its ids; another PHY address sets ERROR and is reported", () => {
    const r = rig();
    const phyRead = (reg: number, phy = 1) => {
      r.wr(E1000Reg.MDIC, E1000Mdic.OP_READ | (phy << 21) | (reg << 16));
      return r.rd(E1000Reg.MDIC);
    };
    const status = phyRead(1);
    assert.ok(status & E1000Mdic.READY);
    assert.equal(status & 0x4, 0x4, "PHY status: link up");
    assert.equal(phyRead(2) & 0xffff, 0x0141);
    assert.deepEqual(r.events, []);
    assert.ok(phyRead(1, 2) & E1000Mdic.ERROR);
    assert.equal(r.device.stats.deviceErrors, 1);
  });

  it("ICS/IMS/IMC/ICR: causes set by ICS, the line high only while a set cause is unmasked; ICR read clears; writing 1s clears", () => {
    const r = rig();
    r.wr(E1000Reg.ICS, E1000Icr.LSC);
    assert.equal(r.machine.irqLevel(IRQ), false, "masked");
    r.wr(E1000Reg.IMS, E1000Icr.LSC | E1000Icr.RXT0);
    assert.equal(r.rd(E1000Reg.IMS), E1000Icr.LSC | E1000Icr.RXT0);
    assert.equal(r.machine.irqLevel(IRQ), true);
    r.wr(E1000Reg.IMC, E1000Icr.LSC);
    assert.equal(r.rd(E1000Reg.IMS), E1000Icr.RXT0);
    assert.equal(r.machine.irqLevel(IRQ), false, "IMC masks it out again");
    r.wr(E1000Reg.IMS, E1000Icr.LSC);
    assert.equal(r.rd(E1000Reg.ICR), E1000Icr.LSC, "read returns the causes…");
    assert.equal(r.rd(E1000Reg.ICR), 0, "…and clears them");
    assert.equal(r.machine.irqLevel(IRQ), false);
    r.wr(E1000Reg.ICS, E1000Icr.LSC | E1000Icr.TXDW);
    r.wr(E1000Reg.ICR, E1000Icr.LSC);
    assert.equal(r.rd(E1000Reg.ICR), E1000Icr.TXDW, "a write of 1s clears those causes only");
    assert.deepEqual(r.events, []);
  });

  it("LSC: the cable going down and up raises LSC", () => {
    const r = rig();
    r.wr(E1000Reg.IMS, E1000Icr.LSC);
    r.device.setLink(false);
    assert.equal(r.machine.irqLevel(IRQ), true);
    assert.equal(r.rd(E1000Reg.ICR), E1000Icr.LSC);
    r.device.setLink(true);
    assert.equal(r.rd(E1000Reg.ICR), E1000Icr.LSC);
  });

  it("TCTL/TDBAL/TDBAH/TDLEN/TDH/TDT: an ARP request goes on the wire after TDT moves; RS gets DD, TDH catches up, TXDW and TXQE", () => {
    const r = rig();
    startRx(r);
    startTx(r);
    r.wr(E1000Reg.IMS, E1000Icr.TXDW);
    send(r, arpRequest(r));
    assert.equal(r.wire.length, 0, "not on the wire before the transmit latency");
    assert.equal(r.rd(E1000Reg.TDH), 0);
    settle(r);
    assert.equal(r.wire[0].direction, "out");
    assert.deepEqual(r.wire[0].frame, arpRequest(r));
    assert.equal(r.rd(E1000Reg.TDH), 1);
    assert.equal(view(r.mem).getUint8(TX_RING + 12) & E1000TxStatus.DD, E1000TxStatus.DD);
    const icr = r.rd(E1000Reg.ICR);
    assert.equal(icr & (E1000Icr.TXDW | E1000Icr.TXQE), E1000Icr.TXDW | E1000Icr.TXQE);
    assert.equal(r.device.stats.txFrames, 1);
    assert.deepEqual(r.events, []);
  });

  it("RCTL/RDBAL/RDBAH/RDLEN/RDH/RDT: the peer's ARP reply lands in receive descriptor 0, padded to 60 bytes, DD|EOP, RXT0, RDH moves", () => {
    const r = rig();
    startRx(r);
    startTx(r);
    r.wr(E1000Reg.IMS, E1000Icr.RXT0);
    send(r, arpRequest(r));
    settle(r);
    assert.equal(r.machine.irqLevel(IRQ), true);
    assert.ok(r.rd(E1000Reg.ICR) & E1000Icr.RXT0);
    const d = rxDesc(r, 0);
    assert.equal(d.status & (E1000RxStatus.DD | E1000RxStatus.EOP), E1000RxStatus.DD | E1000RxStatus.EOP);
    assert.equal(d.length, 60, "42 bytes of ARP reply padded to the Ethernet minimum (SECRC: no FCS)");
    const eth = parseEthernet(d.frame);
    assert.ok(eth);
    assert.deepEqual(eth.dst, r.device.mac);
    assert.equal(parseArp(eth.payload)?.op, ArpOp.Reply);
    assert.equal(r.rd(E1000Reg.RDH), 1);
    assert.equal(r.device.stats.rxFrames, 1);
  });

  it("RCTL.SECRC clear: the frame arrives with its 4-byte FCS (CRC-32) after it", () => {
    const r = rig();
    startRx(r, E1000Rctl.EN | E1000Rctl.BAM);
    startTx(r);
    send(r, arpRequest(r));
    settle(r);
    const d = rxDesc(r, 0);
    assert.equal(d.length, 64);
    // The CRC-32 residue of a frame followed by its FCS is the constant 0x2144DF1C.
    assert.equal(crc32(d.frame), 0x2144df1c);
  });

  it("ICMP echo and UDP echo through the peer host, both ways", () => {
    const r = rig();
    startRx(r);
    startTx(r);
    send(r, echoRequest(r, 1));
    settle(r);
    const ip = parseIpv4(parseEthernet(rxDesc(r, 0).frame)!.payload);
    assert.ok(!("problem" in ip));
    const echo = parseIcmpEcho(ip.payload);
    assert.ok(echo && !("problem" in echo));
    assert.equal(echo.type, IcmpType.EchoReply);
    assert.equal(echo.seq, 1);
    const udp = buildUdp(GUEST_IP, DEFAULT_PEER.ip, {
      srcPort: 4000,
      dstPort: 7,
      data: new TextEncoder().encode("hi"),
    });
    send(
      r,
      buildEthernet(
        DEFAULT_PEER.mac,
        r.device.mac,
        EtherType.IPv4,
        buildIpv4(GUEST_IP, DEFAULT_PEER.ip, IpProtocol.UDP, udp, 9),
      ),
    );
    settle(r);
    const back = parseIpv4(parseEthernet(rxDesc(r, 1).frame)!.payload);
    assert.ok(!("problem" in back));
    const datagram = parseUdp(back.payload, back.src, back.dst);
    assert.ok(!("problem" in datagram));
    assert.equal(datagram.dstPort, 4000);
    assert.equal(new TextDecoder().decode(datagram.data), "hi");
    assert.equal(r.network.peer.stats.echoReplies, 1);
    assert.equal(r.network.peer.stats.udpEchoes, 1);
    assert.deepEqual(r.events, []);
  });

  it("a packet over several descriptors (EOP on the last) is one frame; legacy checksum insertion (IC) fills CSO", () => {
    const r = rig();
    startTx(r);
    const frame = echoRequest(r, 2);
    const mem = new Uint8Array(r.mem.buffer);
    mem.set(frame.subarray(0, 20), txBuf(r, 0) - r.mem.phys);
    mem.set(frame.subarray(20), txBuf(r, 1) - r.mem.phys);
    setTxDesc(r, 0, txBuf(r, 0), 20, 0);
    setTxDesc(r, 1, txBuf(r, 1), frame.length - 20, E1000TxCmd.EOP | E1000TxCmd.RS);
    r.wr(E1000Reg.TDT, 2);
    settle(r);
    assert.deepEqual(r.wire[0].frame, frame);
    assert.equal(r.rd(E1000Reg.TDH), 2);
    // IC: CSS 34 (the ICMP header), CSO 36 (its checksum): a zeroed checksum comes back filled in.
    const broken = echoRequest(r, 3);
    broken[36] = 0;
    broken[37] = 0;
    mem.set(broken, txBuf(r, 2) - r.mem.phys);
    setTxDesc(r, 2, txBuf(r, 2), broken.length, E1000TxCmd.EOP | E1000TxCmd.IC);
    view(r.mem).setUint8(TX_RING + 32 + 10, 36);
    view(r.mem).setUint8(TX_RING + 32 + 13, 34);
    r.wr(E1000Reg.TDT, 3);
    settle(r);
    assert.deepEqual(r.wire.filter((w) => w.direction === "out")[1].frame, echoRequest(r, 3));
  });

  it("the address filter: frames for another MAC are filtered, broadcast needs BAM, UPE takes everything", () => {
    const r = rig();
    startRx(r, E1000Rctl.EN | E1000Rctl.SECRC);
    const other = buildEthernet(Uint8Array.of(2, 0, 0, 0, 0, 1), DEFAULT_PEER.mac, 0x88b5, new Uint8Array(46));
    const bcast = buildEthernet(BROADCAST_MAC, DEFAULT_PEER.mac, 0x88b5, new Uint8Array(46));
    r.network.inject(other);
    r.network.inject(bcast);
    settle(r);
    assert.equal(r.device.stats.rxFiltered, 2);
    r.wr(E1000Reg.RCTL, E1000Rctl.EN | E1000Rctl.SECRC | E1000Rctl.UPE);
    r.network.inject(other);
    settle(r);
    assert.equal(r.device.stats.rxFrames, 1);
  });

  it("RCTL.BSIZE 256: a frame spans descriptors, EOP only on the last", () => {
    const r = rig();
    startRx(r, E1000Rctl.EN | E1000Rctl.SECRC | E1000Rctl.UPE | (3 << 16));
    r.network.inject(buildEthernet(r.device.mac, DEFAULT_PEER.mac, 0x88b5, new Uint8Array(600)));
    settle(r);
    assert.deepEqual(
      [0, 1, 2].map((i) => [rxDesc(r, i).length, rxDesc(r, i).status & 3]),
      [
        [256, 1],
        [256, 1],
        [102, 3],
      ],
    );
    assert.equal(r.rd(E1000Reg.RDH), 3);
  });

  it("no receive descriptor: the frame is missed (MPC, RXO), reported once per run of misses", () => {
    const r = rig();
    startRx(r);
    r.wr(E1000Reg.RDT, 0); // RDH = RDT: the device owns none
    r.wr(E1000Reg.IMS, E1000Icr.RXO);
    const frame = buildEthernet(r.device.mac, DEFAULT_PEER.mac, 0x88b5, new Uint8Array(46));
    r.network.inject(frame);
    r.network.inject(frame);
    settle(r);
    assert.equal(r.device.stats.rxMissed, 2);
    assert.equal(r.rd(E1000Reg.MPC), 2);
    assert.equal(r.rd(E1000Reg.MPC), 0, "statistics clear when read");
    assert.ok(r.rd(E1000Reg.ICR) & E1000Icr.RXO);
    assert.equal(r.events.length, 1);
    assert.match(messages(r)[0], /no receive descriptor/);
  });

  it("RXDMT0: the device owning few descriptors after a frame (RDMTS 1/2) raises RXDMT0", () => {
    const r = rig();
    startRx(r);
    r.wr(E1000Reg.RDT, 4); // owns 4 of 8; after one frame 3 ≤ 8/2
    r.network.inject(buildEthernet(r.device.mac, DEFAULT_PEER.mac, 0x88b5, new Uint8Array(46)));
    settle(r);
    assert.equal(r.rd(E1000Reg.ICR) & (E1000Icr.RXDMT0 | E1000Icr.RXT0), E1000Icr.RXDMT0 | E1000Icr.RXT0);
  });

  it("statistics registers: GPTC/TPT/GOTCL and GPRC/TPR/GORCL count, and clear when read", () => {
    const r = rig();
    startRx(r);
    startTx(r);
    send(r, arpRequest(r));
    settle(r);
    assert.deepEqual(
      [E1000Reg.GPTC, E1000Reg.TPT, E1000Reg.GPRC, E1000Reg.TPR, E1000Reg.BPRC].map((o) => r.rd(o)),
      [1, 1, 1, 1, 0],
    );
    assert.equal(r.rd(E1000Reg.GOTCL), 42 + 4);
    assert.equal(r.rd(E1000Reg.GORCL), 60);
    assert.equal(r.rd(E1000Reg.GPTC), 0);
    r.wr(E1000Reg.GPTC, 5);
    assert.match(messages(r)[0], /statistics register GPTC/);
  });

  it("MTA: a multicast frame passes when its hash bit is set", () => {
    const r = rig();
    startRx(r);
    const group = Uint8Array.of(0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb); // mDNS
    const hash = ((group[4] | (group[5] << 8)) >>> 4) & 0xfff;
    r.network.inject(buildEthernet(group, DEFAULT_PEER.mac, 0x0800, new Uint8Array(46)));
    settle(r);
    assert.equal(r.device.stats.rxFiltered, 1);
    r.wr(E1000Reg.MTA + 4 * (hash >>> 5), 1 << (hash & 31));
    r.network.inject(buildEthernet(group, DEFAULT_PEER.mac, 0x0800, new Uint8Array(46)));
    settle(r);
    assert.equal(r.device.stats.rxFrames, 1);
  });

  it("frames arriving with the receiver off (RCTL.EN clear) are dropped and counted", () => {
    const r = rig();
    r.network.inject(buildEthernet(r.device.mac, DEFAULT_PEER.mac, 0x88b5, new Uint8Array(46)));
    settle(r);
    assert.equal(r.device.stats.rxDisabled, 1);
  });
});

describe("e1000: bad input (counted errors, stopped rings, never a throw)", () => {
  it("RDLEN not a multiple of 128: counted, the receive ring stops and drops frames until re-enabled with a good length", () => {
    const r = rig();
    startRx(r);
    r.wr(E1000Reg.RDLEN, 100);
    assert.equal(r.device.stats.deviceErrors, 1);
    assert.match(messages(r)[0], /receive ring stopped: RDLEN = 100 bytes is not a multiple of 128/);
    assert.ok(r.device.snapshot().rings[0].stopped);
    r.network.inject(buildEthernet(r.device.mac, DEFAULT_PEER.mac, 0x88b5, new Uint8Array(46)));
    settle(r);
    assert.equal(r.device.stats.rxStopped, 1);
    r.wr(E1000Reg.RCTL, 0);
    r.wr(E1000Reg.RDLEN, RING * 16);
    r.wr(E1000Reg.RCTL, E1000Rctl.EN | E1000Rctl.SECRC);
    assert.equal(r.device.snapshot().rings[0].stopped, undefined);
    r.network.inject(buildEthernet(r.device.mac, DEFAULT_PEER.mac, 0x88b5, new Uint8Array(46)));
    settle(r);
    assert.equal(r.device.stats.rxFrames, 1);
  });

  it("TDLEN not a multiple of 128: counted, the transmit ring stops and TDT moves nothing", () => {
    const r = rig();
    startTx(r);
    r.wr(E1000Reg.TDLEN, 200);
    assert.match(messages(r)[0], /transmit ring stopped: TDLEN = 200 bytes/);
    send(r, arpRequest(r));
    settle(r);
    assert.equal(r.wire.length, 0);
    assert.equal(r.device.stats.ringStops, 1);
  });

  it("RDT beyond the ring: counted, the receive ring stops", () => {
    const r = rig();
    startRx(r);
    r.wr(E1000Reg.RDT, RING);
    assert.match(messages(r)[0], /RDT = 8 is beyond the ring's last descriptor \(RDLEN 128 bytes holds 8: 0…7\)/);
    r.network.inject(buildEthernet(r.device.mac, DEFAULT_PEER.mac, 0x88b5, new Uint8Array(46)));
    settle(r);
    assert.equal(r.device.stats.rxStopped, 1);
    assert.equal(r.device.stats.rxFrames, 0);
  });

  it("RDH beyond the ring: counted, the receive ring stops", () => {
    const r = rig();
    startRx(r);
    r.wr(E1000Reg.RDH, 40);
    assert.match(messages(r)[0], /RDH = 40 is beyond/);
    assert.ok(r.device.snapshot().rings[0].stopped);
  });

  it("TDT beyond the ring: counted, the transmit ring stops, nothing is sent", () => {
    const r = rig();
    startTx(r);
    r.wr(E1000Reg.TDT, 1000);
    settle(r);
    assert.match(messages(r)[0], /TDT = 1000 is beyond/);
    assert.equal(r.wire.length, 0);
    assert.equal(r.device.stats.ringStops, 1);
  });

  it("TDH beyond the ring: counted, the transmit ring stops", () => {
    const r = rig();
    startTx(r);
    r.wr(E1000Reg.TDH, 9);
    assert.match(messages(r)[0], /TDH = 9 is beyond/);
  });

  it("a ring enabled with length 0: counted, stopped", () => {
    const r = rig();
    r.wr(E1000Reg.TCTL, E1000Tctl.EN);
    assert.match(messages(r)[0], /transmit ring stopped: TDLEN is 0/);
  });

  it("transmit descriptors outside the DMA grant: a DMA fault, the transmit ring stops", () => {
    const r = rig();
    startTx(r);
    r.wr(E1000Reg.TDBAL, 0x2000_0000);
    r.wr(E1000Reg.TDT, 1);
    settle(r);
    assert.equal(r.events[0].kind, "dma-fault");
    assert.match(messages(r)[0], /transmit descriptor 0: .*outside every DMA region.*the transmit ring stopped/);
    assert.equal(r.device.stats.dmaFaults, 1);
    assert.ok(r.device.snapshot().rings[1].stopped);
    assert.equal(r.wire.length, 0);
  });

  it("a transmit buffer outside the DMA grant: a DMA fault, nothing sent, the ring stops", () => {
    const r = rig();
    startTx(r);
    setTxDesc(r, 0, 0x7000_0000, 64, E1000TxCmd.EOP | E1000TxCmd.RS);
    r.wr(E1000Reg.TDT, 1);
    settle(r);
    assert.equal(r.events[0].kind, "dma-fault");
    assert.match(messages(r)[0], /the buffer of transmit descriptor 0/);
    assert.equal(r.wire.length, 0);
  });

  it("receive descriptors outside the DMA grant: a DMA fault when a frame arrives, the receive ring stops", () => {
    const r = rig();
    startRx(r);
    r.wr(E1000Reg.RDBAL, 0x2000_0000);
    r.network.inject(buildEthernet(r.device.mac, DEFAULT_PEER.mac, 0x88b5, new Uint8Array(46)));
    r.network.inject(buildEthernet(r.device.mac, DEFAULT_PEER.mac, 0x88b5, new Uint8Array(46)));
    settle(r);
    assert.equal(r.events.length, 1);
    assert.equal(r.events[0].kind, "dma-fault");
    assert.match(messages(r)[0], /receive descriptor 0/);
    assert.equal(r.device.stats.rxStopped, 1, "the second frame finds the ring stopped");
  });

  it("a receive buffer outside the DMA grant: a DMA fault (a write), the receive ring stops", () => {
    const r = rig();
    startRx(r);
    view(r.mem).setBigUint64(RX_RING, 0x7000_0000n, true);
    r.network.inject(buildEthernet(r.device.mac, DEFAULT_PEER.mac, 0x88b5, new Uint8Array(46)));
    settle(r);
    const fault = r.events[0];
    assert.ok(fault.kind === "dma-fault" && fault.write);
    assert.match(messages(r)[0], /the buffer of receive descriptor 0/);
  });

  it("a narrow or misaligned register access: counted, does nothing, reads 0", () => {
    const r = rig();
    assert.equal(Number(r.machine.mmioRead(BASE + E1000Reg.STATUS, 2)), 0);
    r.machine.mmioWrite(BASE + E1000Reg.IMS + 1, 1, 0xff);
    assert.equal(r.rd(E1000Reg.IMS), 0);
    assert.equal(r.device.stats.deviceErrors, 2);
    assert.match(messages(r)[0], /2-byte read at STATUS \(0x0008\): e1000 registers take aligned 32-bit accesses only/);
  });

  it("an offset where no register sits: counted, reads 0", () => {
    const r = rig();
    assert.equal(r.rd(0x0004), 0);
    assert.match(messages(r)[0], /no e1000 register sits there/);
  });

  it("a read of a write-only register (ICS, IMC): counted, reads 0", () => {
    const r = rig();
    r.wr(E1000Reg.ICS, E1000Icr.LSC);
    assert.equal(r.rd(E1000Reg.ICS), 0);
    assert.match(messages(r)[0], /write-only register ICS/);
  });

  it("an extended (DEXT) transmit descriptor: the packet is dropped and counted (offloads are not emulated); the ring goes on", () => {
    const r = rig();
    startTx(r);
    send(r, arpRequest(r), 0, E1000TxCmd.EOP | E1000TxCmd.RS | E1000TxCmd.DEXT);
    send(r, arpRequest(r), 1);
    settle(r);
    assert.equal(r.device.stats.txExtended, 1);
    assert.equal(r.wire.filter((w) => w.direction === "out").length, 1);
    assert.equal(r.rd(E1000Reg.TDH), 2);
  });

  it("runt and oversize transmit packets: dropped and counted", () => {
    const r = rig();
    startTx(r);
    send(r, new Uint8Array(10), 0);
    setTxDesc(r, 1, txBuf(r, 1), 2000, E1000TxCmd.EOP | E1000TxCmd.RS);
    r.wr(E1000Reg.TDT, 2);
    settle(r);
    assert.equal(r.device.stats.txRunt, 1);
    assert.equal(r.device.stats.txOversize, 1);
    assert.equal(r.wire.length, 0);
  });

  it("random register writes and frames never throw; what strays outside the grant is a DMA fault event", () => {
    const r = rig();
    let x = 12345;
    const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
    const offsets = [
      0, 8, 0x14, 0x20, 0xc0, 0xc8, 0xd0, 0xd8, 0x100, 0x400, 0x2800, 0x2804, 0x2808, 0x2810, 0x2818, 0x3800, 0x3804,
      0x3808, 0x3810, 0x3818,
    ];
    for (let i = 0; i < 3000; i++) {
      const off = offsets[next() % offsets.length];
      const value = next() % 4 === 0 ? next() : next() % 512;
      r.wr(off, off === 0 ? value & ~E1000Ctrl.RST : value);
      if (i % 50 === 0) r.network.inject(buildEthernet(r.device.mac, DEFAULT_PEER.mac, 0x88b5, new Uint8Array(46)));
      if (i % 100 === 0) settle(r);
    }
    settle(r);
    for (const e of r.events)
      if (e.kind === "dma-fault")
        assert.ok(
          e.address < r.mem.phys ||
            e.address >= r.mem.phys + r.mem.size ||
            e.address + e.length > r.mem.phys + r.mem.size,
        );
  });
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
