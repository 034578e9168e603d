// Which addresses a webhook may reach: every non-public range of the IANA special-purpose
// registries, multicast, reserved space and non-unicast IPv6, each at its first and last address
// and the neighbours just outside; embedded IPv4 (mapped, NAT64) judged as the IPv4 it reaches.
import { isLoopbackAddress, nonPublicRange } from '@switchyard/adapters';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const PUBLIC = undefined;

describe('nonPublicRange: IPv4', () => {
  it.each([
    ['0.0.0.0', '0.0.0.0/8 (this network)'],
    ['0.255.255.255', '0.0.0.0/8 (this network)'],
    ['1.0.0.0', PUBLIC],
    ['9.255.255.255', PUBLIC],
    ['10.0.0.0', '10.0.0.0/8 (private)'],
    ['10.255.255.255', '10.0.0.0/8 (private)'],
    ['11.0.0.0', PUBLIC],
    ['100.63.255.255', PUBLIC],
    ['100.64.0.0', '100.64.0.0/10 (shared address space (CGNAT))'],
    ['100.127.255.255', '100.64.0.0/10 (shared address space (CGNAT))'],
    ['100.128.0.0', PUBLIC],
    ['126.255.255.255', PUBLIC],
    ['127.0.0.0', '127.0.0.0/8 (loopback)'],
    ['127.0.0.1', '127.0.0.0/8 (loopback)'],
    ['127.255.255.255', '127.0.0.0/8 (loopback)'],
    ['128.0.0.0', PUBLIC],
    ['169.253.255.255', PUBLIC],
    ['169.254.0.0', '169.254.0.0/16 (link-local (cloud metadata))'],
    ['169.254.169.254', '169.254.0.0/16 (link-local (cloud metadata))'],
    ['169.254.255.255', '169.254.0.0/16 (link-local (cloud metadata))'],
    ['169.255.0.0', PUBLIC],
    ['172.15.255.255', PUBLIC],
    ['172.16.0.0', '172.16.0.0/12 (private)'],
    ['172.31.255.255', '172.16.0.0/12 (private)'],
    ['172.32.0.0', PUBLIC],
    ['191.255.255.255', PUBLIC],
    ['192.0.0.0', '192.0.0.0/24 (IETF protocol assignments)'],
    ['192.0.0.255', '192.0.0.0/24 (IETF protocol assignments)'],
    ['192.0.1.0', PUBLIC],
    ['192.0.2.0', '192.0.2.0/24 (documentation (TEST-NET-1))'],
    ['192.0.2.255', '192.0.2.0/24 (documentation (TEST-NET-1))'],
    ['192.0.3.0', PUBLIC],
    ['192.88.98.255', PUBLIC],
    ['192.88.99.0', '192.88.99.0/24 (deprecated 6to4 relay anycast)'],
    ['192.88.99.255', '192.88.99.0/24 (deprecated 6to4 relay anycast)'],
    ['192.88.100.0', PUBLIC],
    ['192.167.255.255', PUBLIC],
    ['192.168.0.0', '192.168.0.0/16 (private)'],
    ['192.168.255.255', '192.168.0.0/16 (private)'],
    ['192.169.0.0', PUBLIC],
    ['198.17.255.255', PUBLIC],
    ['198.18.0.0', '198.18.0.0/15 (benchmarking)'],
    ['198.19.255.255', '198.18.0.0/15 (benchmarking)'],
    ['198.20.0.0', PUBLIC],
    ['198.51.99.255', PUBLIC],
    ['198.51.100.0', '198.51.100.0/24 (documentation (TEST-NET-2))'],
    ['198.51.100.255', '198.51.100.0/24 (documentation (TEST-NET-2))'],
    ['198.51.101.0', PUBLIC],
    ['203.0.112.255', PUBLIC],
    ['203.0.113.0', '203.0.113.0/24 (documentation (TEST-NET-3))'],
    ['203.0.113.255', '203.0.113.0/24 (documentation (TEST-NET-3))'],
    ['203.0.114.0', PUBLIC],
    ['223.255.255.255', PUBLIC],
    ['224.0.0.0', '224.0.0.0/4 (multicast)'],
    ['239.255.255.255', '224.0.0.0/4 (multicast)'],
    ['240.0.0.0', '240.0.0.0/4 (reserved)'],
    ['255.255.255.254', '240.0.0.0/4 (reserved)'],
    ['255.255.255.255', '255.255.255.255/32 (limited broadcast)'],
    ['8.8.8.8', PUBLIC],
    ['93.184.216.34', PUBLIC],
    ['192.31.196.1', PUBLIC], // AS112: globally reachable in the registry
  ])('%s -> %s', (address, expected) => {
    expect(nonPublicRange(address)).toBe(expected);
  });
});

describe('nonPublicRange: IPv6', () => {
  it.each([
    ['::', '::/128 (unspecified)'],
    ['::1', '::1/128 (loopback)'],
    ['::2', '::/96 (IPv4-compatible (deprecated))'],
    ['::7f00:1', '::/96 (IPv4-compatible (deprecated))'],
    ['::127.0.0.1', '::/96 (IPv4-compatible (deprecated))'],
    ['::ffff:ffff', '::/96 (IPv4-compatible (deprecated))'],
    ['::1:0:0', 'outside 2000::/3 (not global unicast)'],
    ['::ffff:127.0.0.1', '::ffff:0:0/96 (IPv4-mapped 127.0.0.1: 127.0.0.0/8 (loopback))'],
    ['::ffff:7f00:1', '::ffff:0:0/96 (IPv4-mapped 127.0.0.1: 127.0.0.0/8 (loopback))'],
    [
      '::ffff:a9fe:a9fe',
      '::ffff:0:0/96 (IPv4-mapped 169.254.169.254: 169.254.0.0/16 (link-local (cloud metadata)))',
    ],
    ['::ffff:0:0', '::ffff:0:0/96 (IPv4-mapped 0.0.0.0: 0.0.0.0/8 (this network))'],
    ['::ffff:8.8.8.8', PUBLIC],
    ['64:ff9b::7f00:1', '64:ff9b::/96 (NAT64 127.0.0.1: 127.0.0.0/8 (loopback))'],
    ['64:ff9b::10.1.2.3', '64:ff9b::/96 (NAT64 10.1.2.3: 10.0.0.0/8 (private))'],
    ['64:ff9b::808:808', PUBLIC],
    ['64:ff9b::1:0:0', 'outside 2000::/3 (not global unicast)'],
    ['64:ff9b:1::', '64:ff9b:1::/48 (local-use IPv4/IPv6 translation)'],
    ['64:ff9b:1:ffff:ffff:ffff:ffff:ffff', '64:ff9b:1::/48 (local-use IPv4/IPv6 translation)'],
    ['64:ff9b:2::', 'outside 2000::/3 (not global unicast)'],
    ['100::', '100::/64 (discard-only)'],
    ['100::ffff:ffff:ffff:ffff', '100::/64 (discard-only)'],
    ['100:0:0:1::', 'outside 2000::/3 (not global unicast)'],
    ['1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'outside 2000::/3 (not global unicast)'],
    ['2000::', PUBLIC],
    ['2001::', '2001::/32 (Teredo)'],
    ['2001:0:ffff:ffff:ffff:ffff:ffff:ffff', '2001::/32 (Teredo)'],
    ['2001:1::1', '2001::/23 (IETF protocol assignments)'],
    ['2001:2::', '2001:2::/48 (benchmarking)'],
    ['2001:2:0:ffff::1', '2001:2::/48 (benchmarking)'],
    ['2001:2:1::', '2001::/23 (IETF protocol assignments)'],
    ['2001:10::', '2001:10::/28 (deprecated ORCHID)'],
    ['2001:1f:ffff::1', '2001:10::/28 (deprecated ORCHID)'],
    ['2001:20::', '2001:20::/28 (ORCHIDv2)'],
    ['2001:2f:ffff::1', '2001:20::/28 (ORCHIDv2)'],
    ['2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff', '2001::/23 (IETF protocol assignments)'],
    ['2001:200::', PUBLIC],
    ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', PUBLIC],
    ['2001:db8::', '2001:db8::/32 (documentation)'],
    ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', '2001:db8::/32 (documentation)'],
    ['2001:db9::', PUBLIC],
    ['2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff', PUBLIC],
    ['2002::', '2002::/16 (6to4)'],
    ['2002:7f00:1::1', '2002::/16 (6to4)'],
    ['2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '2002::/16 (6to4)'],
    ['2003::', PUBLIC],
    ['2606:4700:4700::1111', PUBLIC],
    ['3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff', PUBLIC],
    ['3fff::', '3fff::/20 (documentation)'],
    ['3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff', '3fff::/20 (documentation)'],
    ['3fff:1000::', PUBLIC],
    ['3fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', PUBLIC],
    ['4000::', 'outside 2000::/3 (not global unicast)'],
    ['5f00::1', '5f00::/16 (SRv6 SIDs)'],
    ['fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'outside 2000::/3 (not global unicast)'],
    ['fc00::', 'fc00::/7 (unique local (ULA))'],
    ['fd00:ec2::254', 'fc00::/7 (unique local (ULA))'],
    ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'fc00::/7 (unique local (ULA))'],
    ['fe00::', 'outside 2000::/3 (not global unicast)'],
    ['fe80::', 'fe80::/10 (link-local)'],
    ['fe80::1%eth0', 'fe80::/10 (link-local)'],
    ['febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'fe80::/10 (link-local)'],
    ['fec0::', 'fec0::/10 (site-local (deprecated))'],
    ['feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'fec0::/10 (site-local (deprecated))'],
    ['ff00::', 'ff00::/8 (multicast)'],
    ['ff02::1', 'ff00::/8 (multicast)'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ff00::/8 (multicast)'],
  ])('%s -> %s', (address, expected) => {
    expect(nonPublicRange(address)).toBe(expected);
  });

  it('refuses anything that is not an IP address', () => {
    for (const junk of ['localhost', 'hooks.example.com', '', '1.2.3', '::g', '300.1.1.1']) {
      expect(nonPublicRange(junk)).toBe('not an IP address');
    }
  });
});

describe('nonPublicRange: properties', () => {
  const v4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join('.'));

  it('an IPv4 address and its IPv4-mapped and NAT64 forms are public or not together', () => {
    fc.assert(
      fc.property(v4, (ip) => {
        const alone = nonPublicRange(ip) === undefined;
        expect(nonPublicRange(`::ffff:${ip}`) === undefined).toBe(alone);
        expect(nonPublicRange(`64:ff9b::${ip}`) === undefined).toBe(alone);
      }),
    );
  });

  it('the IPv4-compatible and 6to4 forms of any IPv4 address are refused', () => {
    fc.assert(
      fc.property(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)), ([a, b, c, d]) => {
        const hex = (x: number, y: number) => ((x << 8) | y).toString(16);
        expect(nonPublicRange(`::${a}.${b}.${c}.${d}`)).toBeDefined();
        expect(nonPublicRange(`2002:${hex(a, b)}:${hex(c, d)}::1`)).toBe('2002::/16 (6to4)');
      }),
    );
  });
});

describe('isLoopbackAddress (what local mode lets through)', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.0.0.0', true],
    ['127.255.255.255', true],
    ['126.255.255.255', false],
    ['128.0.0.0', false],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:7f00:1', true],
    ['::ffff:8.8.8.8', false],
    ['::2', false],
    ['::', false],
    ['::7f00:1', false],
    ['64:ff9b::7f00:1', false],
    ['10.0.0.1', false],
    ['localhost', false],
  ])('%s -> %s', (address, expected) => {
    expect(isLoopbackAddress(address)).toBe(expected);
  });
});
