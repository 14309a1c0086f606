// The board's half of the fleet protocol (src/fleet/PROTOCOL.md): topics,
// the messages a board publishes, and the checks on the policy envelope up
// to the signature. test/sync.test.ts holds these to src/fleet/topics.ts.
// Portable: no @devicescript/* import.

import { CallCounters } from "../phone/counters"

export const FIRMWARE_VERSION = "0.1.0"
/**
 * Largest policy message a board takes. Its share of a site policy is
 * ~1 KB; the 64 KB heap, never compacted, cannot be trusted with the
 * several copies of a much larger message that reading and checking take.
 */
export const MAX_POLICY_PAYLOAD = 4096
/**
 * The board's MQTT 5 Maximum Packet Size: a policy message, its topic
 * (ids of up to 64 characters) and room for the broker's properties. A
 * conforming broker does not send this client a larger packet.
 */
export const MAX_PACKET_BYTES = MAX_POLICY_PAYLOAD + 512
/**
 * Longest line of a policy message the board reads whole: the rest of a
 * longer one is left out, so its signature cannot match (the CLI never
 * writes one: devs/policy/policyLines.ts).
 */
export const MAX_POLICY_LINE = 1024

export function topic(site: string, rest: string): string {
    return "dialguard/" + site + "/" + rest
}

/** A refused policy message: its version (0 when unreadable) and why. */
export interface Refusal {
    version: number
    reason: string
}

/**
 * The board's liveness, retained on dialguard/<site>/<board>/online: true
 * after each connect, false as its will (the broker publishes it when the
 * board drops off), so the retained state keeps the last facts.
 */
export const ONLINE = "true"
export const OFFLINE = "false"

/** Hex digits of the SHA-256 of the enforced policy text a state names it by. */
export const POLICY_HASH_DIGITS = 16

export interface BoardStatus {
    board: string
    /** The extensions of its ports: `policy push` cuts the board's policy for them. */
    handsets: string[]
    policyVersion: number
    /** sha256 hex of the enforced policy text ("" when none). */
    policyHash: string
    lastError: string
    rejected?: Refusal
    /** Unix seconds, 0 before the first time fix. */
    ts: number
    droppedRecords: number
}

export function stateMessage(s: BoardStatus): string {
    const m: any = {
        board: s.board,
        handsets: s.handsets,
        policyVersion: s.policyVersion,
    }
    // which text it enforces: `policy push` knows from it that its very
    // message was applied (a version number alone cannot say)
    if (s.policyHash) m.policyHash = s.policyHash.slice(0, POLICY_HASH_DIGITS)
    m.firmware = FIRMWARE_VERSION
    m.lastError = s.lastError
    if (s.rejected) m.rejected = s.rejected
    m.ts = s.ts
    if (s.droppedRecords) m.droppedRecords = s.droppedRecords
    return JSON.stringify(m)
}

/** Every month any handset has counters for. */
export function monthsHeld(c: CallCounters): string[] {
    const out: string[] = []
    for (const ext of c.extensions())
        for (const m of c.months(ext)) if (out.indexOf(m) < 0) out.push(m)
    return out
}

/** A handset's counter groups in a counters message, in this order. */
const COUNTER_GROUPS = [
    "calls",
    "seconds",
    "blocked",
    "incoming",
    "caller",
    "rules",
]

/** The non-zero entries of a group, or undefined when all are zero. */
function nonZero(
    group: Record<string, number>
): Record<string, number> | undefined {
    let out: Record<string, number> | undefined = undefined
    for (const k of Object.keys(group))
        if (group[k]) {
            if (!out) out = {}
            out[k] = group[k]
        }
    return out
}

/**
 * The cumulative counters of `month`, zero entries left out: the message's
 * text in parts (a handset each) and without its closing "}", which comes
 * with the signature (Sync.publish). A heap that has run for weeks may not
 * hold the whole text in one piece (its largest free block measured 0.4 KB
 * with 17 KB free), nor a copy of it.
 */
export function countersMessage(
    board: string,
    month: string,
    c: CallCounters
): string[] {
    const out = [
        '{"board":' +
            JSON.stringify(board) +
            ',"month":"' +
            month +
            '","handsets":{',
    ]
    for (const ext of c.extensions()) {
        if (c.months(ext).indexOf(month) < 0) continue
        const s: any = c.snapshot(ext, month)
        const h: any = {}
        // (the groups in the protocol's order)
        for (const g of COUNTER_GROUPS) {
            const v = nonZero(s[g])
            if (v) h[g] = v
        }
        out.push(
            (out.length > 1 ? "," : "") +
                JSON.stringify(ext) +
                ":" +
                JSON.stringify(h)
        )
    }
    out.push("}")
    return out
}

/**
 * Why a policy message of `bytes` is not even read in ("" to read it): over
 * the protocol's limit, or as large as one the board already ran out of
 * memory on (`crashedAt`, 0 for none).
 */
export function sizeRefusal(bytes: number, crashedAt: number): string {
    let why = ""
    if (bytes > MAX_POLICY_PAYLOAD) why = "at most " + MAX_POLICY_PAYLOAD
    else if (crashedAt > 0 && bytes >= crashedAt)
        why =
            "this board ran out of memory on one of " +
            crashedAt +
            " bytes and restarted"
    return why
        ? "policy message too large: " + bytes + " bytes (" + why + ")"
        : ""
}

/**
 * The crash guard after a restart while a `crashed`-byte policy message
 * was being checked (0: it was not): the first such restart is a strike
 * (under load a restart can have other causes); a second one on a message
 * as large sets the limit (messages that large are refused), keeping the
 * smaller of an old and a new limit. 0 = none for each.
 */
export function crashGuard(
    crashed: number,
    strike: number,
    limit: number
): { strike: number; limit: number } {
    if (crashed <= 0) return { strike, limit }
    if (strike > 0 && crashed >= strike)
        return {
            strike: 0,
            limit: limit > 0 && limit < strike ? limit : strike,
        }
    return { strike: crashed, limit }
}

/** The version of the policy message's first line (its header). */
export const ENVELOPE_VERSION = 2

/** A policy message's header that passed the checks before the signature. */
export interface Envelope {
    version: number
    sig: string
    /**
     * A key rotation: the board's new key sealed under its current one
     * (hex: 13-byte nonce, AES-256-CCM ciphertext, 16-byte tag); the
     * policy text is signed with the new key (src/fleet/PROTOCOL.md).
     */
    key?: string
}

/**
 * Steps 1 and the shape of step 2 of the protocol on the message's first
 * line (its header): JSON, "v", "site", "board", then the fields. The
 * caller has checked the size and checks the signature of the lines after
 * it (the policy text) next.
 */
export function openEnvelope(
    text: string,
    site: string,
    board: string
): { env?: Envelope; refusal?: Refusal } {
    let m: any
    try {
        m = JSON.parse(text)
    } catch (e) {
        m = undefined
    }
    if (typeof m !== "object" || m === null || Array.isArray(m))
        return { refusal: { version: 0, reason: "policy message is not JSON" } }
    const version =
        typeof m.version === "number" &&
        m.version >= 1 &&
        Math.floor(m.version) === m.version
            ? m.version
            : 0
    const refuse = (reason: string) => ({ refusal: { version, reason } })
    if (m.v !== ENVELOPE_VERSION)
        return refuse("unsupported policy message v " + JSON.stringify(m.v))
    if (m.site !== site)
        return refuse(
            "policy message for site " +
                JSON.stringify(m.site) +
                ", this board is in " +
                site
        )
    // (the signed policy text says its board too: Board.checkText)
    if (m.board !== undefined && m.board !== board)
        return refuse(
            "policy message for board " +
                JSON.stringify(m.board) +
                ", this is " +
                board
        )
    if (!version) return refuse('"version" must be a whole number ≥ 1')
    // (other than lower-case hex digits, it cannot match the HMAC: the
    // signature check refuses it)
    if (typeof m.sig !== "string" || m.sig.length !== 64)
        return refuse('"sig" must be 64 lower-case hex digits (HMAC-SHA256)')
    return { env: { version, sig: m.sig, key: m.key } }
}
