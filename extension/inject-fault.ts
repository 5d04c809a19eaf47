// Zero Driver: Inject Fault… (docs/faults.md): pick a kind of fault, complete its spec (target and
// keys), and choose "now" (the kernel's next input point) or "at the next event"; the active
// zero-driver debug session carries it out with the custom DAP request zeroDriver/injectFault, and the
// trace records it so a replay meets it at the same place. Arguments skip the pickers (for tests).

import * as vscode from "vscode";
import { CustomRequest } from "../debug-adapter/session";
import { FAULT_KINDS, FaultSpecError, parseFaultSpec } from "../kernel/faults/spec";

/** What a kind needs after its name, as a starting point for the spec. */
const TEMPLATES: Partial<Record<keyof typeof FAULT_KINDS, string>> = {
  "io-error": "io-error,sector=0",
  "completion-delay": "completion-delay,request=1,by=5ms",
  "completion-drop": "completion-drop,request=1",
  "irq-lost": "irq-lost@DEVICE",
  "irq-duplicate": "irq-duplicate@DEVICE",
  "irq-spurious": "irq-spurious@DEVICE,after=0",
  "needs-reset": "needs-reset@DEVICE,after=0",
  "link-down": "link-down,after=0,for=10ms",
  "link-up": "link-up,after=0",
  "uart-framing": "uart-framing,after=0",
  "uart-overrun": "uart-overrun,after=0",
  "dma-revoke": "dma-revoke@DRIVER,after=0",
  kill: "kill@DRIVER,after=0",
};

export async function injectFaultCommand(spec?: string, when?: "now" | "next-event"): Promise<boolean> {
  const session = vscode.debug.activeDebugSession;
  if (session?.type !== "zero-driver") {
    void vscode.window.showInformationMessage(
      "Inject Fault works in a Zero Driver debug session: start one with F5, then inject.",
    );
    return false;
  }
  let text = spec;
  if (text === undefined) {
    const kind = await vscode.window.showQuickPick(
      Object.entries(FAULT_KINDS).map(([label, k]) => ({ label, detail: k.help })),
      { title: "Inject Fault: which fault?", placeHolder: "docs/faults.md has every kind and key" },
    );
    if (!kind) return false;
    text = await vscode.window.showInputBox({
      title: "Inject Fault: the spec",
      prompt:
        "KIND[@TARGET][,key=value…]: the target is a device (virtio-blk0, uart0…) or, for kill and dma-revoke, a driver",
      value: TEMPLATES[kind.label as keyof typeof FAULT_KINDS] ?? kind.label,
      validateInput: (v) => {
        try {
          parseFaultSpec(v);
          return undefined;
        } catch (error) {
          return error instanceof FaultSpecError ? error.message : String(error);
        }
      },
    });
    if (text === undefined) return false;
  }
  let at = when;
  if (at === undefined) {
    const pick = await vscode.window.showQuickPick(
      [
        { label: "Now", detail: "at the kernel's next input point", when: "now" as const },
        {
          label: "At the next event",
          detail: "once the next syscall or message has happened",
          when: "next-event" as const,
        },
      ],
      { title: `Inject ${text}: when?` },
    );
    if (!pick) return false;
    at = pick.when;
  }
  try {
    await session.customRequest(CustomRequest.injectFault, { spec: text, when: at });
    return true;
  } catch (error) {
    void vscode.window.showErrorMessage(`Inject Fault: ${error instanceof Error ? error.message : String(error)}`);
    return false;
  }
}
