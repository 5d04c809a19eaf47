// rng-cat: a client of the "rng" service, and the smallest complete program in the samples. It
// touches no hardware, so its manifest binds no device and asks for one capability: the right to
// look up and call "rng". It prints 32 random bytes as hex on the machine console.

import { RngTag, Reader, Writer, client, defineDriver, describeError } from "@zds/sdk";

const COUNT = 32;

export default defineDriver({
  name: "rng-cat",
  caps: { rng: client("rng") },
  main({ rng }, sys) {
    // connect() waits inside Init until the rng driver has registered, so start order does not matter.
    const reply = rng.connect().call(RngTag.GET_BYTES, new Writer().u32(COUNT).finish());

    if (reply.tag === RngTag.ERROR) {
      const why = reply.payload.length >= 4 ? describeError(new Reader(reply.payload).u32()) : "no error code";
      sys.console(`rng-cat: the rng service refused: ${why}\n`);
      return 1;
    }
    if (reply.tag !== RngTag.BYTES || reply.payload.length !== COUNT) {
      sys.console(`rng-cat: unexpected reply (tag 0x${reply.tag.toString(16)}, ${reply.payload.length} bytes)\n`);
      return 1;
    }
    sys.console(`rng-cat: ${COUNT} random bytes: ${toHex(reply.payload)}\n`);
    return 0;
  },
});

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
