// Names of message tags for the timeline's labels and filters, from the one table in kernel/abi.

import { BlkTag, ConsoleTag, isIrqTag, NetTag, RngTag, Tag } from "../kernel/abi";

const names = new Map<number, string>();
const add = (prefix: string, table: Record<string, number>) => {
  for (const [name, value] of Object.entries(table)) if (!names.has(value)) names.set(value, prefix + name);
};
add("", Tag);
add("RNG_", RngTag);
add("BLK_", BlkTag);
add("CONSOLE_", ConsoleTag);
add("NET_", NetTag);

/** "BLK_READ" for 0x6102, "IRQ 3" for 0x0103, "0x7000" for a tag nobody named. */
export function tagName(tag: number): string {
  if (isIrqTag(tag)) return `IRQ ${tag & 0xff}`;
  return names.get(tag) ?? `0x${tag.toString(16).padStart(4, "0")}`;
}
