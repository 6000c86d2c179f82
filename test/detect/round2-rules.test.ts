import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { defaultRules } from "../../src/rules/catalog.js";
import { dedupe } from "../../src/sources/files.js";
import { cli } from "../helpers/cli.js";
import { inventory } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// Issue 15, round two of the rules: credentials in HTTP headers on command lines (curl -H, wget
// --header, HTTPie/xh), Bundler gem server credentials (BUNDLE_<HOST>__<DOMAIN>, Sidekiq's gem
// server URL), NuGet ClearTextPassword anywhere, PKCS#12 key stores (.p12/.pfx) in the tree and the
// home, Slack Workflow Builder webhooks and xoxe- file tokens, Meta access tokens (EAA…, app id|secret).
// Every value below is a fake made for this test: shaped like the format, never issued by anyone.

const rules = defaultRules();
const scanner = new ContentScanner(rules);
const found = (text: string) =>
  dedupe(scanner.scan(text, { honourInlineAllows: false }), rules).map((d) => [d.ruleId, d.secret]);

const V = {
  bearer: "q7Zt2LmX9vKw4RpN8cYd3FhJ6bGs",
  apiKey: "4f9c2e71-8ad3-4b6e-9f10-7c5d2a8e3b41",
  glToken: "Rk8vQ2mZ7xLp4TnW9cYb",
  basic: "ZGVwbG95OlhxN3ZMbTJSdDVXcA==",
  httpiePw: "Xq7vLm2Rt5Wp",
  xhBearer: "Hx7qLm2Vz9Rt4Kw8Pc3Ny6Bd",
  sidekiq: "a1f3c9e2:7bd04e6f",
  sidekiqUrl: "0c9e2b71:e4a58d13",
  ghPkg: "ci-bot:Tz8kLm2Qw9vRb5Nc",
  fury: "Wm3Ks7Pd9Lf2Gy6Jr2Nb",
  envBundle: "deploy:Jd2Hx8Qn5Ws3Fs9T",
  nuget: "Nu9!Lm2Xw7Rt5Vq",
  workflow:
    "https://hooks.slack.com/workflows/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",
  xoxe: "xoxe-7345182906172-8394517260381-9027361845172-5c1e9a7b3d2f48e6a0b9c7d1e3f5a2b4",
  eaa: "EAAJx7ZkQ2mWbA0BAFk3vT9pRz7LqN2XcW8yHd4GmJ1sKf6UoE5rTbVn3aZiPl0QeYu9wMkC2xSgD7hRj4NvBtFq8LmZpWc1KdXyGs5TaHbJ0oR3uEiVn6QfZlYk",
  fbApp: "624809173528416|Qx7Lm2Vz9Rt4Kw8Pc3Ny6Bd1HsT",
};

type Row = [text: string, expected: [ruleId: string, secret: string][]];

const MATCH: Row[] = [
  // curl -H / --header, wget --header: Authorization with a scheme or without, API-key headers.
  [
    `curl -sS -H "Authorization: Bearer ${V.bearer}" https://api.internal.test/v1/jobs`,
    [["cmdline-http-auth-header", V.bearer]],
  ],
  [
    `curl --header 'X-Api-Key: ${V.apiKey}' https://metrics.internal.test/`,
    [["cmdline-http-auth-header", V.apiKey]],
  ],
  [
    `wget --header="PRIVATE-TOKEN: ${V.glToken}" https://git.internal.test/api/v4/projects`,
    [["cmdline-http-auth-header", V.glToken]],
  ],
  [
    `curl -u admin -H 'Authorization: Basic ${V.basic}' https://nexus.internal.test/`,
    [["cmdline-http-auth-header", V.basic]],
  ],
  [
    `curl -H "authorization:${V.bearer}" https://svc.internal.test/`,
    [["cmdline-http-auth-header", V.bearer]],
  ],
  [
    `curl -H "X-Octopus-ApiKey: API${V.glToken}" https://deploy.internal.test/`,
    [["cmdline-http-auth-header", `API${V.glToken}`]],
  ],
  [
    `curl -H "Proxy-Authorization: Bearer ${V.bearer}" -x proxy:3128 https://x.test/`,
    [["cmdline-http-auth-header", V.bearer]],
  ],
  [
    `curl -X POST https://api.internal.test/v1/a/rather/long/path/that/goes/on/and/on?with=query&and=more \\\n  -H "Content-Type: application/json" \\\n  -H "Authorization: Token ${V.glToken}"`,
    [["cmdline-http-auth-header", V.glToken]],
  ],
  [
    `run("curl -H \\"Authorization: Bearer ${V.bearer}\\" https://x.test/")`,
    [["cmdline-http-auth-header", V.bearer]],
  ],
  // HTTPie and xh.
  [
    `http -a deploy:${V.httpiePw} POST https://ci.internal.test/job/app/build`,
    [["cmdline-httpie-auth", V.httpiePw]],
  ],
  [`http --auth=ci-bot:${V.httpiePw} https://ci.internal.test/`, [["cmdline-httpie-auth", V.httpiePw]]],
  [`http -A bearer -a ${V.bearer} https://api.internal.test/v1/me`, [["cmdline-httpie-auth", V.bearer]]],
  [`https api.internal.test/v1/jobs Authorization:"Bearer ${V.bearer}"`, [["cmdline-httpie-auth", V.bearer]]],
  [`http api.internal.test/v1/jobs 'Authorization: Bearer ${V.bearer}'`, [["cmdline-httpie-auth", V.bearer]]],
  [`xh --bearer ${V.xhBearer} get https://api.internal.test/v1/me`, [["cmdline-httpie-auth", V.xhBearer]]],
  // Bundler and Sidekiq.
  [`BUNDLE_GEMS__CONTRIBSYS__COM: "${V.sidekiq}"`, [["bundler-host-credentials", V.sidekiq]]],
  [
    `export BUNDLE_ENTERPRISE__CONTRIBSYS__COM=${V.sidekiq} && bundle install`,
    [["bundler-host-credentials", V.sidekiq]],
  ],
  [`ENV BUNDLE_RUBYGEMS__PKG__GITHUB__COM=${V.ghPkg}`, [["bundler-host-credentials", V.ghPkg]]],
  [`BUNDLE_GEM__FURY__IO: "${V.fury}"`, [["bundler-host-credentials", V.fury]]],
  [`BUNDLE_MY___GEMS__EXAMPLE__ORG: ${V.fury}`, [["bundler-host-credentials", V.fury]]],
  // The URL's password is the secret (url-basic-auth's too), so the URL is one finding.
  [
    `source "https://${V.sidekiqUrl}@gems.contribsys.com/" do`,
    [["sidekiq-gem-server-url", V.sidekiqUrl.slice(9)]],
  ],
  [
    `source "https://${V.sidekiqUrl}@enterprise.contribsys.com/"`,
    [["sidekiq-gem-server-url", V.sidekiqUrl.slice(9)]],
  ],
  // NuGet.
  [`      <add key="ClearTextPassword" value="${V.nuget}" />`, [["nuget-config-password", V.nuget]]],
  [`<add key='cleartextpassword' value='${V.bearer}'/>`, [["nuget-config-password", V.bearer]]],
  [`<add key="Password"\n     value="${V.nuget}" />`, [["nuget-config-password", V.nuget]]],
  // Slack.
  [`SLACK_WORKFLOW_URL=${V.workflow}`, [["slack-webhook-url", V.workflow]]],
  [
    `"url_private": "https:\\/\\/files.slack.com\\/files-pri\\/T07QF4KE2MX-F08AB12CD34\\/a.pdf?t=${V.xoxe}"`,
    [["slack-xoxe-token", V.xoxe]],
  ],
  // Meta.
  [`FB_PAGE_TOKEN=${V.eaa}`, [["facebook-access-token", V.eaa]]],
  [`{"facebook_app_token":"${V.fbApp}"}`, [["facebook-app-access-token", V.fbApp]]],
  [
    `fb_app_token = "${V.fbApp.replace("|", "%7C")}"`,
    [["facebook-app-access-token", V.fbApp.replace("|", "%7C")]],
  ],
];

const NO_MATCH: string[] = [
  // References, placeholders, masked values, prompts.
  `curl -H "Authorization: Bearer $API_TOKEN" https://api.internal.test/`,
  `curl -H "Authorization: Bearer \${API_TOKEN}" https://api.internal.test/`,
  `curl -H "Authorization: Bearer \${{ secrets.API_TOKEN }}" https://api.internal.test/`,
  `curl -H "Authorization: Bearer $(gcloud auth print-access-token)" https://x.test/`,
  `curl -H "Authorization: Bearer <your token>" https://api.internal.test/`,
  `curl -H "Authorization: Bearer XXXXXXXXXXXXXXXX" https://api.internal.test/`,
  `curl -H "Authorization: Token **********" https://x.test/`,
  `curl -H "Authorization: Bearer YOUR_API_TOKEN" https://x.test/`,
  `curl -H "Authorization: Basic ..." https://x.test/`,
  `curl -H "Authorization: basic {base64(email:password)}" https://x.test/`,
  `curl -H "Authorization: Negotiate" https://intranet.internal.test/`,
  `curl -H "Authorization: Bearer short" https://x.test/`,
  // Headers that are not credentials.
  `curl -H "X-CSRF-Token: ${V.glToken}" https://app.internal.test/`,
  `curl -H "Idempotency-Key: ${V.apiKey}" https://pay.internal.test/`,
  `curl -H "Content-Type: application/json" -H "X-Request-Id: ${V.apiKey}" https://x.test/`,
  // HTTPie: a user alone prompts; a URL is not the tool; prose.
  "http -a deploy POST https://ci.internal.test/job/app/build",
  "http -A bearer -a $API_TOKEN https://api.internal.test/v1/me",
  `https api.internal.test/v1/jobs Authorization:"Bearer <token>"`,
  `see http://api.internal.test/ -a deploy:${V.httpiePw}`,
  "the http Authorization: Bearer credentials123 header carries the token",
  // Bundler's own settings, references, placeholders.
  "export BUNDLE_GEMS__CONTRIBSYS__COM=$SIDEKIQ_CREDENTIALS",
  `BUNDLE_GEMS__CONTRIBSYS__COM: "\${SIDEKIQ_CREDENTIALS}"`,
  'BUNDLE_BUILD__NOKOGIRI: "--use-system-libraries"',
  'BUNDLE_GEM__CI: "github"',
  'BUNDLE_GEM__COC: "true"',
  'BUNDLE_PATH__SYSTEM: "true"',
  'BUNDLE_LOCAL__RACK: "/home/dev/src/rack"',
  'BUNDLE_MIRROR__HTTPS://RUBYGEMS__ORG/: "https://mirror.internal.test"',
  'BUNDLE_GEMS__CONTRIBSYS__COM: "user:password"',
  'BUNDLE_PATH: "vendor/bundle"',
  'source "https://gems.contribsys.com/" do',
  `source "https://\${SIDEKIQ_USER}:\${SIDEKIQ_PASS}@gems.contribsys.com/"`,
  // NuGet: references, DPAPI, too short, other keys, the documentation's samples.
  '<add key="ClearTextPassword" value="%NUGET_FEED_PAT%" />',
  '<add key="ClearTextPassword" value="$(NuGetFeedPassword)" />',
  '<add key="Password" value="AQAAANCMnd8BFdERjHoAwE/Cl+sBAAAAfakeFakeFakeFakeFakeFake==" />',
  '<add key="ClearTextPassword" value="abc" />',
  '<add key="Username" value="ci-bot" />',
  '<add key="ClearTextPassword" value="33f!!lloppa" />',
  // Slack: wrong shapes.
  "https://hooks.slack.com/workflows/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",
  "https://hooks.slack.com/workflows/<team>/<app>/<id>/<secret>",
  "xoxe-1-abc",
  "xoxe-1234-1234-1234-5c1e9a7b3d2f48e6a0b9c7d1e3f5a2b4",
  // Meta: too short, upper-case hex, lower-case eaa, filler; app ids in tables.
  "see EAAJx7ZkQ2mWbA0BAFk3vT9pRz7L in the log",
  "checksum: EAAC4CF978B6FBD480F1092CAB8B233C9B949BCABFC9B598DD79A758F7243C28765EF7639C876FA72940DAC687181B35486EA01FF7DF3E65CE3848C64822C581",
  "checksum: eaac4cf978b6fbd480f1092cab8b233c9b949bcabfc9b598dd79a758f7243c28765ef7639c876fa72940dac687181b35486ea01ff7df3e65ce3848c64822c581",
  `token: EAA${"x".repeat(110)}`,
  "facebook | 624809173528416 | 2024-01-02 | ok",
  `facebook_app_token=624809173528416|${"x".repeat(27)}`,
  "order 624809173528416|Qx7Lm2Vz9Rt4Kw8Pc3Ny6Bd1HsT in a file that names no provider",
];

describe("round-two rules: exact rule and value per text (issue 15)", () => {
  for (const [text, expected] of MATCH) {
    it(`finds ${JSON.stringify(text).slice(0, 90)}`, () => {
      expect(found(text)).toEqual(expected);
    });
  }
  for (const text of NO_MATCH) {
    it(`reports nothing for ${JSON.stringify(text).slice(0, 90)}`, () => {
      expect(found(text)).toEqual([]);
    });
  }
  it("a provider rule keeps a token it knows, not the header rule (shape-only)", () => {
    const xoxp = "xoxp-734518290617-839451726038-9027361845172-5c1e9a7b3d2f48e6a0b9c7d1e3f5a2b4";
    expect(found(`curl -H "Authorization: Bearer ${xoxp}" https://slack.com/api/auth.test`)).toEqual([
      ["slack-user-token", xoxp],
    ]);
  });
  it("a JWT in a header is left to the jwt rule (medium, validity and expiry checks)", () => {
    const jwt =
      "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdmMtcjJ0ZXN0Iiwicm9sZSI6InNlcnZpY2UiLCJleHAiOjE4OTM0NTYwMDB9.Qx7Lm2Vz9Rt4Kw8Pc3Ny6Bd1HsFk0ciPq7xZw9mLt4";
    expect(found(`curl -H "Authorization: Bearer ${jwt}" https://api.internal.test/`)).toEqual([
      ["jwt", jwt],
    ]);
    expect(found(`http -A bearer -a ${jwt} https://api.internal.test/`)).toEqual([["jwt", jwt]]);
  });
  it("a gem server URL on another host is not Sidekiq's (url-basic-auth judges it)", () => {
    const ids = found(`https://${V.sidekiqUrl}@gems.contribsys.com.evil.test/`).map((r) => r[0]);
    expect(ids).not.toContain("sidekiq-gem-server-url");
  });
});

describe("round-two rules on 1 MB floods (linear time)", () => {
  const units: [string, string][] = [
    ["cmdline-http-auth-header", '-H "Authorization: Bearer '],
    ["cmdline-http-auth-header", "--header=X-a-b-Api-Key:"],
    ["cmdline-http-auth-header", "-H 'X-Api-Key: X-Api-Key: "],
    ["cmdline-httpie-auth", "http -a u:"],
    ["bundler-host-credentials", "BUNDLE_A__B__"],
    ["nuget-config-password", '<add key="ClearTextPassword" value="'],
    ["facebook-access-token", "EAA"],
    ["facebook-app-access-token", "facebook 624809173528416|"],
    ["sidekiq-gem-server-url", "https://a1f3c9e2:@gems.contribsys.com"],
  ];
  for (const [id, unit] of units) {
    it(`${id}: ${JSON.stringify(unit)} repeated finds nothing, quickly`, () => {
      const text = unit.repeat(Math.ceil(1_000_000 / unit.length));
      const rule = rules.content.find((r) => r.id === id)!;
      const t0 = performance.now();
      expect(scanner.scan(text, { rules: [rule], honourInlineAllows: false })).toEqual([]);
      expect(performance.now() - t0).toBeLessThan(3000);
    });
  }
});

// End to end: a tree and a fake home through the real inventory, then the CLI's reports.
// A truncated PFX header is not a key store: the parser (test/detect/pkcs12.test.ts, real key
// stores made by openssl) reports nothing for it, so no PKCS#12 file is planted here.
const t = tempTree({
  "work/scripts/api.sh": [
    "#!/bin/sh",
    `curl -sS -H "Authorization: Bearer ${V.bearer}" https://api.internal.test/v1/jobs`,
    'curl -sS -H "Authorization: Bearer $API_TOKEN" https://api.internal.test/v1/jobs',
    `wget --header="X-Api-Key: ${V.apiKey}" https://metrics.internal.test/`,
    `http -a deploy:${V.httpiePw} POST https://ci.internal.test/job/app/build`,
    "",
  ].join("\n"),
  "work/Dockerfile": [
    "FROM ruby:3.3",
    "ARG BUNDLE_GEMS__CONTRIBSYS__COM",
    `ENV BUNDLE_ENTERPRISE__CONTRIBSYS__COM=${V.sidekiq}`,
    "ENV BUNDLE_BUILD__NOKOGIRI=--use-system-libraries",
    "",
  ].join("\n"),
  "work/Gemfile": [
    'source "https://rubygems.org"',
    `source "https://${V.sidekiqUrl}@gems.contribsys.com/" do`,
    '  gem "sidekiq-pro"',
    "end",
    "",
  ].join("\n"),
  "work/.bundle/config": [
    "---",
    'BUNDLE_PATH: "vendor/bundle"',
    `BUNDLE_RUBYGEMS__PKG__GITHUB__COM: "${V.ghPkg}"`,
    "",
  ].join("\n"),
  "work/NuGet.Config": [
    '<?xml version="1.0" encoding="utf-8"?>',
    "<configuration>",
    "  <packageSourceCredentials>",
    "    <internal>",
    '      <add key="Username" value="ci-bot" />',
    `      <add key="ClearTextPassword" value="${V.nuget}" />`,
    "    </internal>",
    "  </packageSourceCredentials>",
    "</configuration>",
    "",
  ].join("\n"),
  "work/integrations/slack.json": [
    "{",
    `  "workflow": "${V.workflow}",`,
    `  "file": "https://files.slack.com/files-pri/T07QF4KE2MX-F08AB12CD34/a.pdf?t=${V.xoxe}"`,
    "}",
    "",
  ].join("\n"),
  "work/integrations/meta.yaml": ["meta:", `  page_token: ${V.eaa}`, `  app_token: "${V.fbApp}"`, ""].join(
    "\n",
  ),
  "home/.bash_history": [
    "ls",
    `curl -H 'PRIVATE-TOKEN: ${V.glToken}' https://git.internal.test/api/v4/user`,
    `xh --bearer ${V.xhBearer} get https://api.internal.test/v1/me`,
    "",
  ].join("\n"),
  "home/.bundle/config": ["---", `BUNDLE_GEM__FURY__IO: "${V.fury}"`, 'BUNDLE_GEM__TEST: "rspec"', ""].join(
    "\n",
  ),
  "home/.nuget/NuGet/NuGet.Config": [
    "<configuration><packageSourceCredentials><feed>",
    `<add key="ClearTextPassword" value="${V.nuget}x" />`,
    "</feed></packageSourceCredentials></configuration>",
    "",
  ].join("\n"),
  "system/.keep": "",
});
afterAll(() => t.cleanup());
const home = join(t.dir, "home");
const root = join(t.dir, "work");

describe("round-two rules through the inventory (issue 15)", () => {
  it("reports each planted credential at its file and line, with its rule and severity", async () => {
    const res = await inventory({ sources: ["home", "tree"], home, root, systemRoot: join(t.dir, "system") });
    const got = res.findings
      .map(
        (f) => `${f.location.source} ${f.location.path}:${f.location.line ?? "-"} ${f.ruleId} ${f.severity}`,
      )
      .sort();
    expect(got).toEqual([
      "home .bash_history:2 cmdline-http-auth-header high",
      "home .bash_history:3 cmdline-httpie-auth high",
      "home .bundle/config:2 bundler-host-credentials high",
      "home .nuget/NuGet/NuGet.Config:2 nuget-config high",
      "tree .bundle/config:3 bundler-host-credentials high",
      "tree Dockerfile:3 bundler-host-credentials high",
      "tree Gemfile:2 sidekiq-gem-server-url high",
      "tree NuGet.Config:6 nuget-config-password high",
      "tree integrations/meta.yaml:2 facebook-access-token high",
      "tree integrations/meta.yaml:3 facebook-app-access-token high",
      "tree integrations/slack.json:2 slack-webhook-url medium",
      "tree integrations/slack.json:3 slack-xoxe-token high",
      "tree scripts/api.sh:2 cmdline-http-auth-header high",
      "tree scripts/api.sh:4 cmdline-http-auth-header high",
      "tree scripts/api.sh:5 cmdline-httpie-auth high",
    ]);
  });

  it("reports Bundler credentials in the environment by name, not Bundler's own settings", async () => {
    const res = await inventory({
      sources: ["env"],
      env: {
        BUNDLE_GEMS__CONTRIBSYS__COM: V.sidekiq,
        BUNDLE_RUBYGEMS__PKG__GITHUB__COM: V.envBundle,
        BUNDLE_BUILD__NOKOGIRI: "--use-system-libraries",
        BUNDLE_GEM__TEST: "rspec-unit",
        BUNDLE_PATH: "vendor/bundle",
        BUNDLE_JOBS: "4",
        BUNDLE_GEM__FURY__IO: "********",
      },
    });
    const got = res.findings.map((f) => `${f.location.name} ${f.ruleId} ${f.severity}`).sort();
    expect(got).toEqual([
      "BUNDLE_GEMS__CONTRIBSYS__COM bundler-host-credentials-env high",
      "BUNDLE_RUBYGEMS__PKG__GITHUB__COM bundler-host-credentials-env high",
    ]);
  });

  for (const format of ["json", "table", "sarif", "markdown"]) {
    it(`--format ${format}: no planted value, nor 8 characters of one past its preview, in the output`, async () => {
      const r = await cli([
        "scan",
        "--sources",
        "home,tree",
        "--root",
        root,
        "--home",
        home,
        "--format",
        format,
      ]);
      expect(r.code, `${format}: ${r.stderr}`).toBe(1);
      expect(r.stdout.length).toBeGreaterThan(100);
      const out = r.stdout + r.stderr;
      const windows = Object.values(V)
        .filter((v) => !v.startsWith("https://"))
        .flatMap((v) => Array.from({ length: Math.max(0, v.length - 11) }, (_, i) => v.slice(i + 4, i + 12)));
      const leaked = windows.filter((w) => out.includes(w));
      expect(leaked).toEqual([]);
      // The webhook's secret part (its last path segment) never appears either.
      expect(out.includes(V.workflow.slice(-24))).toBe(false);
    });
  }
});
