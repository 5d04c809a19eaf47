/** A launch that cannot start; the message names the attribute and how to fix it. */
export class LaunchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LaunchError";
  }
}
