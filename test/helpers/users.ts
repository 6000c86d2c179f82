// passwd(5) and group(5) fixtures for --as-user: "agent" (uid 12345) with supplementary group
// "shared" (23456); "agentx" in agents-too must not count as "agent".
export const PASSWD = [
  "root:x:0:0:root:/root:/bin/bash",
  "# a comment line",
  "agent:x:12345:12345:AI agent:/home/agent:/bin/sh",
  "other:x:23456:23456::/home/other:/bin/sh",
  "",
].join("\n");
export const GROUP = [
  "root:x:0:",
  "agent:x:12345:",
  "shared:x:23456:other,agent",
  "misc:x:34567:other",
  "agents-too:x:45678:agentx",
  "",
].join("\n");
