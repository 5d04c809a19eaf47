// VirtioError: the device is missing, refused what the driver asked, or broke the ring protocol.

export class VirtioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "VirtioError";
  }
}
