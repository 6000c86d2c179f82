import { describe, expect, it } from "vitest";
import { PARSERS } from "../../../src/detect/parsers/index.js";
import type { Detection } from "../../../src/rules/types.js";

const RULE = {
  id: "maven-settings",
  provider: "maven",
  title: "t",
  severity: "high" as const,
  remediation: "r",
};
const shape = (d: Detection) => ({
  ruleId: d.ruleId,
  type: d.type,
  name: d.name,
  line: d.line,
  severity: d.severity,
});
function run(text: string) {
  const res = PARSERS.xml!({ text, path: "settings.xml", rule: RULE });
  return {
    shapes: res.detections.map(shape),
    secrets: res.detections.map((d) => d.secret),
    malformed: res.malformed,
  };
}

describe("xml parser (Maven settings.xml, NuGet.Config)", () => {
  it(`Maven server passwords; \${env.X} is a reference; {…} is encrypted (low)`, () => {
    const text = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      "<settings>",
      "  <servers>",
      "    <server><id>central</id><username>deployer</username><password>Mv7!Lm2Xw7&amp;Rt5</password></server>",
      `    <server><id>env</id><password>\${env.MAVEN_PASSWORD}</password></server>`,
      "    <server><id>enc</id><password>{COQLCE6DU6GtcS5P=}</password></server>",
      `    <server><id>ssh</id><privateKey>\${user.home}/.ssh/id_rsa</privateKey><passphrase>Kq3#Lm2Xw7Rt</passphrase></server>`,
      "  </servers>",
      "</settings>",
    ].join("\n");
    const r = run(text);
    expect(r.shapes).toEqual([
      { ruleId: "maven-settings", type: "password", name: "password", line: 4, severity: "high" },
      { ruleId: "maven-settings", type: "encrypted-password", name: "password", line: 6, severity: "low" },
      { ruleId: "maven-settings", type: "password", name: "passphrase", line: 7, severity: "high" },
    ]);
    expect(r.secrets).toEqual(["Mv7!Lm2Xw7&Rt5", "{COQLCE6DU6GtcS5P=}", "Kq3#Lm2Xw7Rt"]);
  });

  it("NuGet ClearTextPassword is reported; the DPAPI-encrypted Password is not", () => {
    const text = [
      "<configuration>",
      "  <packageSourceCredentials>",
      "    <corp>",
      '      <add key="Username" value="ci" />',
      '      <add key="ClearTextPassword" value="Nu9!Lm2Xw7Rt5" />',
      "    </corp>",
      "    <other>",
      '      <add key="Password" value="AQAAANCMnd8BFdERjHoAwE/Cl+sBAAAA" />',
      "    </other>",
      "  </packageSourceCredentials>",
      "</configuration>",
    ].join("\n");
    const r = run(text);
    expect(r.shapes).toEqual([
      { ruleId: "maven-settings", type: "password", name: "ClearTextPassword", line: 5, severity: "high" },
    ]);
    expect(r.secrets).toEqual(["Nu9!Lm2Xw7Rt5"]);
  });

  it("a file that is not XML is malformed", () => {
    expect(run("password=Mv7!Lm2Xw7Rt5")).toEqual({ shapes: [], secrets: [], malformed: "not valid XML" });
  });
});

describe("xml parser: CDATA and hostile input (issue 8)", () => {
  it("reads a Maven password held in <![CDATA[...]]> (it was missed), as it is, with its line", () => {
    const pw = ["Cd8", "<&>", "Lm2Xw7Rt5Yp8"].join("");
    const text = [
      "<settings><servers>",
      "  <server><id>corp</id><username>ci</username>",
      `    <password><![CDATA[${pw}]]></password>`,
      "  </server>",
      "</servers></settings>",
    ].join("\n");
    const r = run(text);
    expect(r.secrets).toEqual([pw]);
    expect(r.shapes).toEqual([
      { ruleId: "maven-settings", type: "password", name: "password", line: 3, severity: "high" },
    ]);
  });

  it("joins character data and CDATA sections, and skips an element holding other markup", () => {
    const text = [
      "<settings>",
      "<password>Qx7&amp;Lm<![CDATA[2Xw7]]>Rt5Yp</password>",
      "<password><!-- no -->Zz9Lm2Xw7Rt5</password>",
      "<password><![CDATA[never closed</password>",
      "</settings>",
    ].join("\n");
    expect(run(text).secrets).toEqual(["Qx7&Lm2Xw7Rt5Yp"]);
  });

  it("stays linear on 100,000 unclosed elements and never throws", () => {
    const text = `<settings>${"<password>a".repeat(100_000)}`;
    expect(run(text)).toEqual({ shapes: [], secrets: [], malformed: undefined });
  });
});
