import { join } from "node:path";
import { Command, Option } from "commander";
import { type CredsAwsResult, rollbackCredsAws, runCredsAws } from "../app/creds.js";
import { callText, credsJson, credsLines, credsText } from "../app/creds-text.js";
import type { ApplyMode } from "../capabilities/scope/aws/types.js";
import { UsageError } from "../util/errors.js";
import { appContext, type EnvironmentFlags, environmentSpec } from "./flags.js";
import type { CliIo, CliResult } from "./io.js";
import { addEnvironmentOptions, parsePositiveInt } from "./options.js";

interface AwsFlags extends EnvironmentFlags {
  evidence?: string;
  profile?: string;
  principal?: string;
  home?: string;
  endpointUrl?: string;
  region?: string;
  window: number;
  plan?: string;
  apply?: ApplyMode;
  dryRun: boolean;
  policyArn?: string;
  rollback?: string;
  stateDir?: string;
  format: "text" | "json";
}

const HELP = `
What it reports (step 6, findings kind scope, control credential-scope):
  aws-iam-admin-access         "*" on "*" (AdministratorAccess, or an Allow with NotAction)
  aws-iam-full-iam-access      iam:* on every resource
  aws-iam-passrole-any-role    iam:PassRole on every resource
  aws-iam-write-all-resources  write actions on Resource "*"
  aws-iam-unused-services      granted services not used in the window
  aws-iam-old-access-key       an active access key older than 90 days
  aws-iam-unused-access-key    an active access key never used, or not in the window

Live (default): the credentials are the agent's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (this
process's environment, or --environ FILE), else --profile NAME (default: default) from
<home>/.aws/credentials. Static keys only: role, SSO and credential_process profiles are never
followed (the agent can write them). The calls are read-only unless --apply is given.

Offline: --evidence DIR reads what these AWS CLI commands print (run them with the same credentials):
  aws sts get-caller-identity > DIR/sts-get-caller-identity.json
  aws iam get-account-authorization-details > DIR/iam-get-account-authorization-details.json
  aws iam get-service-last-accessed-details --job-id "$(aws iam generate-service-last-accessed-details \\
      --arn ARN --granularity ACTION_LEVEL --query JobId --output text)" > DIR/iam-get-service-last-accessed-details.json

The plan keeps what was used in the window, drops what was not, and keeps what IAM cannot track
(S3 data events, iam:PassRole, Lambda and DynamoDB data-plane calls) when its service was used.
--apply boundary sets it as the principal's permissions boundary (a new managed policy; the old
boundary is recorded); --apply policy-version makes it the default version of the principal's one
customer-managed policy (the oldest non-default version is deleted at IAM's limit of five). Every
apply writes a manifest to --state-dir; --rollback MANIFEST undoes it. --dry-run lists the calls.

Exit codes:
  0  analysed; no high-risk finding (or: applied, rolled back)
  1  a high-risk finding (admin, iam:*, PassRole on *) is open
  2  usage error, AWS error, unreadable evidence; a grant that could not be read (step 6 error);
     --apply refused or failed (see the manifest)`;

/** `agent-audit creds`. */
export function command(io: CliIo, result: CliResult): Command {
  const creds = new Command("creds").description(
    "How narrow are the agent's cloud credentials? (step 6, live): identify, analyse, plan, apply",
  );
  const aws = new Command("aws").description(
    "AWS IAM: who the credentials are, what their policies grant, what they used, a least-privilege plan, and a reversible apply",
  );
  addEnvironmentOptions(aws);
  aws
    .option("--evidence <dir>", "offline: read the AWS CLI outputs in this folder (see below); no AWS call")
    .option("--profile <name>", "live: the profile of <home>/.aws/credentials to use")
    .option("--principal <arn>", "analyse this IAM user or role instead of the caller")
    .option("--home <dir>", "home whose .aws/credentials is read (default: the user's home)")
    .option("--endpoint-url <url>", "live: send IAM and STS calls here (a proxy or a test endpoint)")
    .option("--region <region>", "live: the signing region", "us-east-1")
    .option("--window <days>", "tracking window: a service not used in it is removable", parsePositiveInt, 90)
    .option("--plan <file>", "write the least-privilege plan as JSON")
    .addOption(
      new Option("--apply <mode>", "apply the plan (never by default)").choices([
        "boundary",
        "policy-version",
      ]),
    )
    .option("--dry-run", "with --apply: list the IAM calls it would make, change nothing", false)
    .option("--policy-arn <arn>", "with --apply policy-version: the customer-managed policy to version")
    .option("--rollback <manifest>", "undo an apply: restore the previous boundary or default version")
    .option(
      "--state-dir <dir>",
      "where --apply writes manifests (default: /var/lib/agent-audit/creds as root, else ~/.local/state/agent-audit/creds)",
    )
    .addOption(new Option("--format <format>", "output format").choices(["text", "json"]).default("text"));
  aws.addHelpText("after", HELP);
  aws.action(async (flags: AwsFlags) => {
    const ctx = appContext(io);
    const environment = environmentSpec(flags);
    if (flags.rollback !== undefined) {
      if (flags.apply || flags.dryRun || flags.evidence)
        throw new UsageError("--rollback cannot be combined with --apply, --dry-run or --evidence");
      const r = await rollbackCredsAws(
        {
          manifest: flags.rollback,
          environment,
          systemRoot: flags.systemRoot,
          ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
          ...(flags.home !== undefined ? { home: flags.home } : {}),
          ...(flags.endpointUrl !== undefined ? { endpoint: flags.endpointUrl } : {}),
          region: flags.region ?? "us-east-1",
        },
        ctx,
      );
      const lines = [`Rollback of ${r.path} (${r.manifest.mode}, ${r.manifest.principal.arn}):`];
      for (const c of r.calls)
        lines.push(`  ${c.ok ? "ok    " : "FAILED"} ${callText(c)}${c.error ? `: ${c.error}` : ""}`);
      for (const n of r.notes) lines.push(`  note: ${n}`);
      lines.push(r.ok ? "Restored." : "NOT fully restored: see the failed calls above.");
      io.stdout(credsLines(lines));
      result.exitCode = r.ok ? 0 : 2;
      return;
    }
    if (flags.dryRun && !flags.apply) throw new UsageError("--dry-run goes with --apply");
    if (flags.policyArn && flags.apply !== "policy-version")
      throw new UsageError("--policy-arn goes with --apply policy-version");
    if (flags.window > 400) throw new UsageError("--window: IAM tracks at most 400 days");
    const stateDir =
      flags.stateDir ??
      (process.getuid?.() === 0
        ? "/var/lib/agent-audit/creds"
        : join(io.homedir, ".local", "state", "agent-audit", "creds"));
    const res: CredsAwsResult = await runCredsAws(
      {
        environment,
        systemRoot: flags.systemRoot,
        ...(flags.evidence !== undefined ? { evidence: flags.evidence } : {}),
        ...(flags.profile !== undefined ? { profile: flags.profile } : {}),
        ...(flags.principal !== undefined ? { principal: flags.principal } : {}),
        ...(flags.home !== undefined ? { home: flags.home } : {}),
        ...(flags.endpointUrl !== undefined ? { endpoint: flags.endpointUrl } : {}),
        region: flags.region ?? "us-east-1",
        windowDays: flags.window,
        ...(flags.plan !== undefined ? { planFile: flags.plan } : {}),
        ...(flags.apply !== undefined ? { apply: flags.apply } : {}),
        dryRun: flags.dryRun,
        ...(flags.policyArn !== undefined ? { policyArn: flags.policyArn } : {}),
        stateDir,
      },
      ctx,
    );
    io.stdout(flags.format === "json" ? credsJson(res) : credsText(res));
    // 1: a high-risk finding; 2: the analysis is incomplete (a grant not read): never 0 then.
    result.exitCode =
      res.apply && !res.apply.dryRun
        ? 0
        : res.step.status === "fail"
          ? 1
          : res.step.status === "error"
            ? 2
            : 0;
  });
  creds.addCommand(aws);
  return creds;
}
