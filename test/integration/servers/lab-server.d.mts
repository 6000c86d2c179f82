// Types for lab-server.mjs (plain JS: the lab runs it with `node` inside network namespaces).
import type { Socket } from "node:dgram";
import type { Server } from "node:http";

export interface Listener {
  host: string;
  port: number;
}
/** DNS answers per name: IPv4 (a) and IPv6 (aaaa) addresses. */
export type DnsRecords = Record<string, { a?: string[]; aaaa?: string[] }>;

export function startHttp(listeners: Listener[], name?: string): Promise<Server[]>;
export function dnsResponse(query: Buffer, records: DnsRecords): Buffer | undefined;
export function startDns(listeners: Listener[], records: DnsRecords): Promise<Socket[]>;
