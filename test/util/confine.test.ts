import { closeSync, openSync, symlinkSync } from "node:fs";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readSmallSync } from "../../src/sources/files.js";
import { assertOpenedUnder, OutsideSystemRoot } from "../../src/util/confine.js";
import { inventory } from "../helpers/inventory.js";
import { tempTree } from "../helpers/tmp.js";

// Auditing a mounted image (--system-root /mnt/img): a pointer with `..` or an absolute symlink in
// the image resolves on the scanning machine, whose files are not the agent's and not ours to read.
// Here "outside" stands for the scanning machine: a sibling of the image's folder.

const VAULT = "hvs.CAESILm2Xw7Rt5Yp8Nc4Vb6Hj1Sd0QzKe9Fa3UbGq7v";
const b64 = (s: string) => Buffer.from(s).toString("base64");
const outside = tempTree({
  "docker/config.json": `{"auths": {"reg.example.com": {"auth": "${b64("ci:Vx7Lm2Qw9Rt5Yp8N")}"}}}\n`,
  "vault-token": `${VAULT}\n`,
});
const image = tempTree({ "home/agent/.keep": "", "app/README.md": "hello\n", "home/other/.keep": "" });
symlinkSync(join(outside.dir, "vault-token"), join(image.dir, "home/agent/.vault-token"));
symlinkSync(join(outside.dir, "vault-token"), join(image.dir, "app/creds.txt"));
// A link meant for the image's own "/" (absent on this machine): not followed, and said so.
symlinkSync("/opt/cluster/kubeconfig-missing", join(image.dir, "kubeconfig"));
// Home and root that are themselves links out of the image.
symlinkSync(outside.dir, join(image.dir, "home/linked"));
symlinkSync(outside.dir, join(image.dir, "linked-app"));
afterAll(() => {
  outside.cleanup();
  image.cleanup();
});
const home = join(image.dir, "home/agent");
const root = join(image.dir, "app");
const dotdotPointer = `/../${basename(outside.dir)}/docker`;

describe("--system-root confines what a scan of an image reads", () => {
  it("skips a directory pointer that leads outside it with `..`", async () => {
    const res = await inventory({
      sources: ["home"],
      home,
      systemRoot: image.dir,
      env: { DOCKER_CONFIG: dotdotPointer },
    });
    expect(res.findings.map((f) => f.ruleId)).toEqual([]);
    // Issues come sorted by place (byte order: "." before "/").
    expect(res.issues).toEqual([
      { where: ".vault-token", message: "skipped: a symlink leads outside --system-root" },
      {
        where: `/${basename(outside.dir)}/docker/config.json`,
        message: "skipped: the pointer leads outside --system-root",
      },
    ]);
  });

  it("skips absolute symlinks out of a tree inside it", async () => {
    const res = await inventory({ sources: ["tree"], root, systemRoot: image.dir });
    expect(res.findings).toEqual([]);
    expect(res.issues).toEqual([
      { where: "creds.txt", message: "skipped: a symlink leads outside --system-root" },
    ]);
  });

  it("scans nothing from a home or root that is itself a link out of it", async () => {
    const h = await inventory({
      sources: ["home"],
      home: join(image.dir, "home/linked"),
      systemRoot: image.dir,
    });
    expect(h.findings).toEqual([]);
    expect(h.issues).toEqual([
      {
        where: join(image.dir, "home/linked"),
        message: "skipped: the home directory leads outside --system-root (a symlink in the image)",
      },
    ]);
    const t = await inventory({
      sources: ["tree"],
      root: join(image.dir, "linked-app"),
      systemRoot: image.dir,
    });
    expect(t.findings).toEqual([]);
    expect(t.issues).toEqual([
      { where: ".", message: "skipped: --root leads outside --system-root (a symlink in the image)" },
    ]);
  });

  it("reports an absolute link whose target is not on this machine instead of dropping it", async () => {
    const res = await inventory({
      sources: ["home"],
      home: join(image.dir, "home/other"),
      systemRoot: image.dir,
      env: { KUBECONFIG: "/kubeconfig" },
    });
    expect(res.issues).toEqual([
      {
        where: "/kubeconfig",
        message: "skipped: a symlink whose target is not found (links are not resolved inside --system-root)",
      },
    ]);
  });

  it("checks the file actually opened, so a link swapped after the check cannot redirect a read", () => {
    const link = join(image.dir, "app/creds.txt");
    const fd = openSync(link, "r");
    try {
      expect(() => assertOpenedUnder(fd, link, image.dir)).toThrow(OutsideSystemRoot);
      expect(() => assertOpenedUnder(fd, link, outside.dir)).not.toThrow();
    } finally {
      closeSync(fd);
    }
    // The read path refuses it before returning a byte.
    expect(() => readSmallSync(link, 100, undefined, image.dir)).toThrow(OutsideSystemRoot);
    expect(readSmallSync(join(image.dir, "app/README.md"), 6, undefined, image.dir).toString()).toBe(
      "hello\n",
    );
  });

  it("follows the same links when home and tree are not inside the system root (a live sandbox)", async () => {
    const res = await inventory({ sources: ["home", "tree"], home, root });
    // One file behind two links: scanned once, by home (the first source).
    expect(res.findings.map((f) => `${f.ruleId} ${f.location.path}`)).toEqual(["vault-token .vault-token"]);
    expect(res.issues).toEqual([]);
  });
});
