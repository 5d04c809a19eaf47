// The Zero Driver activity-bar views (Machine, Processes) and the machine state in the status bar,
// all drawn from the MachineMonitor's snapshot. Tree nodes are plain data built from the snapshot;
// ids are stable paths so expanded nodes stay expanded as the machine changes.

import * as vscode from "vscode";
import type { InspectItem } from "../kernel/debug/runtime";
import type { DeviceView, MachineSnapshot, ProcessView } from "../kernel/debug/machine-snapshot";
import type { MachineMonitor } from "./machine-monitor";

export interface ViewNode {
  id: string;
  label: string;
  description?: string;
  tooltip?: string;
  icon?: string;
  children?: ViewNode[];
  /** Clicking opens this place of a driver's source (a fault's line). */
  location?: { file: string; line: number; column: number };
}

export const MACHINE_VIEW = "zeroDriver.machine";
export const PROCESSES_VIEW = "zeroDriver.processes";

class SnapshotTree implements vscode.TreeDataProvider<ViewNode> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly monitor: MachineMonitor,
    private readonly build: (s: MachineSnapshot) => ViewNode[],
  ) {
    monitor.onDidChange(() => this.changed.fire());
  }

  getChildren(node?: ViewNode): ViewNode[] {
    if (node) return node.children ?? [];
    const snapshot = this.monitor.snapshot;
    return snapshot ? this.build(snapshot) : [];
  }

  getTreeItem(node: ViewNode): vscode.TreeItem {
    const item = new vscode.TreeItem(
      node.label,
      node.children?.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None,
    );
    item.id = node.id;
    item.description = node.description;
    item.tooltip = node.tooltip ?? (node.description ? `${node.label}: ${node.description}` : node.label);
    if (node.icon) item.iconPath = new vscode.ThemeIcon(node.icon);
    if (node.location) {
      const at = new vscode.Position(Math.max(0, node.location.line - 1), Math.max(0, node.location.column - 1));
      item.command = {
        command: "vscode.open",
        title: "Open the driver's line",
        arguments: [vscode.Uri.file(node.location.file), { selection: new vscode.Range(at, at) }],
      };
    }
    return item;
  }
}

/** A process's last fault: its kind, code and driver line; the report's lines (frames, fix) under
 *  it; a click opens the line. */
function faultNode(id: string, p: ProcessView): ViewNode {
  const report = p.faultReport ?? [];
  return {
    id: `${id}/fault`,
    label: "fault",
    description: p.fault,
    tooltip: report.length ? report.join("\n") : p.fault,
    icon: "error",
    ...(p.faultSource && { location: p.faultSource }),
    ...(report.length > 1 && {
      children: report.map((line, i) => ({ id: `${id}/fault/${i}`, label: line.trim() })),
    }),
  };
}

function items(prefix: string, list: InspectItem[]): ViewNode[] {
  return list.map((item, i) => ({
    id: `${prefix}/${i}:${item.name}`,
    label: item.name,
    description: item.value,
    ...(item.children?.length ? { children: items(`${prefix}/${i}`, item.children) } : {}),
  }));
}

export function deviceNodes(s: MachineSnapshot): ViewNode[] {
  return s.devices.map((d: DeviceView) => {
    const id = `device/${d.name}`;
    const irq = d.irq === undefined ? "no IRQ" : `IRQ ${d.irq}${d.irqRaised ? " (raised)" : ""}`;
    return {
      id,
      label: d.name,
      description: `${d.kind} · ${d.address} · ${irq}`,
      icon: d.boundTo.length ? "circuit-board" : "debug-disconnect",
      children: [
        { id: `${id}/address`, label: "address", description: d.address },
        { id: `${id}/irq`, label: "IRQ", description: irq },
        {
          id: `${id}/driver`,
          label: "driver",
          description: d.boundTo.length
            ? d.boundTo
                .map((pid) => `pid ${pid} ${s.processes.find((p) => p.pid === pid)?.name ?? ""}`.trim())
                .join(", ")
            : "none bound",
        },
        ...(d.registers.length
          ? [
              {
                id: `${id}/registers`,
                label: "registers",
                description: `${d.registers.length}`,
                children: items(`${id}/registers`, d.registers),
              },
            ]
          : []),
      ],
    };
  });
}

const STATE_ICON: Record<string, string> = {
  running: "play",
  ready: "circle-outline",
  blocked: "watch",
  starting: "loading~spin",
  exited: "pass",
  faulted: "error",
};

export function processNodes(s: MachineSnapshot): ViewNode[] {
  return s.processes.map((p: ProcessView) => {
    const id = `process/${p.pid}`;
    const state = p.state === "exited" ? `exited ${p.exitCode ?? ""}`.trim() : p.state;
    const queued = p.endpoints.length;
    return {
      id,
      label: `${p.name} (pid ${p.pid})`,
      description: `${state}${p.device ? ` · ${p.device}` : ""} · ${p.syscalls} syscalls`,
      icon: STATE_ICON[p.state] ?? "circle-outline",
      children: [
        { id: `${id}/state`, label: "state", description: state },
        ...(p.fault ? [faultNode(id, p)] : []),
        {
          id: `${id}/caps`,
          label: "capabilities",
          description: `${p.capabilities.length}`,
          ...(p.capabilities.length ? { children: items(`${id}/caps`, p.capabilities) } : {}),
        },
        {
          id: `${id}/endpoints`,
          label: "endpoint queues",
          description: `${queued}`,
          ...(queued ? { children: items(`${id}/endpoints`, p.endpoints) } : {}),
        },
      ],
    };
  });
}

export interface MachineViews {
  machine: vscode.TreeDataProvider<ViewNode>;
  processes: vscode.TreeDataProvider<ViewNode>;
  statusBar: vscode.StatusBarItem;
}

export function registerViews(
  context: vscode.ExtensionContext,
  monitor: MachineMonitor,
  untrustedMessage: string,
): MachineViews {
  const machine = new SnapshotTree(monitor, deviceNodes);
  const processes = new SnapshotTree(monitor, processNodes);
  const machineView = vscode.window.createTreeView(MACHINE_VIEW, { treeDataProvider: machine, showCollapseAll: true });
  const processView = vscode.window.createTreeView(PROCESSES_VIEW, {
    treeDataProvider: processes,
    showCollapseAll: true,
  });
  const statusBar = vscode.window.createStatusBarItem("zeroDriver.machineState", vscode.StatusBarAlignment.Left, 10);
  statusBar.name = "Zero Driver Machine";
  statusBar.command = `${MACHINE_VIEW}.focus`;
  const update = (): void => {
    const s = monitor.snapshot;
    const state = monitor.state;
    if (!s || !state) {
      showRestricted();
      return;
    }
    statusBar.command = `${MACHINE_VIEW}.focus`;
    const faults = s.faults + s.violations;
    const text = state === "ended" ? `ended (${monitor.outcome})` : state;
    statusBar.text = `${state === "paused" ? "$(debug-pause)" : state === "ended" ? "$(circle-slash)" : "$(vm-running)"} ${s.machine}: ${text}${faults ? ` · $(error) ${faults} fault${faults === 1 ? "" : "s"}` : ""}`;
    statusBar.tooltip = `Zero Driver machine "${s.machine}" (${monitor.current?.origin === "debug" ? "debug session" : "run"}): ${text}, ${(s.virtualTimeNs / 1e6).toFixed(3)} ms virtual time, ${s.processes.length} processes, ${faults} faults and violations. Click to show the Machine view.`;
    statusBar.backgroundColor = faults ? new vscode.ThemeColor("statusBarItem.errorBackground") : undefined;
    statusBar.show();
    const description = `${s.machine} · ${text}`;
    machineView.description = description;
    processView.description = description;
  };
  // In Restricted Mode no machine can run: the status bar says so and why, until trust is granted.
  const showRestricted = (): void => {
    if (vscode.workspace.isTrusted) {
      statusBar.hide();
      return;
    }
    statusBar.text = "$(workspace-untrusted) Zero Driver: checks only";
    statusBar.tooltip = untrustedMessage;
    statusBar.command = "workbench.trust.manage";
    statusBar.backgroundColor = undefined;
    statusBar.show();
  };
  showRestricted();
  context.subscriptions.push(
    machineView,
    processView,
    statusBar,
    monitor.onDidChange(update),
    vscode.workspace.onDidGrantWorkspaceTrust(update),
  );
  return { machine, processes, statusBar };
}
