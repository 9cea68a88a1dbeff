import { BlockList, isIP } from 'node:net';

/*
 * Which addresses a feed may not be fetched from. Checked on the address a socket connects to (see fetch.ts),
 * never on a separate lookup a DNS rebinding could change in between.
 */

function list(entries: [string, number, 'ipv4' | 'ipv6'][]): BlockList {
	const blocked = new BlockList();
	for (const [network, prefix, family] of entries) blocked.addSubnet(network, prefix, family);
	return blocked;
}

// Cloud metadata services: refused even when the host allows private feeds (no feed lives there).
const metadata = new BlockList();
metadata.addAddress('169.254.169.254', 'ipv4');
metadata.addAddress('169.254.170.2', 'ipv4');
metadata.addAddress('100.100.100.200', 'ipv4');
metadata.addAddress('fd00:ec2::254', 'ipv6');

const reasons: [string, BlockList][] = [
	[
		'loopback',
		list([
			['127.0.0.0', 8, 'ipv4'],
			['::1', 128, 'ipv6']
		])
	],
	[
		'private',
		list([
			['10.0.0.0', 8, 'ipv4'],
			['172.16.0.0', 12, 'ipv4'],
			['192.168.0.0', 16, 'ipv4'],
			['fc00::', 7, 'ipv6']
		])
	],
	[
		'link-local',
		list([
			['169.254.0.0', 16, 'ipv4'],
			['fe80::', 10, 'ipv6']
		])
	],
	['CGNAT', list([['100.64.0.0', 10, 'ipv4']])],
	[
		'reserved',
		list([
			['0.0.0.0', 8, 'ipv4'],
			['192.0.0.0', 24, 'ipv4'],
			['192.0.2.0', 24, 'ipv4'],
			['198.18.0.0', 15, 'ipv4'],
			['198.51.100.0', 24, 'ipv4'],
			['203.0.113.0', 24, 'ipv4'],
			['224.0.0.0', 4, 'ipv4'],
			['240.0.0.0', 4, 'ipv4'],
			['::', 128, 'ipv6'],
			['2001:db8::', 32, 'ipv6'],
			['ff00::', 8, 'ipv6']
		])
	]
];

/** An IPv4 address hidden in an IPv6 one (mapped `::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`), else null. */
function embeddedIpv4(address: string): string | null {
	const lower = address.toLowerCase();
	const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
	if (dotted) return dotted[1]!;
	const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
	if (!hex) return null;
	const high = Number.parseInt(hex[1]!, 16);
	const low = Number.parseInt(hex[2]!, 16);
	return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * Why a feed may not be fetched from this IP address (`'loopback'`, `'private'`, `'link-local'`, `'CGNAT'`,
 * `'reserved'`, `'cloud metadata'`), or null when it may. `allowPrivate` lets every class through but metadata.
 */
export function blockedAddress(address: string, allowPrivate: boolean): string | null {
	const v4 = embeddedIpv4(address);
	const ip = v4 ?? address;
	const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
	if (isIP(ip) === 0) return 'not an IP address';
	if (metadata.check(ip, family)) return 'cloud metadata';
	if (allowPrivate) return null;
	for (const [reason, blocked] of reasons) if (blocked.check(ip, family)) return reason;
	return null;
}
