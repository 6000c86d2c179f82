import { describe, expect, it } from "vitest";
import {
  type CommandRunner,
  collectFirewall,
  iptablesDefaultDeny,
  nftDefaultDeny,
} from "../../../src/capabilities/egress/firewall.js";

const INET_DROP = `table inet filter {
	chain output {
		type filter hook output priority filter; policy drop;
		oif "lo" accept
		ct state established,related accept
		ip daddr 10.0.0.1 tcp dport 3128 accept
	}
}
`;
const IP_ONLY = INET_DROP.replace("table inet", "table ip");
const IP6_INPUT_ONLY = `table ip6 f {
	chain input {
		type filter hook input priority filter; policy drop;
	}
	chain output {
		type filter hook output priority filter; policy accept;
	}
}
`;
const FINAL_REJECT = `table ip6 f {
	chain output {
		type filter hook output priority filter; policy accept;
		oif "lo" accept
		reject with icmpv6 admin-prohibited
	}
}
`;

describe("nftables ruleset", () => {
  it.each([
    ["inet drop covers both families", INET_DROP, { ipv4: true, ipv6: true }],
    ["ip drop covers IPv4 only", IP_ONLY, { ipv4: true, ipv6: false }],
    ["a drop policy on input is not egress", IP6_INPUT_ONLY, { ipv4: false, ipv6: false }],
    ["a final reject counts", FINAL_REJECT, { ipv4: false, ipv6: true }],
    ["empty", "", { ipv4: false, ipv6: false }],
  ])("%s", (_n, text, want) => {
    expect(nftDefaultDeny(text)).toEqual(want);
  });
});

describe("iptables-save", () => {
  it.each([
    [
      "policy drop",
      "*filter\n:INPUT ACCEPT [0:0]\n:OUTPUT DROP [0:0]\n-A OUTPUT -o lo -j ACCEPT\nCOMMIT\n",
      true,
    ],
    [
      "final reject (init-firewall.sh)",
      "*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -p udp --dport 53 -j ACCEPT\n-A OUTPUT -j REJECT --reject-with icmp-admin-prohibited\nCOMMIT\n",
      true,
    ],
    ["accept", "*filter\n:OUTPUT ACCEPT [0:0]\n-A OUTPUT -o lo -j ACCEPT\nCOMMIT\n", false],
    ["nat only", "*nat\n:OUTPUT DROP [0:0]\nCOMMIT\n", false],
  ])("%s", (_n, text, want) => {
    expect(iptablesDefaultDeny(text)).toBe(want);
  });
});

describe("collectFirewall", () => {
  it("combines the tools and says which could not be read", async () => {
    const calls: string[] = [];
    const run: CommandRunner = async (cmd) => {
      calls.push(cmd);
      if (cmd === "nft") return { status: "ok", stdout: IP_ONLY };
      if (cmd === "iptables-save") return { status: "not-permitted" };
      return { status: "not-installed" };
    };
    expect(await collectFirewall(run, 1000)).toEqual({
      tools: { nft: "read", "iptables-save": "not-permitted", "ip6tables-save": "not-installed" },
      ipv4OutputDefaultDeny: true,
      ipv6OutputDefaultDeny: false,
    });
    expect(calls.sort()).toEqual(["ip6tables-save", "iptables-save", "nft"]);
  });

  it("nothing readable: unknown, not false", async () => {
    const run: CommandRunner = async () => ({ status: "not-installed" });
    expect(await collectFirewall(run, 1000)).toMatchObject({
      ipv4OutputDefaultDeny: null,
      ipv6OutputDefaultDeny: null,
    });
  });
});
