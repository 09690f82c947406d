/** Times in names (snapshots, kept-aside files): `20261125T225107Z`, sortable and free of `:`. */
export function compactUtc(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}
