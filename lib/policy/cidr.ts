/**
 * Client addresses and CIDR ranges, IPv4 and IPv6. An IPv4 client seen on a
 * dual-stack listener (`::ffff:10.0.0.1`) is its IPv4 address.
 */

export interface Cidr {
  /** As written. */
  readonly text: string;
  readonly bytes: Uint8Array;
  readonly prefix: number;
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(parts[i]) || Number(parts[i]) > 255) return null;
    bytes[i] = Number(parts[i]);
  }
  return bytes;
}

function parseIpv6(text: string): Uint8Array | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const words: number[][] = [];
  for (const [h, half] of halves.entries()) {
    const group: number[] = [];
    if (half !== "") {
      const parts = half.split(":");
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i];
        // An embedded IPv4 address can only be the last 32 bits.
        if (h === halves.length - 1 && i === parts.length - 1 && part.includes(".")) {
          const v4 = parseIpv4(part);
          if (v4 === null) return null;
          group.push(v4[0] << 8 | v4[1], v4[2] << 8 | v4[3]);
        } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
          group.push(parseInt(part, 16));
        } else {
          return null;
        }
      }
    }
    words.push(group);
  }
  const count = words.reduce((sum, group) => sum + group.length, 0);
  if (halves.length === 1 ? count !== 8 : count > 7) return null;
  const all = halves.length === 1
    ? words[0]
    : [...words[0], ...new Array(8 - count).fill(0), ...words[1]];
  const bytes = new Uint8Array(16);
  all.forEach((word, i) => {
    bytes[2 * i] = word >> 8;
    bytes[2 * i + 1] = word & 0xff;
  });
  return bytes;
}

/** An address as bytes (4 for IPv4, IPv4-mapped IPv6 included; 16 for IPv6), or `null`. */
export function parseAddress(text: string): Uint8Array | null {
  const host = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (!host.includes(":")) return parseIpv4(host);
  const bytes = parseIpv6(host);
  if (bytes === null) return null;
  const mapped = bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff &&
    bytes[11] === 0xff;
  return mapped ? bytes.slice(12) : bytes;
}

/** Parses `10.0.0.0/8`, `fd00::/8` or a single address; throws `Error` explaining what is wrong. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf("/");
  const address = slash < 0 ? text : text.slice(0, slash);
  const bytes = parseAddress(address.trim());
  if (bytes === null) throw new Error(`Invalid address ${JSON.stringify(address)}`);
  const bits = bytes.length * 8;
  let prefix = bits;
  if (slash >= 0) {
    const length = text.slice(slash + 1);
    if (!/^[0-9]{1,3}$/.test(length) || Number(length) > bits) {
      throw new Error(`Invalid prefix length /${length} (want 0 to ${bits})`);
    }
    prefix = Number(length);
  }
  for (let bit = prefix; bit < bits; bit++) {
    if ((bytes[bit >> 3] >> (7 - (bit & 7))) & 1) {
      throw new Error(`${text} has host bits set (the network is ${networkOf(bytes, prefix)})`);
    }
  }
  return { text, bytes, prefix };
}

function networkOf(bytes: Uint8Array, prefix: number): string {
  const masked = bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return b & (0xff << (8 - keep));
  });
  const host = masked.length === 4
    ? masked.join(".")
    : [...Array(8).keys()].map((i) => ((masked[2 * i] << 8) | masked[2 * i + 1]).toString(16)).join(
      ":",
    );
  return `${host}/${prefix}`;
}

/** Whether `address` (from `parseAddress`) lies in `cidr`. */
export function cidrContains(cidr: Cidr, address: Uint8Array): boolean {
  if (address.length !== cidr.bytes.length) return false;
  let bit = 0;
  for (; bit + 8 <= cidr.prefix; bit += 8) {
    if (address[bit >> 3] !== cidr.bytes[bit >> 3]) return false;
  }
  if (bit === cidr.prefix) return true;
  const mask = 0xff << (8 - (cidr.prefix - bit)) & 0xff;
  return (address[bit >> 3] & mask) === cidr.bytes[bit >> 3];
}

/** Whether every address in `inner` lies in `outer`. */
export function cidrCovers(outer: Cidr, inner: Cidr): boolean {
  return outer.bytes.length === inner.bytes.length && outer.prefix <= inner.prefix &&
    cidrContains(outer, inner.bytes);
}
