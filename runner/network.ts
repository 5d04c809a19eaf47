// What `zds run` shows of the machine's network: `--pcap FILE` (every frame on every network
// device's wire, both directions) and the per-device counters for the summary.

import fs from "node:fs";
import {
  formatIp,
  formatMac,
  pcapFileHeader,
  pcapRecord,
  VirtioNet,
  type Machine,
  type PeerStats,
  type VirtioNetStats,
} from "../devices";
import { CliError } from "./io";

export interface NetworkSummary extends VirtioNetStats {
  device: string;
  mac: string;
  link: boolean;
  peer: PeerStats & { ip: string };
}

function networkDevices(machine: Machine): string[] {
  return machine.devices.filter((d) => d.kind === "virtio-mmio" && d.virtioId === 1).map((d) => d.name);
}

/** Start writing a capture of every network device's wire to `file`; returns the function that closes it. */
export function startCapture(machine: Machine, file: string): () => void {
  if (networkDevices(machine).length === 0)
    throw new CliError(
      `--pcap ${file}: machine ${machine.description.name} has no network device to capture (add a "virtio-net" device to its description)`,
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
  return networkDevices(machine).map((device) => {
    const nic = machine.backend(device, VirtioNet);
    const peer = machine.network(device).peer;
    return {
      device,
      mac: formatMac(nic.mac),
      link: nic.link,
      ...nic.stats,
      peer: { ip: formatIp(peer.config.ip), ...peer.stats },
    };
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

const DROP_COUNTERS = [
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

function dropped(n: NetworkSummary): string[] {
  return DROP_COUNTERS.filter((key) => n[key] > 0).map((key) => `${n[key]} ${key}`);
}
