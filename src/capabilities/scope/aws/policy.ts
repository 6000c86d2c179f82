import type { PolicyDocument, Statement } from "./types.js";

// IAM policy documents as data: normalising what IAM, the CLI or a file holds (a string, URL-encoded
// or not; a Statement object or array; string-or-array fields) into one shape, and matching action
// patterns. https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements.html
// Policy text is never quoted in an error: a document can embed anything.

/** Longest policy text read (IAM's largest, a role's inline policies, is 10,240; files can be bigger). */
export const MAX_POLICY_CHARS = 131_072;
/** Most statements in one document; more is not a real policy. */
const MAX_STATEMENTS = 1_000;
/** Longest action name or pattern compared (IAM's longest actions are under 100 characters). */
const MAX_ACTION_CHARS = 256;

export class PolicyShapeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PolicyShapeError";
  }
}

/**
 * A policy document from what IAM returns (`%7B...`, URL-encoded JSON), what the CLI prints (a
 * JSON object) or plain JSON text. Throws a PolicyShapeError naming what is wrong, never the text.
 */
export function parsePolicy(raw: unknown): PolicyDocument {
  let value = raw;
  if (typeof value === "string") {
    if (value.length > MAX_POLICY_CHARS)
      throw new PolicyShapeError(`the document is longer than ${MAX_POLICY_CHARS} characters`);
    let text = value.trim();
    if (text.startsWith("%")) {
      try {
        text = decodeURIComponent(text);
      } catch {
        throw new PolicyShapeError("the document's URL encoding is malformed");
      }
    }
    try {
      value = JSON.parse(text);
    } catch {
      throw new PolicyShapeError("the document is not valid JSON");
    }
  }
  if (!isObject(value)) throw new PolicyShapeError("the document is not a JSON object");
  if (value.Version !== undefined && typeof value.Version !== "string")
    throw new PolicyShapeError("Version is not a string");
  const st = value.Statement;
  const list = Array.isArray(st) ? st : isObject(st) ? [st] : undefined;
  if (!list) throw new PolicyShapeError("the document has no Statement");
  if (list.length > MAX_STATEMENTS) throw new PolicyShapeError(`over ${MAX_STATEMENTS} statements`);
  const statements = list.map((s, i) => statement(s, i));
  return typeof value.Version === "string"
    ? { Version: value.Version, Statement: statements }
    : { Statement: statements };
}

function statement(s: unknown, i: number): Statement {
  if (!isObject(s)) throw new PolicyShapeError(`statement ${i + 1} is not an object`);
  const effect = s.Effect;
  if (effect !== "Allow" && effect !== "Deny")
    throw new PolicyShapeError(`statement ${i + 1}: Effect is not Allow or Deny`);
  const out: Statement = { Effect: effect };
  if (s.Sid !== undefined) {
    if (typeof s.Sid !== "string") throw new PolicyShapeError(`statement ${i + 1}: Sid is not a string`);
    out.Sid = s.Sid;
  }
  for (const key of ["Action", "NotAction", "Resource", "NotResource"] as const) {
    if (s[key] === undefined) continue;
    const v = stringList(s[key]);
    if (!v) throw new PolicyShapeError(`statement ${i + 1}: ${key} is not a string or a list of strings`);
    out[key] = v;
  }
  if (s.Condition !== undefined) {
    if (!isObject(s.Condition)) throw new PolicyShapeError(`statement ${i + 1}: Condition is not an object`);
    out.Condition = s.Condition;
  }
  if (!out.Action && !out.NotAction) throw new PolicyShapeError(`statement ${i + 1}: no Action or NotAction`);
  if (s.Principal !== undefined) out.Principal = s.Principal;
  if (s.NotPrincipal !== undefined) out.NotPrincipal = s.NotPrincipal;
  return out;
}

function stringList(v: unknown): string[] | undefined {
  if (typeof v === "string") return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** The document as IAM stores it, without whitespace (what its size limits count). */
export function policyJson(doc: PolicyDocument): string {
  return JSON.stringify(doc);
}

/**
 * Whether an IAM pattern (`*` any run, `?` one character; case-insensitive, as IAM compares action
 * names) matches a name. Iterative, with one backtrack point per star: O(len(p) * len(s)) at
 * worst, on inputs capped at MAX_ACTION_CHARS.
 */
export function globMatch(pattern: string, name: string): boolean {
  if (pattern.length > MAX_ACTION_CHARS || name.length > MAX_ACTION_CHARS) return false;
  const p = pattern.toLowerCase();
  const s = name.toLowerCase();
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    if (pi < p.length && (p[pi] === "?" || (p[pi] === s[si] && p[pi] !== "*"))) {
      pi++;
      si++;
    } else if (pi < p.length && p[pi] === "*") {
      star = pi++;
      mark = si;
    } else if (star !== -1) {
      pi = star + 1;
      si = ++mark;
    } else return false;
  }
  while (pi < p.length && p[pi] === "*") pi++;
  return pi === p.length;
}

/**
 * Whether pattern `outer` covers every action `inner` can name (inner's wildcards read as
 * literals: `s3:Get*` covers `s3:GetObject*`). An approximation that errs towards "no", which makes
 * a plan keep more, never less.
 */
export function covers(outer: string, inner: string): boolean {
  if (outer === "*") return true;
  if (!inner.includes("*") && !inner.includes("?")) return globMatch(outer, inner);
  // A wildcard in inner must be met by a star in outer at or before it.
  if (!globMatch(outer, inner)) return false;
  const oi = outer.indexOf("*");
  const ii = inner.search(/[*?]/);
  return oi !== -1 && oi <= ii;
}

/** The service prefix of an action (`s3` of `s3:GetObject`), lower-case; `*` for `*`. */
export function serviceOf(action: string): string {
  const i = action.indexOf(":");
  return i === -1 ? action.toLowerCase() : action.slice(0, i).toLowerCase();
}

/** The action name after the prefix (`GetObject`), or `*`. */
export function actionName(action: string): string {
  const i = action.indexOf(":");
  return i === -1 ? "*" : action.slice(i + 1);
}

export function hasWildcard(action: string): boolean {
  return action.includes("*") || action.includes("?");
}

/** A pattern with each run of `*` made one (`***` and `*` match the same names). Linear. */
export function collapseStars(p: string): string {
  let out = "";
  for (let i = 0; i < p.length; i++) if (!(p[i] === "*" && out.endsWith("*"))) out += p[i];
  return out;
}

/**
 * Whether a grant pattern can name `name`, for the broad-grant checks: like globMatch on the
 * collapsed pattern, but a pattern still over the length cap counts as matching (a check must not
 * miss a grant because it is long).
 */
export function broadMatch(pattern: string, name: string): boolean {
  const p = collapseStars(pattern);
  return p.length > MAX_ACTION_CHARS || globMatch(p, name);
}

/** Whether an action pattern names every action of every service (`*`, `*:*`, `**`, `?*`, ...). */
export function isAnyAction(pattern: string): boolean {
  return ["a:a", "ec2:RunInstances", "iam:CreateUser", "x-y:Zz9"].every((n) => broadMatch(pattern, n));
}

/** Whether a resource pattern names every resource (`*`, `arn:*`, `arn:aws:*:*:*:*`, `**`). */
export function isAnyResource(pattern: string): boolean {
  const p = collapseStars(pattern);
  return p === "*" || /^arn:(\*|[a-z-]+)(:\*)*(:\*?)?$/.test(p) || /^arn(:\*)+$/.test(p);
}

/** Whether a statement applies to every resource (`Resource` naming every ARN, or any NotResource). */
export function onAllResources(s: Statement): boolean {
  return s.NotResource !== undefined || (s.Resource ?? []).some(isAnyResource);
}
