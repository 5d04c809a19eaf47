// What `zds run` shows of the machine's network: `--pcap FILE` (every frame on every network
// device's wire, both directions) and the per-device counters for the summary.

import fs from "node:fs";
import {
  E1000,
  formatIp,
  formatMac,
  pcapFileHeader,
  pcapRecord,
  VirtioNet,
  type Machine,
  type E1000Stats,
  type PeerStats,
  type VirtioNetStats,
} from "../devices";
import { CliError } from "./io";

interface NicSummary {
  device: string;
  mac: string;
  link: boolean;
  peer: PeerStats & { ip: string };
}

/** One network card's counters: virtio-net's or the e1000's (`type` says which). */
export type NetworkSummary =
  (NicSummary & { type: "virtio-net" } & VirtioNetStats) | (NicSummary & { type: "e1000" } & E1000Stats);

function networkDevices(machine: Machine): string[] {
  return machine.devices
    .filter((d) => (d.kind === "virtio-mmio" && d.virtioId === 1) || d.type === "e1000")
    .map((d) => d.name);
}

/** Start writing a capture of every network device's wire to `file`; returns the function that closes it. */
export function startCapture(machine: Machine, file: string): () => void {
  if (networkDevices(machine).length === 0)
    throw new CliError(
      `--pcap ${file}: machine ${machine.description.name} has no network device to capture (add a "virtio-net" or "e1000" device to its description)`,
    );
  let fd: number;
  try {
    fd = fs.openSync(file, "w");
    fs.writeSync(fd, pcapFileHeader());
  } catch (error) {
    throw new CliError(
      `--pcap ${file}: cannot write the capture file (${error instanceof Error ? error.message : String(error)}); give a path in a writable folder`,
    );
  }
  machine.onNetworkFrame((_device, frame, _direction, atNs) => fs.writeSync(fd, pcapRecord(frame, atNs)));
  return () => fs.closeSync(fd);
}

export function networkSummary(machine: Machine): NetworkSummary[] {
  return networkDevices(machine).map((device): NetworkSummary => {
    const peerHost = machine.network(device).peer;
    const peer = { ip: formatIp(peerHost.config.ip), ...peerHost.stats };
    const info = machine.devices.find((d) => d.name === device);
    if (info?.type === "e1000") {
      const nic = machine.backend(device, E1000);
      return { device, type: "e1000", mac: formatMac(nic.mac), link: nic.link, ...nic.stats, peer };
    }
    const nic = machine.backend(device, VirtioNet);
    return { device, type: "virtio-net", mac: formatMac(nic.mac), link: nic.link, ...nic.stats, peer };
  });
}

/** One line per network device that saw traffic, for the text summary. */
export function formatNetworkSummary(network: readonly NetworkSummary[]): string[] {
  return network
    .filter((n) => n.txFrames + n.rxFrames + n.peer.framesSeen > 0 || dropped(n).length > 0)
    .map((n) => {
      const drops = dropped(n);
      const peer = `peer ${n.peer.ip}: ${n.peer.arpReplies} ARP, ${n.peer.echoReplies} echo, ${n.peer.udpEchoes} UDP replies`;
      return `   ${n.device} ${n.mac}: ${n.txFrames} frames sent, ${n.rxFrames} received; ${drops.length > 0 ? `dropped ${drops.join(", ")}` : "nothing dropped"}; ${peer}`;
    });
}

const VIRTIO_DROP_COUNTERS = [
  "txOversize",
  "txRunt",
  "txNoHeader",
  "txBadHeader",
  "txWrongDirection",
  "txLinkDown",
  "rxNoBuffer",
  "rxNotReady",
  "rxLinkDown",
  "rxTooSmall",
  "rxOversize",
  "rxBadBuffer",
] as const;

const E1000_DROP_COUNTERS = [
  "txOversize",
  "txRunt",
  "txExtended",
  "txLinkDown",
  "rxMissed",
  "rxDisabled",
  "rxStopped",
  "rxLinkDown",
  "rxOversize",
] as const;

function dropped(n: NetworkSummary): string[] {
  const counts: [string, number][] =
    n.type === "e1000"
      ? E1000_DROP_COUNTERS.map((key) => [key, n[key]])
      : VIRTIO_DROP_COUNTERS.map((key) => [key, n[key]]);
  return counts.filter(([, count]) => count > 0).map(([key, count]) => `${count} ${key}`);
}
