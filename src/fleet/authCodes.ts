// Authorization codes (issue 12) on their way from the admin to the boards.
// The admin's policy file holds each code sealed (AES-256-GCM) with a key
// derived from the site key, so that `policy push` can make, for each
// board, the HMAC-SHA256 of the code with that board's own key (issue 13:
// boards hold only their own key). What passes the broker is the HMAC:
// not the code, not a plain hash (a 6-digit space is reversed at once),
// and of no use for another board. A stolen board's flash holds its key
// and its HMACs, from which its codes can be found by trying all of
// them: after a theft, issue new codes (README, "A board is stolen").
import {
    createCipheriv,
    createDecipheriv,
    createHmac,
    hkdfSync,
    randomBytes,
} from "node:crypto"
import { boardPolicyDoc } from "../../devs/policy/boardPolicy"
import { AuthCode, Policy } from "../../devs/policy/types"
import { CliError } from "../command"
import { boardKey } from "./sign"

const SEAL_INFO = "dialguard code seal"
/** "gcm1:" + base64(IV 12 | tag 16 | code). */
const PREFIX = "gcm1:"

function sealKey(siteKey: Buffer): Buffer {
    return Buffer.from(
        hkdfSync("sha256", siteKey, Buffer.alloc(0), SEAL_INFO, 32)
    )
}

/** The code sealed with the site key (a fresh IV each time). */
export function sealCode(siteKey: Buffer, code: string): string {
    const iv = randomBytes(12)
    const c = createCipheriv("aes-256-gcm", sealKey(siteKey), iv)
    const body = Buffer.concat([c.update(code, "utf8"), c.final()])
    return PREFIX + Buffer.concat([iv, c.getAuthTag(), body]).toString("base64")
}

/** The code of a sealed entry; undefined when it does not open with this key. */
export function openCode(siteKey: Buffer, sealed: string): string | undefined {
    if (!sealed.startsWith(PREFIX)) return undefined
    const b = Buffer.from(sealed.slice(PREFIX.length), "base64")
    if (b.length < 29) return undefined
    try {
        const d = createDecipheriv(
            "aes-256-gcm",
            sealKey(siteKey),
            b.subarray(0, 12)
        )
        d.setAuthTag(b.subarray(12, 28))
        return Buffer.concat([d.update(b.subarray(28)), d.final()]).toString(
            "utf8"
        )
    } catch {
        return undefined
    }
}

/** HMAC-SHA256 (hex) of a code with a board's key, as the firmware computes it. */
export function codeHmac(key: Buffer, code: string): string {
    return createHmac("sha256", key).update(code, "utf8").digest("hex")
}

/**
 * The codes as board `board` gets them: each one's HMAC with that board's
 * key. Throws a CliError naming the first entry that is not sealed with
 * this site key (or one of `openKeys`: a key rotation opens the codes with
 * the key being replaced).
 */
export function codesForBoard(
    codes: AuthCode[],
    siteKey: Buffer,
    board: string,
    openKeys: Buffer[] = [siteKey]
): AuthCode[] {
    const key = boardKey(siteKey, board)
    return codes.map((c, i) => {
        let code: string | undefined
        for (const k of openKeys)
            if (code === undefined && c.sealed !== undefined)
                code = openCode(k, c.sealed)
        if (code === undefined)
            throw new CliError(
                c.sealed === undefined
                    ? `authCodes[${i}] (${c.owner}): an "hmac" entry of an older dialguard, keyed with the site key, which boards with keys of their own cannot check; make it again: dialguard policy code --key KEYFILE --owner ... --allow ... --add-to FILE`
                    : `authCodes[${i}] (${c.owner}): not sealed with this site key (made with another key file?); make it again with dialguard policy code`
            )
        return { owner: c.owner, allow: c.allow, hmac: codeHmac(key, code) }
    })
}

/** The entry of `codes` whose code is `code` (sealed entries, opened with the site key). */
export function findCode(
    codes: AuthCode[],
    siteKey: Buffer,
    code: string
): AuthCode | undefined {
    return codes.find(
        c => c.sealed !== undefined && openCode(siteKey, c.sealed) === code
    )
}

/**
 * Board `board`'s share of the policy (devs/policy/boardPolicy.ts) with
 * its codes as HMACs with its own key; without a site key (a board
 * flashed without --key has none) the share has no codes.
 */
export function boardShare(
    policy: Policy,
    board: string,
    ports: string[],
    siteKey: Buffer | undefined,
    openKeys?: Buffer[]
): any {
    const doc = boardPolicyDoc(policy, board, ports)
    if (doc.authCodes) {
        if (siteKey)
            doc.authCodes = codesForBoard(
                doc.authCodes,
                siteKey,
                board,
                openKeys
            )
        else delete doc.authCodes
    }
    return doc
}

/**
 * The codes sealed again with `nextKey` (after a key rotation; each opened
 * with `siteKey` or already with `nextKey`). Throws a CliError as
 * codesForBoard for an entry that opens with neither.
 */
export function resealCodes(
    codes: AuthCode[],
    siteKey: Buffer,
    nextKey: Buffer
): AuthCode[] {
    return codes.map((c, i) => {
        const code =
            c.sealed === undefined
                ? undefined
                : (openCode(nextKey, c.sealed) ?? openCode(siteKey, c.sealed))
        if (code === undefined)
            throw new CliError(
                `authCodes[${i}] (${c.owner}): not sealed with the old or the new site key; make it again with dialguard policy code`
            )
        return { ...c, sealed: sealCode(nextKey, code) }
    })
}
