import { execFile } from "node:child_process";

// Static firewall evidence, reported as context beside the probes (the probes are the proof). Read only
// in the agent's own network namespace: `nft list ruleset`, `iptables-save`, `ip6tables-save`.

export type CommandResult =
  | { status: "ok"; stdout: string }
  | { status: "not-installed" | "not-permitted" | "failed" | "timeout" };

export type CommandRunner = (cmd: string, args: string[], timeoutMs: number) => Promise<CommandResult>;

/** Runs a command without a shell, with a timeout and a search path that includes the sbin folders. */
export const execRunner: CommandRunner = (cmd, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(
      cmd,
      args,
      {
        timeout: timeoutMs,
        maxBuffer: 4 * 1024 * 1024,
        env: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", LC_ALL: "C" },
      },
      (err, stdout, stderr) => {
        if (!err) return resolve({ status: "ok", stdout });
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        if (e.code === "ENOENT") return resolve({ status: "not-installed" });
        if (e.killed) return resolve({ status: "timeout" });
        // The tools' own messages are not printed; they only pick the status.
        if (/not permitted|permission denied|must be root|you must be root/i.test(String(stderr)))
          return resolve({ status: "not-permitted" });
        resolve({ status: "failed" });
      },
    );
  });

export interface FirewallEvidence {
  /** What each tool gave: read, or why not. */
  tools: Record<string, "read" | "not-installed" | "not-permitted" | "failed" | "timeout">;
  /** An OUTPUT hook with a drop policy (or a final unconditional drop/reject) covers IPv4; null: unknown. */
  ipv4OutputDefaultDeny: boolean | null;
  ipv6OutputDefaultDeny: boolean | null;
}

/**
 * Which families an nftables ruleset denies by default on output. A base chain on the output hook with
 * `policy drop` denies its family; an `inet` table covers both (https://wiki.nftables.org/wiki-nftables/
 * index.php/Nftables_families). Tables of family `ip` cover IPv4, `ip6` IPv6.
 */
export function nftDefaultDeny(ruleset: string): { ipv4: boolean; ipv6: boolean } {
  let family = "";
  let inOutputChain = false;
  const out = { ipv4: false, ipv6: false };
  for (const raw of ruleset.split("\n")) {
    const line = raw.trim();
    const table = /^table\s+(\S+)\s+\S+\s*\{/.exec(line);
    if (table) {
      family = table[1]!;
      inOutputChain = false;
      continue;
    }
    if (/^chain\s+\S+\s*\{/.test(line)) {
      inOutputChain = false;
      continue;
    }
    if (/\bhook\s+output\b/.test(line)) inOutputChain = true;
    const denies =
      inOutputChain && (/\bpolicy\s+drop\b/.test(line) || /^(drop|reject(\s+with\s+.+)?)$/.test(line));
    if (!denies) continue;
    if (family === "inet") {
      out.ipv4 = true;
      out.ipv6 = true;
    } else if (family === "ip") out.ipv4 = true;
    else if (family === "ip6") out.ipv6 = true;
  }
  return out;
}

/** iptables-save / ip6tables-save: `:OUTPUT DROP` in *filter, or a last OUTPUT rule that drops everything. */
export function iptablesDefaultDeny(save: string): boolean {
  let table = "";
  let policyDrop = false;
  let lastOutputRule = "";
  for (const raw of save.split("\n")) {
    const line = raw.trim();
    if (line.startsWith("*")) table = line.slice(1);
    if (table !== "filter") continue;
    if (/^:OUTPUT\s+DROP\b/.test(line)) policyDrop = true;
    if (line.startsWith("-A OUTPUT ")) lastOutputRule = line;
  }
  return policyDrop || /^-A OUTPUT -j (DROP|REJECT)\b/.test(lastOutputRule);
}

export async function collectFirewall(run: CommandRunner, timeoutMs: number): Promise<FirewallEvidence> {
  const [nft, ipt, ip6t] = await Promise.all([
    run("nft", ["list", "ruleset"], timeoutMs),
    run("iptables-save", [], timeoutMs),
    run("ip6tables-save", [], timeoutMs),
  ]);
  const ev: FirewallEvidence = {
    tools: {
      nft: nft.status === "ok" ? "read" : nft.status,
      "iptables-save": ipt.status === "ok" ? "read" : ipt.status,
      "ip6tables-save": ip6t.status === "ok" ? "read" : ip6t.status,
    },
    ipv4OutputDefaultDeny: null,
    ipv6OutputDefaultDeny: null,
  };
  const v4: boolean[] = [];
  const v6: boolean[] = [];
  if (nft.status === "ok") {
    const d = nftDefaultDeny(nft.stdout);
    v4.push(d.ipv4);
    v6.push(d.ipv6);
  }
  if (ipt.status === "ok") v4.push(iptablesDefaultDeny(ipt.stdout));
  if (ip6t.status === "ok") v6.push(iptablesDefaultDeny(ip6t.stdout));
  if (v4.length) ev.ipv4OutputDefaultDeny = v4.some(Boolean);
  if (v6.length) ev.ipv6OutputDefaultDeny = v6.some(Boolean);
  return ev;
}
