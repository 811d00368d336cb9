/**
 * Where workgroup broadcasts go. Several license servers on one machine must all hear a broadcast, and on Linux
 * loopback a single shared UDP port cannot do that with unicast (see DIRECTORY.md, "Broadcast on loopback"), so each
 * responder takes the first free port of a small range on 127.0.0.1 and the terminal server sends its DISCOVER to
 * every port of the range.
 */
export interface PortRange {
  first: number;
  count: number;
}

/** Our own well-known range (Windows used a mailslot; its names are not public). */
export const DISCOVERY_PORTS: Readonly<PortRange> = { first: 42510, count: 8 };
/** A range wider than this is refused: every discovery round sends one datagram per port. */
export const MAX_PORT_COUNT = 64;

/** The one address broadcasts are sent to and responders listen on. */
export const LOOPBACK = '127.0.0.1';

/** Checks a range, or throws a RangeError saying what is wrong. */
export function checkPortRange(range: PortRange): PortRange {
  const { first, count } = range;
  if (!Number.isInteger(first) || first < 1 || first > 65535) throw new RangeError(`discovery port ${first} is not between 1 and 65535`);
  if (!Number.isInteger(count) || count < 1 || count > MAX_PORT_COUNT) {
    throw new RangeError(`discovery port count ${count} is not between 1 and ${MAX_PORT_COUNT}`);
  }
  if (first + count - 1 > 65535) throw new RangeError(`discovery ports ${first}-${first + count - 1} run past 65535`);
  return range;
}

export function portsOf(range: PortRange): number[] {
  return Array.from({ length: range.count }, (_, i) => range.first + i);
}

export function describeRange(range: PortRange): string {
  return `${LOOPBACK}:${range.first}-${range.first + range.count - 1}`;
}
