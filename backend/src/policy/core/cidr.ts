// CIDR membership with ipaddr.js, tolerant of bad input: a malformed CIDR in a policy matches
// nothing and is reported, it never throws out of the engine.
import ipaddr from 'ipaddr.js';

type Parsed = [ipaddr.IPv4 | ipaddr.IPv6, number];
const cache = new Map<string, Parsed | null>();

function parseCidr(cidr: string): Parsed | null {
  let hit = cache.get(cidr);
  if (hit !== undefined) return hit;
  try {
    const withLen = cidr.includes('/') ? cidr : `${cidr}/${cidr.includes(':') ? 128 : 32}`;
    hit = ipaddr.parseCIDR(withLen);
  } catch {
    hit = null;
  }
  if (cache.size > 10_000) cache.clear();
  cache.set(cidr, hit);
  return hit;
}

export function isValidCidr(cidr: string): boolean {
  return parseCidr(cidr) !== null;
}

export function inCidr(ip: string, cidr: string): boolean {
  const range = parseCidr(cidr);
  if (!range || !ipaddr.isValid(ip)) return false;
  const addr = ipaddr.process(ip);
  if (addr.kind() !== range[0].kind()) return false;
  return addr.match(range);
}

/** In `cidr` and in none of `except`. */
export function inBlock(ip: string, cidr: string, except: readonly string[] = []): boolean {
  return inCidr(ip, cidr) && !except.some((e) => inCidr(ip, e));
}
