/** The Node implementation of the {@link FileSystem} port. */
import { readFileSync } from "node:fs";
import { access, readFile } from "node:fs/promises";
import type { FileSystem } from "../ports/index.js";
import { writeFileAtomic } from "./atomic-write.js";

/** Files through `node:fs`, writes through {@link writeFileAtomic}. */
export const nodeFileSystem: FileSystem = {
  async exists(path: string): Promise<boolean> {
    try {
      await access(path);
      return true;
    } catch {
      return false;
    }
  },
  readText(path: string): Promise<string> {
    return readFile(path, "utf8");
  },
  writeTextAtomic(path: string, text: string): Promise<void> {
    return writeFileAtomic(path, text);
  },
};

/** A file's text, or undefined when it does not exist or cannot be read. */
export function readTextIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}
