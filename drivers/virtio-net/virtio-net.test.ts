// virtio-net under faults (zds test; docs/testing.md): ping talks to the peer host through the
// driver while frames are lost or garbled on the wire, the link goes down and up, or an interrupt
// is lost.
import { expect, faults, inline, test } from "@zds/sdk/test";

const ping = { driver: ".", client: "../ping" };

test("pings the peer on a healthy wire", ping, (run) => {
  expect(run.console).toMatch(/4 packets transmitted, 4 received, 0% packet loss/);
  expect(run.client.exitCode).toBe(0);
  expect(run.violations).toEqual([]);
});

test("a dropped echo request costs that echo only", { ...ping, faults: [faults.frame("drop", { dir: "out", nth: 2 })] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toMatch(/no reply for icmp_seq=1\n/);
  expect(run.console).toMatch(/4 packets transmitted, 3 received, 25% packet loss/);
  expect(run.driver.faults).toEqual([]);
});

test("a corrupted reply is not taken for one", { ...ping, faults: [faults.frame("corrupt", { dir: "in", nth: 3 })] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toMatch(/4 packets transmitted, 3 received, 25% packet loss/);
  expect(run.driver.faults).toEqual([]);
});

// A client that watches the link: it asks LINK between waiting RECEIVEs (each gives up after the
// driver's bound on waiting) and tries a broadcast ARP while the link is down and again once it is up.
const linkWatch = inline("link-watch", `import { NetTag, Reader, Writer, client, defineDriver } from "@zds/sdk";
const WAIT = new Writer().u32(0).finish();
export default defineDriver({ name: "link-watch", caps: { net: client("net") }, main({ net }, sys) {
  const conn = net.connect();
  const mac = conn.call(NetTag.MAC).payload;
  const up = () => new Reader(conn.call(NetTag.LINK).payload).u8() === 1;
  const arp = Uint8Array.of(255, 255, 255, 255, 255, 255, ...mac, 8, 6, 0, 1, 8, 0, 6, 4, 0, 1, ...mac, 10, 0, 2, 15, 0, 0, 0, 0, 0, 0, 10, 0, 2, 2);
  const send = () => (conn.call(NetTag.SEND, arp).tag === NetTag.SENT ? "sent" : "refused");
  for (let i = 0; i < 20 && up(); i++) conn.call(NetTag.RECEIVE, WAIT);
  sys.console("link down; ARP " + send() + "\\n");
  for (let i = 0; i < 20 && !up(); i++) conn.call(NetTag.RECEIVE, WAIT);
  sys.console("link up; ARP " + send() + "\\n");
  const reply = conn.call(NetTag.RECEIVE, WAIT);
  sys.console(reply.tag === NetTag.FRAME && reply.payload[12] === 8 && reply.payload[13] === 6 ? "ARP reply\\n" : "no ARP reply\\n");
  return 0;
} });`);

test("link down and up: sends are refused while it is down, and work again after", { driver: ".", client: linkWatch, faults: [faults.linkDown({ at: "50us", for: "150ms" })] }, (run) => {
  expect(run.faults).toHaveLength(2);
  expect(run.console).toBe("link down; ARP refused\nlink up; ARP sent\nARP reply\n");
  expect(run.client.exitCode).toBe(0);
  expect(run.driver.faults).toEqual([]);
});

test("a lost interrupt is recovered by the driver's timeout", { ...ping, faults: [faults.irqLost("virtio-net0", { nth: 3 })] }, (run) => {
  expect(run.faults).toHaveLength(1);
  expect(run.console).toMatch(/4 packets transmitted, 4 received/);
  expect(run.client.exitCode).toBe(0);
  expect(run.driver.faults).toEqual([]);
});
