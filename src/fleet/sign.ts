// Site keys, board keys and policy signatures. A site key is 32 random
// bytes kept as 64 hex digits in a text file (mode 0600) that only the
// admin holds; each board holds its own key, derived from it
// (boardKey: HKDF-SHA256 with the board id); a policy message for a board
// carries HMAC-SHA256(that board's key, policy text).

import {
    createCipheriv,
    createHash,
    createHmac,
    hkdfSync,
    randomBytes,
    timingSafeEqual,
} from "node:crypto"
import { readFileSync, statSync, writeFileSync } from "node:fs"
import { BOARD_KEY_INFO } from "../../devs/sync/config"
import { POLICY_HASH_DIGITS } from "../../devs/sync/protocol"
import { CliError } from "../command"

export const KEY_BYTES = 32

const READ_ERRORS: Record<string, string> = {
    ENOENT: "no such file",
    EISDIR: "it is a directory",
    EACCES: "permission denied",
}

function why(e: unknown): string {
    const code = (e as NodeJS.ErrnoException).code ?? ""
    return READ_ERRORS[code] ?? (e as Error).message
}

/** The key in a key file's text, or what is wrong with it. */
export function parseKey(text: string): { key?: Buffer; error?: string } {
    const hex = text.replace(/^\uFEFF/, "").trim()
    const want = KEY_BYTES * 2
    if (hex.length === 0)
        return { error: `it is empty (expected ${want} hex digits)` }
    const bad = /[^0-9a-fA-F]/.exec(hex)
    if (bad) {
        const what = /\s/.test(bad[0]) ? "white space" : JSON.stringify(bad[0])
        return {
            error: `${what} at character ${bad.index + 1} is not a hex digit (expected ${want} hex digits 0-9 a-f)`,
        }
    }
    if (hex.length !== want)
        return {
            error: `${hex.length} hex digits, expected ${want} (${KEY_BYTES} bytes)`,
        }
    return { key: Buffer.from(hex, "hex") }
}

/** Reads a site key file; a CliError names the file and the problem. */
export function readKeyFile(file: string): Buffer {
    let text: string
    try {
        text = readFileSync(file, "utf8")
    } catch (e) {
        throw new CliError(`cannot read key file ${file}: ${why(e)}`)
    }
    const k = parseKey(text)
    if (!k.key) throw new CliError(`bad key file ${file}: ${k.error}`)
    return k.key
}

/** Whether group or others may read the key file (a warning, not an error). */
export function keyFileTooOpen(file: string): number | undefined {
    try {
        const mode = statSync(file).mode & 0o777
        return process.platform !== "win32" && mode & 0o077 ? mode : undefined
    } catch {
        return undefined
    }
}

/** The warning for a key file group or others may read, if they may. */
export function keyFileWarning(file: string): string | undefined {
    const mode = keyFileTooOpen(file)
    if (mode === undefined) return undefined
    return `key file ${file} is readable by others (mode ${mode.toString(8).padStart(4, "0")}); chmod 600 ${file}`
}

/** A key file (readKeyFile), with the warning on stderr when others may read it. */
export function readKeyFileWarned(file: string): Buffer {
    const key = readKeyFile(file)
    const w = keyFileWarning(file)
    if (w) process.stderr.write(`dialguard: warning: ${w}\n`)
    return key
}

/** Writes a new random key to `file` (mode 0600); never overwrites. */
export function writeNewKeyFile(file: string): void {
    const hex = randomBytes(KEY_BYTES).toString("hex")
    try {
        writeFileSync(file, hex + "\n", { mode: 0o600, flag: "wx" })
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code
        if (code === "EEXIST")
            throw new CliError(
                `${file} already exists: not overwriting it (the boards of a site share its key; remove the file first to replace it)`
            )
        throw new CliError(`cannot write key file ${file}: ${why(e)}`)
    }
}

/**
 * The key of board `board` of the site whose key is `siteKey`: HKDF-SHA256
 * (RFC 5869, no salt, info "dialguard board key <board>", 32 bytes); the
 * board derives the same with @devicescript/crypto's sha256Hkdf
 * (devs/sync/boardKey.ts).
 */
export function boardKey(siteKey: Buffer, board: string): Buffer {
    return Buffer.from(
        hkdfSync("sha256", siteKey, Buffer.alloc(0), BOARD_KEY_INFO + board, 32)
    )
}

/**
 * A board's next key sealed under its current one, for a key rotation
 * (src/fleet/PROTOCOL.md): hex of a random 13-byte nonce, then the
 * AES-256-CCM ciphertext of `next` and its 16-byte tag. The board opens it
 * with the runtime's AES-CCM; only a holder of `current` can seal one that
 * opens.
 */
export function sealBoardKey(current: Buffer, next: Buffer): string {
    const nonce = randomBytes(13)
    const c = createCipheriv("aes-256-ccm", current, nonce, {
        authTagLength: 16,
    })
    c.setAAD(Buffer.alloc(0), { plaintextLength: next.length })
    const ct = Buffer.concat([c.update(next), c.final()])
    return Buffer.concat([nonce, ct, c.getAuthTag()]).toString("hex")
}

/** Lower-case hex HMAC-SHA256 of the UTF-8 bytes of `text`. */
export function sign(key: Buffer, text: string): string {
    return createHmac("sha256", key).update(text, "utf8").digest("hex")
}

/** Whether `sig` is the signature of `text` under `key` (constant time). */
export function verify(key: Buffer, text: string, sig: string): boolean {
    const want = Buffer.from(sign(key, text), "hex")
    if (typeof sig !== "string" || !/^[0-9a-f]{64}$/.test(sig)) return false
    return timingSafeEqual(want, Buffer.from(sig, "hex"))
}

/**
 * How a board's state names the policy text it enforces ("policyHash"):
 * the first 16 lower-case hex digits of the SHA-256 of its UTF-8 bytes.
 */
export function policyHash(text: string): string {
    return createHash("sha256")
        .update(text, "utf8")
        .digest("hex")
        .slice(0, POLICY_HASH_DIGITS)
}
