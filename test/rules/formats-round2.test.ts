import { afterAll, describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { cli } from "../helpers/cli.js";
import { inventory } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 15, newer token formats: Cloudflare's scannable cfut_/cfat_/cfk_ tokens, Shopify's longer
// tokens, Grafana Cloud glc_ tokens with a short body, Docker dckr_pat_, Databricks dapi with a
// suffix and upper-case hex, Linear lin_api_, Vercel's prefixed tokens, OCI keys and config
// passphrases in content, and Service Bus / Event Hubs shared access keys and signatures.
// Every value below is a fake built for this test (most start with "FakeAgentAudit"): format-valid,
// never issued by any provider.

const V = {
  cfut: "cfut_FakeAgentAuditoXzTYqyrEmyVyFunA6b4wjRkmh843c7202",
  cfat: "cfat_FakeAgentAudit10QEBsfRRDaTEKlT4q14fBRFHC61e68a50",
  cfk: "cfk_FakeAgentAuditCfIpC3TTm5T09t7SoJ9lsSovdna3dfd065",
  shpca: "shpca_FakeAgentAuditp1ri2IXMdcgRgmLovE",
  shpss: "shpss_FakeAgentAuditJMiRKfjLIx7Y1BWVKv",
  shppa: "shppa_FakeAgentAuditQOLXypEzU7xYgy2kGKmtqIX9Rr",
  // base64 of {"o":"42","n":"fake","k":"FakeAgentAudit9q"}: a short org id and name.
  glc: "glc_eyJvIjoiNDIiLCJuIjoiZmFrZSIsImsiOiJGYWtlQWdlbnRBdWRpdDlxIn0=",
  dckr: "dckr_pat_FakekBwW4D50NlwDNzgW8I_PZJS",
  dapi: "dapiAE9196EFF2EEC2DAF24D51141FFAAC8C-2",
  lin: "lin_api_FakeAgentAudittb3b0rfTg58tRy3BbouU6Wb2IH",
  vcp: "vcp_FakeAgentAuditrZtFsnqv3NjJVQCcq4caHNZBeyTKAgjgEBSHdOa70k",
  sbKey: "jzq6bnG76jzNUvSrhHsLo3Fj2kjHihYrredyr/EOxC5=",
  sbSig: "%2Fr1qYvKKjtDkaSTqYW0zHr6Cy7lIBgLwSLpr%2BOBYYWy%3D",
  ociPass: "Fk0ci-Pq7xZw9m-Lt4vR8",
};

// A PEM body of fake bytes (not a key), 7 lines of 64 base64 characters.
const PEM_BODY = Array.from({ length: 7 }, (_, i) =>
  Buffer.from(`FakeAgentAudit OCI API signing key line ${i} ${"q8Zr2v9Lp".repeat(3)}`)
    .toString("base64")
    .slice(0, 64),
).join("\n");
const OCI_KEY = `-----BEGIN PRIVATE KEY-----\n${PEM_BODY}\n-----END PRIVATE KEY-----\nOCI_API_KEY\n`;

const FILES: Record<string, string> = {
  "scripts/deploy.sh": [
    "#!/bin/sh",
    `export CLOUDFLARE_API_TOKEN=${V.cfut}`,
    `curl -sS -H "X-Auth-Email: ops@example.org" -H "X-Auth-Key: ${V.cfk}" https://api.cloudflare.com/client/v4/zones`,
    `wrangler_account_token=${V.cfat}`,
    "",
  ].join("\n"),
  "config/shopify.yml": [
    "shopify:",
    `  admin_token: ${V.shpca}`,
    `  api_secret: "${V.shpss}"`,
    `  legacy_private_app: ${V.shppa}`,
    "",
  ].join("\n"),
  "observability/loki.yaml": [
    "loki:",
    "  basic_auth:",
    "    username: 744587",
    `    password: ${V.glc}`,
    "",
  ].join("\n"),
  "ci/pipeline.yml": ["env:", `  DOCKERHUB_TOKEN: ${V.dckr}`, `  DATABRICKS_TOKEN: "${V.dapi}"`, ""].join(
    "\n",
  ),
  "tools/agents.json": ["{", `  "linear": "${V.lin}",`, `  "vercel": "${V.vcp}"`, "}", ""].join("\n"),
  "src/appsettings.json": [
    "{",
    `  "ServiceBus": "Endpoint=sb://agent-ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=${V.sbKey}",`,
    `  "EventHubSas": "SharedAccessSignature sr=https%3A%2F%2Fagent-ns.servicebus.windows.net%2Fevents&sig=${V.sbSig}&se=1767225600&skn=send"`,
    "}",
    "",
  ].join("\n"),
  "deploy/oci/config": [
    "[DEFAULT]",
    "user=ocid1.user.oc1..aaaaaaaafakeagentaudit",
    "fingerprint=20:3b:97:13:55:1c:5b:0d:d3:37:d8:50:4e:c5:3a:34",
    "key_file=~/.oci/oci_api_key.pem",
    `pass_phrase=${V.ociPass}`,
    "tenancy=ocid1.tenancy.oc1..aaaaaaaafakeagentaudit",
    "region=us-ashburn-1",
    "",
  ].join("\n"),
  // An OCI API key as Oracle recommends writing it: PEM, then a line OCI_API_KEY.
  "deploy/oci/oci_api_key.txt": OCI_KEY,
  // The same key inside a JSON string (Terraform variables, a CI secret dump).
  "deploy/oci/tfvars.json": `${JSON.stringify({ private_key: OCI_KEY })}\n`,
};

const tree = tempTree(FILES);
const home = tempTree({});
afterAll(() => {
  tree.cleanup();
  home.cleanup();
});

describe("newer token formats through the real inventory (issue 15)", () => {
  it("reports each planted value once, with its rule, severity, file and line", async () => {
    const res = await inventory({ sources: ["tree"], root: tree.dir });
    const rows = res.findings
      .map((f) => `${f.location.path}:${f.location.line} ${f.ruleId} ${f.severity}`)
      .sort();
    expect(rows).toEqual([
      "ci/pipeline.yml:2 docker-hub-token high",
      "ci/pipeline.yml:3 databricks-token critical",
      "config/shopify.yml:2 shopify-token critical",
      "config/shopify.yml:3 shopify-token critical",
      "config/shopify.yml:4 shopify-token critical",
      "deploy/oci/config:5 oci-config-pass-phrase high",
      "deploy/oci/oci_api_key.txt:1 private-key critical",
      "deploy/oci/tfvars.json:1 private-key critical",
      "observability/loki.yaml:4 grafana-cloud-token high",
      "scripts/deploy.sh:2 cloudflare-scannable-api-token high",
      "scripts/deploy.sh:3 cloudflare-scannable-global-api-key critical",
      "scripts/deploy.sh:4 cloudflare-scannable-api-token high",
      "src/appsettings.json:2 azure-service-bus-shared-access-key critical",
      "src/appsettings.json:3 azure-service-bus-sas-token high",
      "tools/agents.json:2 linear-api-key high",
      "tools/agents.json:3 vercel-token high",
    ]);
    // The secret each finding stands for is the planted value (its preview and length), not a part of it.
    const byPath = new Map(res.findings.map((f) => [`${f.location.path}:${f.location.line}`, f]));
    const expectSecret = (where: string, value: string) =>
      expect(byPath.get(where)?.secret?.preview).toBe(`${value.slice(0, 4)}…(${value.length})`);
    expectSecret("scripts/deploy.sh:2", V.cfut);
    expectSecret("scripts/deploy.sh:3", V.cfk);
    expectSecret("ci/pipeline.yml:3", V.dapi);
    expectSecret("src/appsettings.json:2", V.sbKey);
    expectSecret("src/appsettings.json:3", V.sbSig);
    expectSecret("deploy/oci/config:5", V.ociPass);
    expectSecret("observability/loki.yaml:4", V.glc);
  });

  it("never prints a planted value, in any format", async () => {
    const values = [...Object.values(V), PEM_BODY.split("\n")[3]!];
    // Every 8-character window past the 4 characters a preview may show, but the shared FakeAgentAudit
    // marker's own windows ("agentAuditFingerprint" is a SARIF key).
    const windows = values
      .flatMap((v) => Array.from({ length: v.length - 11 }, (_, i) => v.slice(i + 4, i + 12)))
      .filter((w) => !"FakeAgentAudit".includes(w));
    for (const format of ["json", "table", "sarif", "markdown"]) {
      const r = await cli([
        "scan",
        "--sources",
        "tree",
        "--root",
        tree.dir,
        "--home",
        home.dir,
        "--format",
        format,
      ]);
      expect(r.code, `${format}: ${r.stderr}`).toBe(1);
      expect(r.stdout.length).toBeGreaterThan(100);
      const out = r.stdout + r.stderr;
      const leaked = windows.filter((w) => out.includes(w));
      expect(
        leaked.map((w) => `${format}: ${out.slice(Math.max(0, out.indexOf(w) - 40), out.indexOf(w) + 20)}`),
      ).toEqual([]);
    }
  });
});

// Must-not-match cases, through the scanner with every issue-15 format rule: placeholders, too
// short, too long, wrong character set, the prefix inside a longer word, documentation templates.
describe("newer token formats: what is not a token (issue 15)", () => {
  const rules = defaultRules();
  const ids = [
    "cloudflare-scannable-api-token",
    "cloudflare-scannable-global-api-key",
    "shopify-token",
    "grafana-cloud-token",
    "docker-hub-token",
    "databricks-token",
    "linear-api-key",
    "vercel-token",
    "azure-service-bus-shared-access-key",
    "azure-service-bus-sas-token",
    "oci-config-pass-phrase",
    "private-key",
  ];
  const formatRules = rules.content.filter((r) => ids.includes(r.id));
  const scanner = new ContentScanner(rules);

  it("covers every rule it names", () => {
    expect(formatRules.map((r) => r.id).sort()).toEqual([...ids].sort());
  });

  const decoys: [string, string][] = [
    ["cloudflare template", "CLOUDFLARE_API_TOKEN=cfut_<token>"],
    ["cloudflare too short", "cfat_tooshort"],
    ["cloudflare prefix inside a word", `x${V.cfat}`],
    ["cloudflare too long", `${V.cfat}Z`],
    ["cloudflare checksum not hex", `${V.cfk.slice(0, -2)}G5`],
    ["cloudflare old cf_ prefix", `cf_${V.cfut.slice(5)}`],
    ["cloudflare filler", "cfut_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"],
    ["shopify too short", "shpat_short"],
    ["shopify prefix inside a word", `my${V.shpca}`],
    ["shopify low entropy", "shpat_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"],
    ["shopify too long", `${V.shppa}${V.shppa.slice(6)}`],
    ["shopify wrong charset", "shpat_FakeAgentAudit+rVygsEMX2TnpyDP9HZYRf3q"],
    ["grafana filler", `glc_${"x".repeat(68)}`],
    ["grafana not JSON", `glc_${"1".repeat(42)}=`],
    ["grafana identifier", "static void GLC_CreateLightmapTextureArray(void);"],
    ["grafana too short", "glc_eyJvIjoiNDIifQ=="],
    ["docker EXAMPLE placeholder", "DOCKER_TOKEN=dckr_pat_Example1234567890AbCdEfGhjK"],
    ["docker prefix inside a word", `x${V.dckr}`],
    ["docker too long", `${V.dckr}0123456789`],
    ["databricks too long", "dapi703e02afa2b860e67db2e7e78cdd18a0AB"],
    ["databricks prefix inside a word", "mydapi703e02afa2b860e67db2e7e78cdd18a0"],
    ["databricks not hex", "DATABRICKS_HOST_ID=dapi123456789012345678a9bc01234defg5"],
    ["linear EXAMPLE placeholder", "lin_api_f1g2kLGLqdezihCUTzgIAUk6d9wvCnStWrvEXAMPLE"],
    ["linear prefix inside a word", `ber${V.lin}`],
    ["linear too short", "lin_api_FakeAgentAudittb3b0rfTg58tRy3"],
    ["vercel too short", "vcp_FakeAgentAuditrZtFsnq"],
    ["vercel unknown prefix", `vcx_${V.vcp.slice(4)}`],
    ["vercel prefix inside a word", `x${V.vcp}`],
    [
      "service bus emulator",
      "Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;",
    ],
    [
      "service bus template",
      "Endpoint=sb://<NamespaceName>.servicebus.windows.net/;SharedAccessKeyName=<KeyName>;SharedAccessKey=<KeyValue>",
    ],
    ["service bus key too short", `SharedAccessKey=${V.sbKey.slice(0, 28)}`],
    [
      "sas token template",
      "SharedAccessSignature sig={signature-string}&se={expiry}&skn={policyName}&sr={URL-encoded-resourceURI}",
    ],
    [
      "sas token built in code",
      'string token = "SharedAccessSignature sr=" + resource + "&sig=" + signature + "&se=" + expiry;',
    ],
    ["oci passphrase template", "pass_phrase=<your passphrase>"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a config file's variable reference, not a template
    ["oci passphrase reference", "pass_phrase = ${OCI_KEY_PASSPHRASE}"],
    ["oci passphrase file setting", "oci_pass_phrase_file = /run/secrets/oci"],
    [
      "oci public key",
      "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo4l\n-----END PUBLIC KEY-----\nOCI_API_KEY",
    ],
  ];
  for (const [name, text] of decoys) {
    it(`does not report: ${name}`, () => {
      expect(
        scanner.scan(text, { rules: formatRules, honourInlineAllows: false }).map((d) => d.ruleId),
      ).toEqual([]);
    });
  }
});
