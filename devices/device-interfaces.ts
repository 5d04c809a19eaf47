// What the machine asks of the devices it holds, whatever their bus or type. machine.ts dispatches
// through these interfaces, never by a device's class.

/** A device the machine resets: what happens when the driver bound to it dies (the kernel asks
 *  through `MachineHandle.resetDevice`). The IOMMU view belongs to the binding, not to the device. */
export interface ResettableDevice {
  /** Power-on reset. */
  reset(): void;
}

/** A device that takes outside input: the keystrokes typed into the machine console. */
export interface ConsoleInputDevice {
  /** Outside input (keystrokes), in order; what does not fit the device's input limit is dropped and counted. */
  input(bytes: Uint8Array): void;
}
