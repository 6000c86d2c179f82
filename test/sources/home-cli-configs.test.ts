// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files write references as ${{ ... }}, which these strings hold as data
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { reporterNames } from "../../src/render/index.js";
import { cli } from "../helpers/cli.js";
import { inventory } from "../helpers/inventory.js";
import { leakedValues } from "../helpers/leaks.js";
import { tempTree } from "../helpers/tmp.js";

// Credential files of more CLIs in a home (the research notes' list of PaaS and CLI token paths,
// and the AI coding tools' own configs), each in its real format: every planted value is reported
// at its file and line with its rule and severity, and the decoys beside them (references,
// placeholders, publishable keys, user names and hosts) are not. All values are fake.
const V = {
  netlify: "nfp_Fk3Qz9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0Qz3xP9",
  ngrok: "2Fk3Qz9Lm2Xw7Rt5Yp8Nc4Vb6_7Hj1Sd0Qz3xP9MGk2LmRt5",
  supabase: "sbp_3f2b6c0d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c",
  stripe: "rk_live_51Fk3Qz9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0Qz3xP9MGk2LmRt5Yp8Nc4Vb6Hj1Sd0Qz3xP9MGk2Lm",
  circleci: "CCIPAT_Fk3Qz9Lm2Xw7Rt5Yp8Nc4Vb6_3f2b6c0d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c",
  railway: "Rk8mQ2vZ7pL3xR9wT5nB1cD4Gk8mQ2vZ",
  firebase: "1//0gFk3Qz9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0Qz3xP9MGk2LmRt5Yp8Nc4Vb6Hj1Sd0Qz3",
  vercel: "Vq7mK2zR9pL4xW8tY3nB6cD1",
  wranglerAccess: "Wk3Qz9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0Qz3xP9MGk2Lm.Rt5Yp8Nc4Vb6Hj1Sd0",
  wranglerRefresh: "Qz3xP9MGk2Lm.Rt5Yp8Nc4Vb6Hj1Sd0Fk3Qz9Lm2Xw7Rt5Yp8Nc4",
  sentry: "Sn7kQ3mV9pL2xR5wGz7kQ3mV9pL2xR5wSn7kQ3mV9pL2xR5wGz7kQ3mV9pL2xR5w",
  hcloud: "Hc4Lm9Qw2Zx7Hc4Lm9Qw2Zx7Hc4Lm9Qw2Zx7Hc4Lm9Qw2Zx7Hc4Lm9Qw2Zx7Hc4L",
  dbt: "Wq5mK9vZ3pL8",
  snowsql: "Tg5kR9mZ2qL7",
  helm: "Lp8vK3mZ9qR2",
  copilot: "ghu_Fk3Qz9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd03xP9MG",
  continue: "Gz7kQ3mV9pL2xR5wGz7kQ3mV9pL2xR5w",
  kaggle: "3f2b6c0d9e8a7b6c5d4e3f2a1b0c9d8e",
  llm: "Mq4vK8zR2pL9xY7wT3nB5cD1",
};
const t = tempTree({
  "home/.netlify/config.json": JSON.stringify(
    {
      telemetryDisabled: true,
      userId: "5f1a",
      users: { "5f1a": { id: "5f1a", auth: { token: V.netlify } } },
    },
    null,
    2,
  ),
  "home/.config/ngrok/ngrok.yml": `version: "2"\nauthtoken: ${V.ngrok}\nregion: eu\n`,
  "home/.kaggle/kaggle.json": `{"username":"alice","key":"${V.kaggle}"}\n`,
  "home/.supabase/access-token": `${V.supabase}\n`,
  "home/.config/stripe/config.toml": [
    "[default]",
    'device_name = "laptop"',
    'test_mode_pub_key = "pk_test_51Fk3Qz9Lm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0Qz3xP9MGk2LmRt5"',
    `live_mode_api_key = "${V.stripe}"`,
    "",
  ].join("\n"),
  "home/.circleci/cli.yml": `host: https://circleci.com\ntoken: ${V.circleci}\n`,
  "home/.railway/config.json": JSON.stringify({ user: { token: V.railway } }),
  "home/.config/configstore/firebase-tools.json": JSON.stringify({
    user: { email: "alice@example.com" },
    tokens: { refresh_token: V.firebase, expires_at: 1765000000000 },
  }),
  "home/.local/share/com.vercel.cli/auth.json": JSON.stringify({ token: V.vercel }),
  "home/.wrangler/config/default.toml": [
    `oauth_token = "${V.wranglerAccess}"`,
    'expiration_time = "2026-12-07T12:00:00.000Z"',
    `refresh_token = "${V.wranglerRefresh}"`,
    "",
  ].join("\n"),
  "home/.sentryclirc": `[defaults]\norg = acme\n[auth]\ntoken=${V.sentry}\n`,
  "home/.config/hcloud/cli.toml": `active_context = "prod"\n[[contexts]]\nname = "prod"\ntoken = "${V.hcloud}"\n`,
  "home/.dbt/profiles.yml": [
    "shop:",
    "  target: dev",
    "  outputs:",
    "    dev:",
    "      type: postgres",
    "      host: db.internal",
    "      user: dbt",
    `      password: ${V.dbt}`,
    "    prod:",
    "      type: postgres",
    "      password: \"{{ env_var('DBT_PROD_PASSWORD') }}\"",
    "",
  ].join("\n"),
  "home/.snowsql/config": `[connections]\naccountname = acme\nusername = analyst\npassword = ${V.snowsql}\n`,
  "home/.config/helm/repositories.yaml": [
    'apiVersion: ""',
    "repositories:",
    "- name: internal",
    "  url: https://charts.internal",
    "  username: ci",
    `  password: ${V.helm}`,
    "- name: public",
    "  url: https://charts.example.com",
    '  password: ""',
    "",
  ].join("\n"),
  "home/.config/github-copilot/apps.json": JSON.stringify({
    "github.com:Iv1.b507a08c87ecfe98": {
      user: "alice",
      oauth_token: V.copilot,
      githubAppId: "Iv1.b507a08c87ecfe98",
    },
  }),
  "home/.continue/config.json": JSON.stringify(
    {
      models: [
        { title: "Claude", provider: "anthropic", model: "claude-sonnet-4", apiKey: V.continue },
        { title: "Local", provider: "ollama", model: "llama3", apiKey: "<YOUR_API_KEY>" },
      ],
    },
    null,
    2,
  ),
  "home/.config/io.datasette.llm/keys.json": `{"// Note": "This file stores secret API credentials. Do not share!", "mistral": "${V.llm}"}\n`,
  // Decoys only: a reference and a placeholder.
  "home/.continue/config.yaml": "models:\n  - name: gpt\n    apiKey: ${{ secrets.OPENAI_API_KEY }}\n",
  "home/.aider.conf.yml": "model: sonnet\nopenai-api-key: your-key-here\n",
  "root/.keep": "",
  "system/.keep": "",
});
afterAll(() => t.cleanup());
const home = join(t.dir, "home");

describe("more CLI credential files in a home", () => {
  it("reports each planted value at its file and line, with its rule and severity, and no decoy", async () => {
    const res = await inventory({
      sources: ["home"],
      home,
      root: join(t.dir, "root"),
      systemRoot: join(t.dir, "system"),
    });
    const got = res.findings
      .map((f) => `${f.location.path}:${f.location.line ?? "-"} ${f.ruleId} ${f.severity}`)
      .sort();
    expect(got).toEqual([
      ".circleci/cli.yml:2 circleci-cli-config high",
      ".config/configstore/firebase-tools.json:1 firebase-tools-config high",
      ".config/github-copilot/apps.json:1 github-app-token high",
      ".config/hcloud/cli.toml:4 hcloud-cli-config high",
      ".config/helm/repositories.yaml:6 helm-repositories high",
      ".config/io.datasette.llm/keys.json:- llm-cli-keys high",
      ".config/ngrok/ngrok.yml:2 ngrok-config high",
      ".config/stripe/config.toml:4 stripe-secret-key critical",
      ".continue/config.json:7 continue-config high",
      ".dbt/profiles.yml:8 dbt-profiles high",
      ".kaggle/kaggle.json:- kaggle-api-credentials high",
      ".local/share/com.vercel.cli/auth.json:1 vercel-cli-auth high",
      ".netlify/config.json:8 netlify-token high",
      ".railway/config.json:1 railway-cli-config high",
      ".sentryclirc:4 sentry-cli-config high",
      ".snowsql/config:4 snowsql-config high",
      ".supabase/access-token:1 supabase-token critical",
      ".wrangler/config/default.toml:1 wrangler-config high",
      ".wrangler/config/default.toml:3 wrangler-config high",
    ]);
    expect(res.issues).toEqual([]);
  });

  for (const format of reporterNames()) {
    it(`--format ${format}: no planted value, nor 8 characters of one past its preview, in the output`, async () => {
      const r = await cli([
        "scan",
        ...["--home", home, "--root", join(t.dir, "root"), "--system-root", join(t.dir, "system")],
        ...["--no-env", "--sources", "home", "--no-progress", "--format", format],
      ]);
      expect(r.code).toBe(1);
      expect(r.stdout.length).toBeGreaterThan(100);
      expect(leakedValues(r, V)).toEqual([]);
    });
  }
});
