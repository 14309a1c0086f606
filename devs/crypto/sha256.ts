// SHA-256, HMAC-SHA256 and HKDF straight from the runtime's Buffer.digest,
// which @devicescript/crypto's digest, hmac and sha256Hkdf call after
// checking their arguments: those wrappers cost the image ~290 bytes of
// bytecode it does not have (README, "The firmware's bytecode limit").

/**
 * SHA-256 of the parts one after the other (strings as UTF-8); with `key`,
 * HMAC-SHA256 under it.
 */
export function sha256(parts: (string | Buffer)[], key?: Buffer): Buffer {
    return (Buffer as any).digest(key, "sha256", parts)
}

/** HKDF-SHA256 (RFC 5869, empty salt) of `key` with `info`: 32 bytes. */
export function hkdf(key: Buffer, info: string): Buffer {
    return sha256([info, hex`01`], sha256([key], "" as any))
}
