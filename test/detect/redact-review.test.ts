import { describe, expect, it } from "vitest";
import { ContentScanner } from "../../src/detect/content.js";
import { embeddedSecrets, Redactor } from "../../src/detect/redact.js";
import { defaultRules } from "../../src/rules/catalog.js";

// Review: embeddedSecrets() finds keyword offsets in `text.toLowerCase()` and slices `text` with
// them. "İ" (U+0130) lower-cases to two code units, so after one, every offset is one too far: the
// window starts past the token's first character and a token embedded in a name (a file name in
// the report's location.path) is printed whole. The same name without the "İ" is masked.

const token = ["gh", "p_"].join("") + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5";

describe("embedded tokens after a character whose lower case is longer (review)", () => {
  const scanner = new ContentScanner(defaultRules());
  for (const name of [`MY_${token}_TOKEN`, `İ_MY_${token}_TOKEN`, `İİİ_${token}_backup.cfg`]) {
    it(`finds and masks the token in ${JSON.stringify(name.replace(token, "<token>"))}`, () => {
      expect(embeddedSecrets(name, scanner)).toContain(token);
      expect(new Redactor(defaultRules()).redact(name)).not.toContain(token);
    });
  }
});
