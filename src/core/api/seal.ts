import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 1;

/**
 * Authenticated encryption (AES-256-GCM) of short values such as a session id, for cookies.
 * The key is derived from a secret with HKDF-SHA256; `purpose` binds a sealed value to its use
 * (a value sealed for one purpose never opens as another).
 */
export class Sealer {
	readonly #key: Buffer;
	readonly #aad: Buffer;

	public constructor(secret: string | Buffer, purpose: string) {
		this.#key = Buffer.from(hkdfSync('sha256', secret, 'facet', `facet:${purpose}:v${VERSION}`, 32));
		this.#aad = Buffer.from(`facet:${purpose}:v${VERSION}`);
	}

	/** Seals `plain` into URL- and cookie-safe text: base64url(version ‖ iv ‖ ciphertext ‖ tag). */
	public seal(plain: string): string {
		const iv = randomBytes(IV_BYTES);
		const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
		cipher.setAAD(this.#aad);
		const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
		return Buffer.concat([Buffer.of(VERSION), iv, body, cipher.getAuthTag()]).toString('base64url');
	}

	/** Opens a sealed value; `null` for anything tampered, truncated, foreign or not base64url at all. Never throws. */
	public open(sealed: string): string | null {
		if (typeof sealed !== 'string' || sealed.length === 0 || sealed.length > 1024 || !/^[\w-]+$/.test(sealed)) return null;
		const raw = Buffer.from(sealed, 'base64url');
		if (raw.length < 1 + IV_BYTES + TAG_BYTES + 1 || raw[0] !== VERSION) return null;
		const iv = raw.subarray(1, 1 + IV_BYTES);
		const tag = raw.subarray(raw.length - TAG_BYTES);
		const body = raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES);
		try {
			const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
			decipher.setAAD(this.#aad);
			decipher.setAuthTag(tag);
			return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
		} catch {
			// Authentication failed: tampered, truncated or sealed with another key. The caller sees "no value".
			return null;
		}
	}
}

/** A random identifier with 256 bits of entropy, base64url (43 characters). */
export function randomId(bytes = 32): string {
	return randomBytes(bytes).toString('base64url');
}
