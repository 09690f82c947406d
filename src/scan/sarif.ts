/**
 * The scan as SARIF 2.1.0 (pure), the format code-scanning services read: one run, one rule per
 * scan rule, one result per finding at its module file. An accepted finding carries an external
 * suppression with the config's reason, so it is shown as dismissed rather than lost.
 */
import type { AllowedFinding, ScanRule, ScanSeverity } from "./index.js";
import { RULE_SUMMARIES, SCAN_RULES } from "./index.js";

const LEVEL: Record<ScanSeverity, "error" | "warning" | "note"> = {
  error: "error",
  warning: "warning",
  info: "note",
};

export function toSarif(findings: readonly AllowedFinding[], version: string): object {
  const rules = SCAN_RULES.map((id: ScanRule) => ({
    id,
    name: id,
    shortDescription: { text: RULE_SUMMARIES[id] },
  }));
  return {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: { driver: { name: "setup-mac", version, rules } },
        results: findings.map((f) => ({
          ruleId: f.rule,
          ruleIndex: SCAN_RULES.indexOf(f.rule),
          level: LEVEL[f.severity],
          message: {
            text: `${f.program} on ${f.host}: \`${f.where}\` ${f.message}. Fix: ${f.fix}.`,
          },
          locations: [
            {
              physicalLocation: { artifactLocation: { uri: f.module, uriBaseId: "%SRCROOT%" } },
              logicalLocations: [
                { name: f.where, fullyQualifiedName: `${f.host}/${f.program}/${f.where}` },
              ],
            },
          ],
          // Stable across runs, so a service can tell a new finding from a known one.
          partialFingerprints: {
            "setupMacFinding/v1": `${f.rule}|${f.host}|${f.program}|${f.where}`,
          },
          ...(f.allowed
            ? { suppressions: [{ kind: "external", status: "accepted", justification: f.allowed }] }
            : {}),
        })),
      },
    ],
  };
}
