// The machine picture the extension's Machine and Processes views draw: taken from a real run at a
// known moment (a client's CALL), with registers decoded from side-effect-free device snapshots.
import assert from "node:assert/strict";
import { createMachine, loadMachineDescription } from "../../../devices";
import { Sys } from "../../../kernel/abi/syscalls";
import { snapshotMachine, type MachineSnapshot } from "../../../kernel/debug/machine-snapshot";
import { Session } from "../../../kernel/session";
import { sample } from "../../helpers/run-session";

/** Run the programs; snapshot the machine before, at each CALL `client` makes, and at the end. */
async function snapshotAtCall(
  programs: string[],
  client: string,
): Promise<{ atCall: MachineSnapshot; calls: MachineSnapshot[]; atEnd: MachineSnapshot; before: MachineSnapshot }> {
  const description = loadMachineDescription("virt");
  const machine = createMachine(description, { seed: 1 });
  const session = new Session({
    machine,
    machineName: description.name,
    seed: 1,
    timeoutSeconds: 30,
    output: { console: () => undefined, debug: () => undefined, fault: () => undefined },
  });
  const calls: MachineSnapshot[] = [];
  session.kernel.debugHooks = {
    beforeSyscall: (proc, request) => {
      if (proc.name === client && request.num === Sys.CALL)
        calls.push(snapshotMachine(description.name, session.kernel, machine));
      return false;
    },
  };
  for (const bundle of await Session.bundle(programs)) session.spawn(bundle);
  const before = snapshotMachine(description.name, session.kernel, machine);
  await session.run();
  const atEnd = snapshotMachine(description.name, session.kernel, machine);
  machine.close();
  // The last CALL is the request to the driver (the first ones look the service up, maybe before the driver is up).
  const atCall = calls[calls.length - 1];
  assert.ok(atCall, `${client} made no CALL`);
  return { atCall, calls, atEnd, before };
}

const value = (items: { name: string; value: string }[], name: string): string => {
  const found = items.find((i) => i.name === name);
  assert.ok(found, `no ${name} in ${items.map((i) => i.name).join(", ")}`);
  return found.value;
};

describe("kernel/debug: machine snapshot for the views", function () {
  this.timeout(60_000);

  it("UART: addresses, IRQ, the bound driver and its decoded registers; processes with capabilities and endpoints", async () => {
    const { atCall, atEnd, before } = await snapshotAtCall(
      [sample("uart16550"), sample("hello-console")],
      "hello-console",
    );
    assert.equal(before.processes.length, 2);
    assert.ok(before.processes.every((p) => p.state === "starting" || p.state === "ready"));

    const uart = atCall.devices.find((d) => d.name === "uart0")!;
    assert.equal(uart.address, "ports 0x3f8–0x3ff");
    assert.equal(uart.irq, 4);
    const driver = atCall.processes.find((p) => p.name === "uart16550")!;
    assert.deepEqual(uart.boundTo, [driver.pid]);
    assert.match(value(uart.registers, "LSR"), /THRE TEMT/);
    assert.match(value(uart.registers, "MCR"), /OUT2/);
    assert.equal(value(uart.registers, "divisor"), "1 (115200 baud)");
    assert.equal(value(uart.registers, "LCR"), "0x3 (8 data bits)");

    assert.equal(driver.device, "uart0");
    assert.ok(
      driver.capabilities.some((c) => /^IoPort .*ports 0x3f8–0x3fd/.test(c.value)),
      JSON.stringify(driver.capabilities),
    );
    assert.ok(driver.capabilities.some((c) => /^Irq .*IRQ 4 → endpoint/.test(c.value)));
    assert.ok(driver.endpoints.length > 0);
    assert.ok(atCall.devices.find((d) => d.name === "virtio-rng0")!.address.startsWith("MMIO 0x1000"));

    assert.ok(atEnd.processes.every((p) => p.state === "exited" && p.exitCode === 0));
    assert.deepEqual(
      atEnd.processes.map((p) => p.capabilities.length),
      [0, 0],
      "a process that has ended holds no capabilities",
    );
    assert.equal(atEnd.faults, 0);
  });

  it("ATA and virtio: the task file and the transport registers, decoded", async () => {
    const ata = await snapshotAtCall([sample("ata-pio"), sample("blk-check")], "blk-check");
    const disk = ata.atCall.devices.find((d) => d.name === "ata0")!;
    assert.equal(disk.irq, 14);
    assert.match(value(disk.registers, "Status"), /^0x[0-9a-f]+ \((BSY|DRDY|[A-Z ]+)\)$/);
    // Between commands the drive is ready and idle, at some CALL of the client.
    const idle = ata.calls
      .map((s) => s.devices.find((d) => d.name === "ata0")!)
      .find((d) => value(d.registers, "phase") === "idle" && /DRDY/.test(value(d.registers, "Status")));
    assert.ok(idle, "the drive was never seen ready and idle");

    const rng = await snapshotAtCall([sample("virtio-rng"), sample("rng-cat")], "rng-cat");
    const dev = rng.atCall.devices.find((d) => d.name === "virtio-rng0")!;
    assert.match(value(dev.registers, "Status"), /DRIVER_OK/);
    assert.match(value(dev.registers, "queues"), /^1$/);
  });

  it("NVMe: the controller's registers and queues, decoded, in the Machine view", async () => {
    const nvme = await snapshotAtCall([sample("nvme"), sample("blk-check")], "blk-check");
    const ctl = nvme.atCall.devices.find((d) => d.name === "nvme0")!;
    assert.equal(ctl.irq, 10);
    assert.equal(ctl.address, "MMIO 0x10010000+0x2000");
    assert.match(value(ctl.registers, "CSTS"), /^0x1 \(RDY\)$/);
    assert.match(value(ctl.registers, "CC"), /^0x460001 \(EN/);
    assert.equal(value(ctl.registers, "submission queues"), "2");
    assert.equal(value(ctl.registers, "completion queues"), "2");
  });

  it("virtio-net: the card's counters and the peer host, under the device's network item", async () => {
    const { atEnd } = await snapshotAtCall([sample("virtio-net"), sample("ping")], "ping");
    const nic = atEnd.devices.find((d) => d.name === "virtio-net0")!;
    assert.match(
      value(nic.registers, "network"),
      /^52:54:00(:[0-9a-f]{2}){3}, link up: 5 sent, 5 received, 0 dropped$/,
    );
    const children = nic.registers.find((i) => i.name === "network")!.children ?? [];
    assert.equal(value(children, "dropped"), "none");
    assert.match(
      value(children, "peer"),
      /^10\.0\.2\.2 \(52:54:00:12:35:02\): 1 ARP, 4 echo, 0 UDP replies, 0 frames ignored$/,
    );
    assert.equal(
      atEnd.devices.find((d) => d.name === "virtio-rng0")!.registers.some((i) => i.name === "network"),
      false,
    );
  });

  it("e1000: its registers decoded, both rings, the counters and the peer host", async () => {
    const { atCall, atEnd } = await snapshotAtCall([sample("e1000"), sample("ping")], "ping");
    const live = atCall.devices.find((d) => d.name === "e1000-0")!;
    assert.match(value(live.registers, "STATUS"), /LU/);
    // The driver hands every receive descriptor straight back: the card owns all but the one at RDT.
    const rx = /^16 descriptors at 0x[0-9a-f]+, RDH (\d+), RDT (\d+), the card owns 15; enabled$/.exec(
      value(live.registers, "receive ring"),
    );
    assert.ok(rx, value(live.registers, "receive ring"));
    assert.equal((Number(rx[1]) + 15) % 16, Number(rx[2]));
    assert.match(value(live.registers, "transmit ring"), /the card owns 0; enabled$/);
    // After the run the driver is gone and its card reset; the counters stay.
    const after = atEnd.devices.find((d) => d.name === "e1000-0")!;
    assert.match(value(after.registers, "receive ring"), /; off$/);
    assert.match(
      value(after.registers, "network"),
      /^52:54:00(:[0-9a-f]{2}){3}, link up: 5 sent, 5 received, 0 dropped$/,
    );
  });
});
