import type { AuditReport, RuleDescriptor } from "../contract/types.js";
import { renderJson } from "./json.js";
import { renderJunit } from "./junit.js";
import { renderMarkdown } from "./markdown.js";
import { renderSarif } from "./sarif.js";
import { renderTable } from "./table.js";

export interface RenderOptions {
  color: boolean;
  /** The rule catalog, as data (src/rules ruleCatalog): the SARIF rule list shows every rule of it. */
  rules?: readonly RuleDescriptor[];
}

/** Reporters are pure: report in, text out (shared/STYLE.md). Registered by name. */
export const REPORTERS: Record<string, (report: AuditReport, opts: RenderOptions) => string> = {
  table: renderTable,
  json: renderJson,
  sarif: renderSarif,
  junit: renderJunit,
  markdown: renderMarkdown,
};

export function reporterNames(): string[] {
  return Object.keys(REPORTERS);
}
