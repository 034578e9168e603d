// Which IP addresses a webhook may connect to: public unicast ones only. Refused: every range of
// the IANA IPv4 and IPv6 special-purpose address registries that is not globally reachable (this
// network, private, shared/CGNAT, loopback, link-local, IETF protocol assignments, documentation,
// benchmarking, reserved, broadcast, discard, ORCHID, ULA, site-local, ...), multicast, and for
// IPv6 everything outside the global unicast block 2000::/3. An IPv4 address embedded in IPv6 is
// judged as the IPv4 address it reaches (IPv4-mapped ::ffff:0:0/96, NAT64 64:ff9b::/96); the
// other embeddings (IPv4-compatible ::/96, 6to4 2002::/16, Teredo 2001::/32) are deprecated or
// tunnels and refused whole.
import { isIP } from 'node:net';

interface Range {
  readonly family: 4 | 6;
  readonly cidr: string;
  readonly name: string;
  readonly base: bigint;
  readonly prefix: number;
}

/** Most specific first: the first range that contains an address names it. */
const NON_PUBLIC: ReadonlyArray<readonly [string, string]> = [
  // IPv4 (RFC 6890 registry, multicast, reserved)
  ['0.0.0.0/8', 'this network'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared address space (CGNAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local (cloud metadata)'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignments'],
  ['192.0.2.0/24', 'documentation (TEST-NET-1)'],
  ['192.88.99.0/24', 'deprecated 6to4 relay anycast'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation (TEST-NET-2)'],
  ['203.0.113.0/24', 'documentation (TEST-NET-3)'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'limited broadcast'],
  ['240.0.0.0/4', 'reserved'],
  // IPv6 (RFC 6890 registry and successors, multicast, non-unicast space)
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::/96', 'IPv4-compatible (deprecated)'],
  ['64:ff9b:1::/48', 'local-use IPv4/IPv6 translation'],
  ['100::/64', 'discard-only'],
  ['2001::/32', 'Teredo'],
  ['2001:2::/48', 'benchmarking'],
  ['2001:10::/28', 'deprecated ORCHID'],
  ['2001:20::/28', 'ORCHIDv2'],
  ['2001::/23', 'IETF protocol assignments'],
  ['2001:db8::/32', 'documentation'],
  ['2002::/16', '6to4'],
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'SRv6 SIDs'],
  ['fc00::/7', 'unique local (ULA)'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local (deprecated)'],
  ['ff00::/8', 'multicast'],
];

const IPV4_MAPPED = range('::ffff:0:0/96', 'IPv4-mapped');
const NAT64 = range('64:ff9b::/96', 'NAT64');
const GLOBAL_UNICAST_V6 = range('2000::/3', 'global unicast');
const LOOPBACK_V4 = range('127.0.0.0/8', 'loopback');
const RANGES: readonly Range[] = NON_PUBLIC.map(([cidr, name]) => range(cidr, name));

function range(cidr: string, name: string): Range {
  const [ip = '', bits = ''] = cidr.split('/');
  const family = isIP(ip) === 4 ? 4 : 6;
  return { family, cidr, name, base: toBigInt(ip, family), prefix: Number(bits) };
}

function contains(r: Range, family: 4 | 6, value: bigint): boolean {
  if (r.family !== family) return false;
  const width = family === 4 ? 32 : 128;
  const shift = BigInt(width - r.prefix);
  return value >> shift === r.base >> shift;
}

function toBigInt(ip: string, family: 4 | 6): bigint {
  if (family === 4) return ip.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
  let text = ip.split('%')[0] ?? ''; // a zone id (fe80::1%eth0) names an interface, not an address
  const dotted = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const v4 = toBigInt(dotted[2] as string, 4);
    text = `${dotted[1]}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(Number.parseInt(g, 16)), 0n);
}

function v4Text(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
}

/**
 * Why `address` is not a public unicast address (`"127.0.0.0/8 (loopback)"`), or undefined when
 * it is one. Anything that is not an IP address is refused too.
 */
export function nonPublicRange(address: string): string | undefined {
  const kind = isIP(address);
  if (kind !== 4 && kind !== 6) return 'not an IP address';
  const value = toBigInt(address, kind);
  if (kind === 6) {
    for (const embedding of [IPV4_MAPPED, NAT64]) {
      if (!contains(embedding, 6, value)) continue;
      const v4 = v4Text(value & 0xffffffffn);
      const inner = nonPublicRange(v4);
      return inner ? `${embedding.cidr} (${embedding.name} ${v4}: ${inner})` : undefined;
    }
  }
  const hit = RANGES.find((r) => contains(r, kind, value));
  if (hit) return `${hit.cidr} (${hit.name})`;
  if (kind === 6 && !contains(GLOBAL_UNICAST_V6, 6, value)) return 'outside 2000::/3 (not global unicast)';
  return undefined;
}

/** 127.0.0.0/8, ::1 and IPv4-mapped loopback: what local mode lets webhooks reach. */
export function isLoopbackAddress(address: string): boolean {
  const kind = isIP(address);
  if (kind === 4) return contains(LOOPBACK_V4, 4, toBigInt(address, 4));
  if (kind !== 6) return false;
  const value = toBigInt(address, 6);
  if (value === 1n) return true;
  return contains(IPV4_MAPPED, 6, value) && contains(LOOPBACK_V4, 4, value & 0xffffffffn);
}
