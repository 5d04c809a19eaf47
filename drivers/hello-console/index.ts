// hello-console: a client of the "console" service. It writes one line through whichever console
// driver runs (uart16550 or virtio-console; both serve "console"), so the line appears on the
// machine console through the device rather than through the kernel's debug console.

import { ConsoleTag, Reader, client, defineDriver } from "@zds/sdk";

const LINE = "hello from Zero OS through the console service\n";

export default defineDriver({
  name: "hello-console",
  caps: { console: client("console") },
  main({ console }, sys) {
    const text = new TextEncoder().encode(LINE);
    const reply = console.connect().call(ConsoleTag.WRITE, text);
    if (reply.tag !== ConsoleTag.WRITTEN || reply.payload.length !== 4 || new Reader(reply.payload).u32() !== text.length) {
      const why = reply.tag === ConsoleTag.ERROR && reply.payload.length >= 4 ? `status ${new Reader(reply.payload).u32()}` : `tag 0x${reply.tag.toString(16)}`;
      sys.debug(`hello-console: the console service refused the line: ${why}`);
      return 1;
    }
    return 0;
  },
});
