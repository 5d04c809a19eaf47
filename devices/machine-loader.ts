// Finding a machine description: a bundled machine by name, or a JSON file the user wrote. The
// bundled ones are imported as modules rather than read from disk so that they travel inside the
// esbuild bundle and work the same from source and from dist/.

import { readFileSync } from "node:fs";
import { parseMachineDescription, MachineDescriptionError, type MachineDescription } from "./machine-description";
import virt from "./machines/virt.json";

const bundled: Readonly<Record<string, unknown>> = { virt };

export const defaultMachineName = "virt";

export function bundledMachineNames(): string[] {
  return Object.keys(bundled);
}

/** The raw JSON of a bundled machine, e.g. to show or to copy as a starting point. */
export function bundledMachineJson(name: string): unknown {
  return Object.prototype.hasOwnProperty.call(bundled, name) ? structuredClone(bundled[name]) : undefined;
}

/** "virt" (or another bundled name) or a path to a JSON file. Throws MachineDescriptionError. */
export function loadMachineDescription(pathOrName: string): MachineDescription {
  if (Object.prototype.hasOwnProperty.call(bundled, pathOrName)) {
    return parseMachineDescription(bundled[pathOrName], `bundled machine ${pathOrName}`);
  }
  let text: string;
  try {
    text = readFileSync(pathOrName, "utf8");
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new MachineDescriptionError(pathOrName, [
      `cannot read the machine description (${reason}); bundled machines: ${bundledMachineNames().join(", ")}`,
    ]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MachineDescriptionError(pathOrName, [
      `not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    ]);
  }
  return parseMachineDescription(json, pathOrName);
}
