/** eza, a modern `ls`: contributes abbreviations to fish rather than owning any file. */
import { bin, defineProgram, z } from "setup-mac";

export default defineProgram({
  name: "eza",
  description: "Modern ls with git status and icons",
  homepage: "https://eza.rocks",
  options: z.object({
    icons: z.boolean().default(false).describe("Show file-type icons (needs a Nerd Font)"),
    git: z.boolean().default(true).describe("Show git status in long listings"),
    groupDirectoriesFirst: z.boolean().default(true).describe("List directories before files"),
  }),
  config: () => ({
    packages: ["eza"],
    health: [{ command: [bin("eza"), "--version"] }],
  }),
  contributes: {
    fish: ({ options }) => {
      const flags = [
        ...(options.icons ? ["--icons=auto"] : []),
        ...(options.groupDirectoriesFirst ? ["--group-directories-first"] : []),
      ];
      const long = [...flags, "--long", ...(options.git ? ["--git"] : [])];
      const cmd = (args: string[]) => ["eza", ...args].join(" ");
      return {
        abbreviations: {
          ls: cmd(flags),
          ll: cmd(long),
          la: cmd([...long, "--all"]),
          lt: cmd([...flags, "--tree", "--level=2"]),
        },
      };
    },
  },
});
