// Address arithmetic for the provider's Docker network: which addresses Docker hands out by itself, and which
// ones the provider gives its load balancers. Pure functions; the Docker calls are in network.ts.
import ipaddr from 'ipaddr.js';

/** One subnet of a Docker network, as its IPAM config says it. */
interface SubnetConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;

function toBigInt(address: Address): bigint {
  return address.toByteArray().reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);
}

function fromBigInt(value: bigint, bytes: number): Address {
  const array = Array.from({ length: bytes }, (_, index) =>
    Number((value >> BigInt(8 * (bytes - 1 - index))) & 0xffn),
  );
  return ipaddr.fromByteArray(array);
}

/** An address as Docker writes it back (IPv6 compressed), so that addresses compare as strings. */
export function canonicalAddress(address: string): string {
  const parsed = ipaddr.parse(address);
  return parsed.kind() === 'ipv6' ? (parsed as ipaddr.IPv6).toRFC5952String() : parsed.toString();
}

/** Docker's address allocator counts offsets in a subnet as signed 64-bit numbers: its range stays well inside. */
const maxSplitBits = 32;

/**
 * The network's subnet split in two: Docker hands out addresses of its own (to containers that ask for none:
 * Machines, other tools) only from its IP range, the upper half of the subnet (of its first 2^32 addresses, for
 * an IPv6 subnet), and the provider gives load balancers addresses from below it. So no container started by
 * anyone else can take a load balancer's address.
 */
export function splitSubnet(subnet: string): Required<SubnetConfig> {
  const [, bits] = ipaddr.parseCIDR(subnet);
  const { first, bytes } = bounds(subnet);
  const splitBits = Math.min(bytes * 8 - bits, maxSplitBits);
  const range = first + (1n << BigInt(splitBits - 1));
  return {
    Subnet: `${fromBigInt(first, bytes).toString()}/${bits}`,
    IPRange: `${fromBigInt(range, bytes).toString()}/${bytes * 8 - splitBits + 1}`,
    Gateway: fromBigInt(first + 1n, bytes).toString(),
  };
}

/**
 * The lowest address of the subnet that the provider may give a load balancer and that is not reserved: not
 * the subnet's own address, its gateway, its last address, nor in the range Docker allocates from by itself.
 * Undefined when the subnet has none left.
 */
export function firstFreeAddress(config: SubnetConfig, reserved: ReadonlySet<string>): string | undefined {
  if (!config.Subnet) return undefined;
  const subnet = bounds(config.Subnet);
  const range = config.IPRange ? bounds(config.IPRange) : undefined;
  const gateway = config.Gateway && canonicalAddress(config.Gateway);
  for (let value = subnet.first + 1n; value < subnet.last; value += 1n) {
    if (range && value >= range.first && value <= range.last) {
      value = range.last;
      continue;
    }
    const candidate = canonicalAddress(fromBigInt(value, subnet.bytes).toString());
    if (candidate !== gateway && !reserved.has(candidate)) return candidate;
  }
  return undefined;
}

/** A CIDR's first and last address as numbers, and how many bytes its addresses have. */
function bounds(cidr: string): { first: bigint; last: bigint; bytes: number } {
  const [network, bits] = ipaddr.parseCIDR(cidr);
  const bytes = network.toByteArray().length;
  const hostBits = BigInt(bytes * 8 - bits);
  const first = toBigInt(network) & ~((1n << hostBits) - 1n);
  return { first, last: first + (1n << hostBits) - 1n, bytes };
}
