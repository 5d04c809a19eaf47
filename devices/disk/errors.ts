// A disk image the machine cannot use: missing, unreadable, not a whole number of sectors. The
// message names the file, because the user typed that path and must be able to fix it.

export class DiskImageError extends Error {
  constructor(
    /** The image path as given, or the blank disk's label. */
    readonly image: string,
    readonly reason: string,
  ) {
    super(`disk image ${image}: ${reason}`);
    this.name = "DiskImageError";
  }
}
