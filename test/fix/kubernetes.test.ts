import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { Ajv } from "ajv";
import formats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { generateKubernetes } from "../../src/fix/kubernetes.js";
import type { FixOptions } from "../../src/fix/types.js";
import { baseOptions, smallReport } from "./network-fixtures.js";

// The Kubernetes target of `agent-audit fix` (issue 12): the NetworkPolicy validates against the
// Kubernetes schema (standalone-strict: a misspelled key fails; test/schemas/kubernetes/README.md),
// and the CiliumNetworkPolicy has the shape Cilium's toFQDNs needs (no schema of Cilium's CRD is
// kept here: its shape is asserted exactly, and its name fields against Cilium's own character rules).

const SCHEMA = resolve("test/schemas/kubernetes/networkpolicy-networking-v1.json");

function validator() {
  const ajv = new Ajv({ strict: false, allErrors: true });
  // ajv-formats is CommonJS: its plugin is the module itself (and its `default`).
  const addFormats = (formats as unknown as { default?: typeof formats }).default ?? formats;
  (addFormats as unknown as (a: Ajv) => void)(ajv);
  return ajv.compile(JSON.parse(readFileSync(SCHEMA, "utf8")));
}
const validate = validator();

function schemaErrors(value: unknown): string[] {
  return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}

/** The one YAML document of a generated file, as a plain object (the comments above it dropped). */
function manifest(opts: FixOptions, path: string): Record<string, unknown> {
  const file = generateKubernetes(smallReport(), opts).find((f) => f.path === path);
  if (!file) throw new Error(`no ${path}`);
  const docs = parseAllDocuments(file.content);
  if (!Array.isArray(docs) || docs.length !== 1) throw new Error(`${path}: expected one YAML document`);
  const doc = docs[0]!;
  expect(doc.errors).toEqual([]);
  return doc.toJS() as Record<string, unknown>;
}

const NP = "kubernetes/networkpolicy.yaml";
const CNP = "kubernetes/cilium-networkpolicy.yaml";

const DNS_RULE = {
  to: [
    {
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
      podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
    },
  ],
  ports: [
    { protocol: "UDP", port: 53 },
    { protocol: "TCP", port: 53 },
  ],
};

const VARIANTS: [string, FixOptions][] = [
  ["an IPv4 proxy", baseOptions()],
  [
    "an IPv6 proxy",
    baseOptions({ proxy: { url: "http://[fd00:aa:1::1]:3128", host: "fd00:aa:1::1", port: 3128 } }),
  ],
  [
    "a loopback proxy",
    baseOptions({ proxy: { url: "http://127.0.0.1:3128", host: "127.0.0.1", port: 3128 } }),
  ],
  [
    "a proxy given by name",
    baseOptions({ proxy: { url: "http://p.internal:3128", host: "p.internal", port: 3128 } }),
  ],
  ["no pod labels", baseOptions({ kubernetes: { namespace: "agents", podLabels: {} } })],
  [
    "prefixed pod labels",
    baseOptions({ kubernetes: { namespace: "ai", podLabels: { "example.com/role": "agent", tier: "" } } }),
  ],
  [
    "a proxy on localhost",
    baseOptions({ proxy: { url: "http://localhost:3128", host: "localhost", port: 3128 } }),
  ],
];

describe("kubernetes: the NetworkPolicy", () => {
  for (const [name, opts] of VARIANTS) {
    it(`${name}: validates against the Kubernetes schema`, () => {
      expect(schemaErrors(manifest(opts, NP))).toEqual([]);
    });
  }

  it("the schema check can fail: a misspelled key and a port of the wrong type are refused", () => {
    const doc = manifest(baseOptions(), NP) as { spec: Record<string, unknown> };
    const { policyTypes, ...rest } = doc.spec;
    expect(schemaErrors({ ...doc, spec: { ...rest, polcyTypes: policyTypes } })).toEqual([
      "/spec must NOT have additional properties",
    ]);
    expect(
      schemaErrors({ ...doc, spec: { ...doc.spec, egress: [{ ports: [{ protocol: "TCP", port: true }] }] } })
        .length,
    ).toBeGreaterThan(0);
  });

  it("an IPv4 proxy: egress only to kube-dns (UDP and TCP 53) and to the proxy's /32", () => {
    expect(manifest(baseOptions(), NP)).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: {
        name: "agent-audit-egress",
        namespace: "agents",
        labels: { "app.kubernetes.io/managed-by": "agent-audit" },
      },
      spec: {
        podSelector: { matchLabels: { app: "coding-agent" } },
        policyTypes: ["Egress"],
        egress: [
          DNS_RULE,
          { to: [{ ipBlock: { cidr: "10.200.1.1/32" } }], ports: [{ protocol: "TCP", port: 3128 }] },
        ],
      },
    });
  });

  it("an IPv6 proxy gets a /128; a loopback or named proxy gets no rule (only DNS), with the reason", () => {
    const spec = (o: FixOptions) => (manifest(o, NP) as { spec: { egress: unknown[] } }).spec.egress;
    expect(spec(VARIANTS[1]![1])).toEqual([
      DNS_RULE,
      { to: [{ ipBlock: { cidr: "fd00:aa:1::1/128" } }], ports: [{ protocol: "TCP", port: 3128 }] },
    ]);
    expect(spec(VARIANTS[2]![1])).toEqual([DNS_RULE]);
    expect(spec(VARIANTS[3]![1])).toEqual([DNS_RULE]);
    expect(spec(VARIANTS[6]![1])).toEqual([DNS_RULE]);
    const text = (o: FixOptions) => generateKubernetes(smallReport(), o).find((f) => f.path === NP)!.content;
    expect(text(VARIANTS[2]![1])).toContain("# The proxy is on the pod's loopback (127.0.0.1, a sidecar)");
    expect(text(VARIANTS[6]![1])).toContain("# The proxy is on the pod's loopback (localhost, a sidecar)");
    expect(text(VARIANTS[3]![1])).toContain(
      "# The proxy host p.internal is a name: NetworkPolicy cannot select a name",
    );
  });

  it("no pod labels: every pod of the namespace is selected", () => {
    expect((manifest(VARIANTS[4]![1], NP) as { spec: { podSelector: unknown } }).spec.podSelector).toEqual(
      {},
    );
    expect(
      (manifest(VARIANTS[4]![1], CNP) as { spec: { endpointSelector: unknown } }).spec.endpointSelector,
    ).toEqual({});
  });

  const refusals: [string, FixOptions["kubernetes"], string][] = [
    [
      "a namespace with upper case",
      { namespace: "Agents", podLabels: {} },
      'kubernetes namespace: "Agents" is not a namespace name (RFC 1123 label)',
    ],
    [
      "a namespace with a newline",
      { namespace: "a\nb", podLabels: {} },
      'kubernetes namespace: "a\\nb" is not a namespace name (RFC 1123 label)',
    ],
    [
      "a label key with a space",
      { namespace: "agents", podLabels: { "a b": "x" } },
      'kubernetes pod label: "a b" is not a label key',
    ],
    [
      "a label value with a colon",
      { namespace: "agents", podLabels: { app: "a: b" } },
      'kubernetes pod label app: "a: b" is not a label value',
    ],
  ];
  for (const [name, k, message] of refusals) {
    it(`refuses ${name}`, () => {
      expect(() => generateKubernetes(smallReport(), baseOptions({ kubernetes: k }))).toThrow(message);
    });
  }
});

describe("kubernetes: the CiliumNetworkPolicy", () => {
  it("toFQDNs lists the allowlist on 443 (a name with subdomains twice), beside the DNS rule toFQDNs needs", () => {
    expect(manifest(baseOptions(), CNP)).toEqual({
      apiVersion: "cilium.io/v2",
      kind: "CiliumNetworkPolicy",
      metadata: {
        name: "agent-audit-egress-fqdn",
        namespace: "agents",
        labels: { "app.kubernetes.io/managed-by": "agent-audit" },
      },
      spec: {
        endpointSelector: { matchLabels: { app: "coding-agent" } },
        egress: [
          {
            toEndpoints: [
              {
                matchLabels: { "k8s:io.kubernetes.pod.namespace": "kube-system", "k8s:k8s-app": "kube-dns" },
              },
            ],
            toPorts: [{ ports: [{ port: "53", protocol: "ANY" }], rules: { dns: [{ matchPattern: "*" }] } }],
          },
          {
            toFQDNs: [
              { matchName: "api.example.com" },
              { matchName: "github.com" },
              { matchPattern: "*.github.com" },
            ],
            toPorts: [{ ports: [{ port: "443", protocol: "TCP" }] }],
          },
        ],
      },
    });
  });

  for (const [name, opts] of VARIANTS) {
    it(`${name}: each selector is one of Cilium's and within its character rules`, () => {
      const doc = manifest(opts, CNP) as {
        spec: { egress: { toFQDNs?: Record<string, string>[]; toPorts: { ports: { port: unknown }[] }[] }[] };
      };
      for (const rule of doc.spec.egress) {
        for (const p of rule.toPorts.flatMap((t) => t.ports)) expect(typeof p.port).toBe("string");
        for (const sel of rule.toFQDNs ?? []) {
          expect(Object.keys(sel).length).toBe(1);
          // cilium pkg/policy/api/fqdn.go: allowedMatchNameChars, allowedPatternChars.
          if ("matchName" in sel) expect(sel.matchName).toMatch(/^[-a-zA-Z0-9_.]+$/);
          else expect(sel.matchPattern).toMatch(/^[-a-zA-Z0-9_.*]+$/);
        }
      }
    });
  }
});
