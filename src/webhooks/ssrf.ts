import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { invalid } from '../errors.js';

// Addresses a webhook must never reach unless the operator allows it: loopback, private, link-local (cloud
// metadata lives at 169.254.169.254), carrier-grade NAT, multicast, reserved and their IPv6 equivalents.
const blocked = new BlockList();
for (const [net, bits] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  blocked.addSubnet(net, bits, 'ipv4');
}
for (const [net, bits] of [
  ['::', 128],
  ['::1', 128],
  ['64:ff9b::', 96],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, bits, 'ipv6');
}

/** True for an address a webhook may not be sent to (IPv4-mapped IPv6 is checked as IPv4). */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family === 6) return blocked.check(address, 'ipv6');
  return true;
}

/** Parse and check a callback URL's form: http(s), a host, no credentials. */
export function parseWebhookUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw invalid(`"${raw}" is not a valid URL`, 'callback_url_invalid');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalid('the callback URL must start with http:// or https://', 'callback_url_invalid');
  if (url.username || url.password)
    throw invalid('the callback URL must not contain credentials', 'callback_url_invalid');
  return url;
}

/**
 * Resolve the URL's host and refuse it when any address is private (unless allowed). Deliveries check again
 * at connect time (see http-client.ts), so a DNS answer that changes later cannot slip through.
 */
export async function assertDeliverableUrl(raw: string, allowPrivate: boolean): Promise<URL> {
  const url = parseWebhookUrl(raw);
  if (allowPrivate) return url;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host)
      ? [host]
      : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch {
    throw invalid(`the callback host ${host} does not resolve`, 'callback_url_invalid');
  }
  const bad = addresses.find(isPrivateAddress);
  if (bad !== undefined || addresses.length === 0) {
    throw invalid(
      `the callback URL resolves to a private, loopback or link-local address (${bad ?? 'none'}), which is not allowed`,
      'callback_url_invalid',
    );
  }
  return url;
}
