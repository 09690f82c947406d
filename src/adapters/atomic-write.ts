import writeFileAtomicLib from "write-file-atomic";

/** Writes a file atomically (temp file, fsync, rename): readers see the old or the new bytes. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  await writeFileAtomicLib(path, data, { fsync: true });
}
