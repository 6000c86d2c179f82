import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { parseConfigText, validateConfig } from "../../src/config/index.js";
import { checkSink, generateAlerting, WATCH_CONFIG_PATH } from "../../src/fix/alerting.js";
import type { FixOptions } from "../../src/fix/types.js";
import { baseOptions, smallReport } from "./network-fixtures.js";

// The `alerting` target of `agent-audit fix` (issue 14): the watcher's config is a valid
// agent-audit.yaml (read back by our own loader, as `watch --config` will), the unit runs that
// config, the sidecar file holds exactly one Kubernetes document (the Secret), and a sink given
// with --alert-sink cannot inject lines.

function files(opts: FixOptions) {
  return Object.fromEntries(generateAlerting(smallReport(), opts).map((f) => [f.path, f]));
}

describe("fix alerting", () => {
  it("writes a watcher config our loader reads back: squid's log and the journal in, file and syslog out", () => {
    const f = files({
      ...baseOptions(),
      proxy: { url: "http://127.0.0.1:3128", host: "127.0.0.1", port: 3128 },
      alertSinks: ["webhook:https://alerts.example.test/hook"],
    });
    const cfg = f["alerting/agent-audit.yaml"]!;
    expect(cfg.install).toEqual({ dest: WATCH_CONFIG_PATH, merge: "yaml", privileged: true, mode: 0o600 });
    const { data, errors } = parseConfigText(cfg.content);
    expect(errors).toEqual([]);
    const v = validateConfig(data, { dir: "/etc/agent-audit", ruleIds: [] });
    expect(v.errors).toEqual([]);
    expect(v.config.alerting).toEqual({
      sources: ["squid:/var/log/squid/access.log", "journal"],
      sinks: [
        "file:/var/log/agent-audit/egress-alerts.jsonl",
        "syslog",
        "webhook:https://alerts.example.test/hook",
      ],
      state: "/var/lib/agent-audit/watch/state.json",
      windowSeconds: 60,
      maxAlertsPerMinute: 30,
    });
  });

  it("leaves squid's log out when the proxy is on another host", () => {
    const opts = baseOptions();
    const f = files({ ...opts, proxy: { url: "http://10.9.8.7:3128", host: "10.9.8.7", port: 3128 } });
    const v = validateConfig(parseConfigText(f["alerting/agent-audit.yaml"]!.content).data, {
      dir: "/etc/agent-audit",
      ruleIds: [],
    });
    expect(v.config.alerting?.sources).toEqual(["journal"]);
    expect(f["alerting/agent-audit.yaml"]!.content).toContain(
      "# The proxy (10.9.8.7) is not on this host: run the watcher where its log is, too.",
    );
  });

  it("runs the watcher on that config from the unit", () => {
    const unit = files({ ...baseOptions(), gateCommand: "/usr/local/bin/agent-audit" })[
      "alerting/agent-audit-watch.service"
    ]!;
    const lines = unit.content.split("\n");
    expect(lines.filter((l) => l.startsWith("ExecStart="))).toEqual([
      "ExecStart=/usr/local/bin/agent-audit watch --config /etc/agent-audit/agent-audit.yaml",
    ]);
    expect(lines).toContain("NoNewPrivileges=yes");
    expect(lines).toContain("WantedBy=multi-user.target");
  });

  it("the sidecar file holds one Kubernetes document, the Secret with the config", () => {
    const f = files(baseOptions())["alerting/kubernetes-sidecar.yaml"]!;
    // The container and volumes are comments (a snippet to paste): the one document is the Secret.
    const docs = parseAllDocuments(f.content) as unknown as { errors: unknown[]; toJS(): unknown }[];
    expect(docs.map((d) => d.errors.length)).toEqual([0]);
    const secret = docs[0]!.toJS() as { kind: string; stringData: Record<string, string> };
    expect(secret.kind).toBe("Secret");
    const v = validateConfig(parseConfigText(secret.stringData["agent-audit.yaml"]!).data, {
      dir: "/",
      ruleIds: [],
    });
    expect(v.errors).toEqual([]);
    expect(v.config.alerting?.sinks).toEqual(["stdout"]);
  });

  it("refuses a sink that could break the file or is not one", () => {
    for (const bad of [
      "webhook:https://x.test/\n  - file:/etc/passwd",
      "ftp://x",
      "file:relative",
      "slack:javascript:x",
      "",
    ]) {
      expect(() => checkSink(bad), bad).toThrow("--alert-sink: must be stdout, file:/ABSOLUTE/PATH");
    }
    expect(checkSink("syslog:udp://127.0.0.1:514")).toBe("syslog:udp://127.0.0.1:514");
  });
});
