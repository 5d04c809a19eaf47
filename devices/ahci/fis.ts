// The FISes the disk sends the HBA, which the HBA copies into the received FIS area (SATA 3.x §10.3,
// AHCI 1.3.1 §4.2.1): built here as bytes, posted by ahci.ts.

import { AtaStatus, FisType } from "./ahci-spec";

/** D2H register FIS: the task file after a command; I = 1 asks for PxIS.DHRS. */
export function d2hFis(status: number, error: number, interrupt: boolean): Uint8Array {
  const fis = new Uint8Array(20);
  fis[0] = FisType.RegD2h;
  fis[1] = interrupt ? 0x40 : 0;
  fis[2] = status;
  fis[3] = error;
  return fis;
}

/** The D2H FIS a disk sends after reset: LBA low and sector count 1, LBA mid/high 0 — the ATA
 *  signature PxSIG shows (0x00000101). No interrupt. */
export function signatureFis(tfd: number): Uint8Array {
  const fis = d2hFis(tfd & 0xff, tfd >> 8, false);
  fis[4] = 1;
  fis[12] = 1;
  return fis;
}

/** PIO setup FIS before PIO data-in (IDENTIFY): D = 1 (to the host), I = 1, the transfer count, and
 *  E_Status, the status once the data has moved. */
export function pioSetupFis(bytes: number): Uint8Array {
  const fis = new Uint8Array(20);
  fis[0] = FisType.PioSetup;
  fis[1] = 0x60;
  fis[2] = AtaStatus.Drdy | AtaStatus.Dsc | AtaStatus.Drq;
  fis[15] = AtaStatus.Drdy | AtaStatus.Dsc;
  fis[16] = bytes & 0xff;
  fis[17] = bytes >> 8;
  return fis;
}

/** Set Device Bits FIS: NCQ tags done (`done`, the SActive bits it clears), status and error; I = 1. */
export function setDeviceBitsFis(status: number, error: number, done: number): Uint8Array {
  const fis = new Uint8Array(8);
  fis[0] = FisType.SetDeviceBits;
  fis[1] = 0x40;
  fis[2] = status & 0x77;
  fis[3] = error;
  new DataView(fis.buffer).setUint32(4, done >>> 0, true);
  return fis;
}
