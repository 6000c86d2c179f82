// Servers for the egress lab and the probe unit tests: tiny HTTP responders on many host:port pairs and
// an authoritative-only DNS responder. Run as `node lab-server.mjs '<json config>'` (prints "ready" once
// every socket listens) or import the pieces. Nothing here ever opens an outbound connection.
import { createSocket } from "node:dgram";
import { createServer, isIP } from "node:net";

/** Answers every request on every socket with 200 and a body naming the server; port 22/25/53 too. */
export function startHttp(listeners, name = "lab") {
  return Promise.all(
    listeners.map(
      ({ host, port }) =>
        new Promise((resolve, reject) => {
          const server = createServer((socket) => {
            socket.on("error", () => {});
            let seen = "";
            socket.on("data", (d) => {
              seen += d.toString("latin1");
              if (!seen.includes("\r\n\r\n")) return;
              const body = `${name} ${host}:${port}\n`;
              socket.end(
                `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Lab-Server: ${name}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
              );
            });
          });
          server.once("error", reject);
          server.listen({ host, port }, () => resolve(server));
        }),
    ),
  );
}

/** Builds a DNS response for `query` from `records` ({ name: { a: [...], aaaa: [...] } }); NXDOMAIN otherwise. */
export function dnsResponse(query, records) {
  if (query.length < 12) return undefined;
  let off = 12;
  const labels = [];
  while (off < query.length && query[off] !== 0) {
    const len = query[off];
    labels.push(query.subarray(off + 1, off + 1 + len).toString("latin1"));
    off += 1 + len;
  }
  const qEnd = off + 5;
  if (qEnd > query.length) return undefined;
  const qtype = query.readUInt16BE(off + 1);
  const name = labels.join(".").toLowerCase();
  const rec = records[name];
  const answers = [];
  if (rec) {
    const list = qtype === 1 ? (rec.a ?? []) : qtype === 28 ? (rec.aaaa ?? []) : [];
    for (const addr of list) {
      const rdata = qtype === 1 ? Buffer.from(addr.split(".").map(Number)) : ipv6Bytes(addr);
      const rr = Buffer.alloc(12);
      rr.writeUInt16BE(0xc00c, 0);
      rr.writeUInt16BE(qtype, 2);
      rr.writeUInt16BE(1, 4);
      rr.writeUInt32BE(60, 6);
      rr.writeUInt16BE(rdata.length, 10);
      answers.push(rr, rdata);
    }
  }
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  const rcode = rec ? 0 : 3;
  header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length / 2, 6);
  return Buffer.concat([header, query.subarray(12, qEnd), ...answers]);
}

function ipv6Bytes(addr) {
  const [head, tail] = addr.split("::");
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const groups = addr.includes("::") ? [...h, ...Array(8 - h.length - t.length).fill("0"), ...t] : h;
  const out = Buffer.alloc(16);
  for (const [i, g] of groups.entries()) out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  return out;
}

export function startDns(listeners, records) {
  return Promise.all(
    listeners.map(
      ({ host, port }) =>
        new Promise((resolve, reject) => {
          const sock = createSocket(isIP(host) === 6 ? "udp6" : "udp4");
          sock.on("message", (msg, rinfo) => {
            const res = dnsResponse(msg, records);
            if (res) sock.send(res, rinfo.port, rinfo.address);
          });
          sock.once("error", reject);
          sock.bind({ address: host, port }, () => resolve(sock));
        }),
    ),
  );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  const config = JSON.parse(process.argv[2] ?? "{}");
  await startHttp(config.http ?? [], config.name ?? "lab");
  await startDns(config.dns ?? [], config.records ?? {});
  process.stdout.write("ready\n");
  process.on("SIGTERM", () => process.exit(0));
}
